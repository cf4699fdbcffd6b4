"""API tokens: made at random, shown once, stored only as a hash.

Storing, finding and revoking them is in `services.tokens`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from models import ApiToken

TOKEN_PREFIX = "cnc_"  # noqa: S105 (a prefix that makes leaked tokens easy to spot)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def is_active(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)
