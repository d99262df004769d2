"""API tokens: a random secret shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "nacc_"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lookup_prefix(secret: str) -> str:
    """The first characters after the marker, stored in clear to find the row quickly."""
    return secret[len(PREFIX) : len(PREFIX) + 8]
