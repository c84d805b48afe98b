"""Basic authentication: which account a request's ``Authorization`` header speaks for.

The one owner of Basic-auth parsing and building (DECISIONS.md "Accounts and auth"): the handler
authenticates with it, the admin log and cassette scrubbing read the user name with it, the
async patch and ``verify`` build headers with it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Mapping, Optional, Tuple

from . import errors
from .ids import ACCOUNT_SID

ApiKeys = Mapping[str, Tuple[str, str]]


def parse_basic(authorization: Optional[str]) -> Optional[Tuple[str, str]]:
    """``(user, secret)`` of a Basic ``Authorization`` value; None for anything else."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return user, secret


def basic_header(user: str, secret: str) -> str:
    """The ``Authorization`` value of Basic credentials."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")


class Authenticator:
    """Basic auth -> account SID (DECISIONS.md "Accounts and auth")."""

    def __init__(
        self, credentials: Optional[Mapping[str, str]] = None, api_keys: Optional[ApiKeys] = None
    ) -> None:
        self.credentials = dict(credentials) if credentials is not None else None
        self.api_keys = dict(api_keys or {})

    def account_for(self, authorization: Optional[str]) -> str:
        """The account SID the credentials speak for; 401/20003 for anything else."""
        basic = parse_basic(authorization)
        if basic is None:
            raise errors.unauthenticated()
        user, secret = basic
        if ACCOUNT_SID.match(user):
            if self.credentials is None:
                return user
            expected = self.credentials.get(user)
            if expected is not None and hmac.compare_digest(expected, secret):
                return user
        elif user in self.api_keys:
            account, key_secret = self.api_keys[user]
            if hmac.compare_digest(key_secret, secret):
                return account
        raise errors.unauthenticated()
