"""What can go wrong with a stored evidence file, as exceptions callers can tell apart.

A download answers 404 for a missing file, and `concordat audit verify` names a damaged one
differently from one whose key is no longer configured: the file is fine, the configuration is
not.
"""

from __future__ import annotations


class EvidenceStoreError(Exception):
    """Anything the evidence store refuses or cannot do."""


class InvalidKey(EvidenceStoreError, ValueError):
    """A key that could escape the store's folder or prefix: a programming error, not input."""


class FileTooLarge(EvidenceStoreError):
    """More bytes arrived than the limit allows; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than {limit} bytes")
        self.limit = limit


class StoredFileMissing(EvidenceStoreError):
    """No file is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no evidence file is stored as {key!r}")
        self.key = key


class StoredFileDamaged(EvidenceStoreError):
    """The stored bytes fail authentication: changed, cut short, reordered or not ours."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"evidence file {key!r} is damaged: {reason}")
        self.key = key
        self.reason = reason


class EvidenceKeyUnavailable(EvidenceStoreError):
    """The file names a key this process does not have, so it cannot be opened."""

    def __init__(self, key: str, key_id: str) -> None:
        super().__init__(
            f"evidence file {key!r} was encrypted with key {key_id!r}, which is not configured "
            "(keep retired keys in CONCORDAT_PAYLOAD_KEYS while evidence written with them is kept)"
        )
        self.key = key
        self.key_id = key_id
