"""Passwords: argon2id hashes, and rules a person can follow."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 12
MAX_LENGTH = 200


@cache
def _decoy() -> str:
    """Checked against, so that a failed sign-in for an unknown address takes as long as any
    other. Made on first use: hashing costs a fifth of a second, which every process that
    imports this (each command line call) would otherwise spend at start-up."""
    return _hasher.hash("decoy password that is never anyone's")


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"A password has at most {MAX_LENGTH} characters.")
    if len(set(password)) < 5:
        raise WeakPassword("That password repeats too few characters to be safe.")


def hash_password(password: str, *, check: bool = True) -> str:
    if check:
        check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if it matches; spends the same effort when there is no hash to check."""
    try:
        return _hasher.verify(password_hash or _decoy(), password[:MAX_LENGTH]) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
