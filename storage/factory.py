"""The evidence store a deployment configured: a folder by default, S3 when it names a bucket."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.settings import Settings
from storage.local import LocalEvidenceStore
from storage.store import EvidenceStore

#: Under `var_dir`, where the embedded default keeps evidence files.
EVIDENCE_FOLDER = "evidence"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str


def parse_s3_location(location: str) -> S3Location:
    """`s3://bucket` or `s3://bucket/prefix/...`, as `CONCORDAT_EVIDENCE_STORE` gives it."""
    scheme, _, rest = location.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise ValueError(
            f"CONCORDAT_EVIDENCE_STORE {location!r} must be empty (a folder under var_dir) "
            "or s3://bucket/prefix"
        )
    return S3Location(bucket=bucket, prefix=prefix.strip("/"))


def evidence_store(settings: Settings) -> EvidenceStore:
    """Sealed with the payload keys (production refuses to start without them)."""
    keys = settings.payload_key_ring()
    if not settings.evidence_store:
        return LocalEvidenceStore(settings.var_dir / EVIDENCE_FOLDER, keys)
    location = parse_s3_location(settings.evidence_store)
    from storage.s3 import S3EvidenceStore  # boto3 loads only where it is used

    return S3EvidenceStore(
        location.bucket,
        keys,
        prefix=location.prefix,
        endpoint_url=settings.evidence_s3_endpoint_url,
    )
