"""Evidence files attached to incidents: kept encrypted at rest, streamed in and out.

`evidence_store(settings)` gives the store a deployment configured; `EvidenceStore` is what
every store offers (`put`, `open`, `sha256`, `exists`, `delete`).
"""

from storage.errors import (
    EvidenceKeyUnavailable,
    EvidenceStoreError,
    FileTooLarge,
    InvalidKey,
    StoredFileDamaged,
    StoredFileMissing,
)
from storage.factory import evidence_store, parse_s3_location
from storage.local import LocalEvidenceStore
from storage.store import EvidenceStore, StoredFile

__all__ = [
    "EvidenceKeyUnavailable",
    "EvidenceStore",
    "EvidenceStoreError",
    "FileTooLarge",
    "InvalidKey",
    "LocalEvidenceStore",
    "StoredFile",
    "StoredFileDamaged",
    "StoredFileMissing",
    "evidence_store",
    "parse_s3_location",
]
