"""Basic authentication: which account a request's ``Authorization`` header speaks for.

The one owner of Basic-auth parsing and building (DECISIONS.md "Accounts and auth"): the handler
authenticates with it, the admin log and cassette scrubbing read the user name with it, the
async patch and ``verify`` build headers with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Callable, Dict, Mapping, Optional, Tuple

from . import errors
from .ids import ACCOUNT_SID

ApiKeys = Mapping[str, Tuple[str, str]]
# (key SID, secret) -> the account of a key the store holds (made through the Keys API), or None
KeyLookup = Callable[[str, str], Optional[str]]
# account SID -> the main account owning that subaccount, or None (``Store.parent_of``)
ParentLookup = Callable[[str], Optional[str]]

# the token every account has while no ``credentials`` are configured (any token is accepted
# then; this is the one the fake's own clients send and an Account's ``auth_token`` shows)
DEFAULT_AUTH_TOKEN = "fake-trunking-auth-token"


_PARSED: Dict[str, Optional[Tuple[str, str]]] = {}  # the last values seen (a pure function)
_PARSED_SIZE = 256
_PARSED_LONGEST = 1024  # a longer value is parsed every time, never kept


def parse_basic(authorization: Optional[str]) -> Optional[Tuple[str, str]]:
    """``(user, secret)`` of a Basic ``Authorization`` value; None for anything else.

    Every request is authenticated, nearly always with the same few values: the answers for
    the last ``_PARSED_SIZE`` values (of a sane length) are kept, so a request costs a lookup."""
    if not authorization:
        return None
    if authorization in _PARSED:
        return _PARSED[authorization]
    parsed = _parse_basic(authorization)
    if len(authorization) <= _PARSED_LONGEST:
        if len(_PARSED) >= _PARSED_SIZE:
            _PARSED.clear()
        _PARSED[authorization] = parsed
    return parsed


def _parse_basic(authorization: str) -> Optional[Tuple[str, str]]:
    if authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return user, secret


def subaccount_token(parent_token: str, account_sid: str) -> str:
    """The auth token of the subaccount ``account_sid`` of a main account whose token is
    ``parent_token``: 32 hex digits of HMAC-SHA256(parent token, subaccount SID).

    Derived, never stored: a state file or cassette holds no subaccount token, the token is the
    same after a restart, and nobody without the main token can compute it (docs/decisions.md
    "Subaccounts")."""
    mac = hmac.new(parent_token.encode("utf-8"), account_sid.encode("ascii"), hashlib.sha256)
    return mac.hexdigest()[:32]


def basic_header(user: str, secret: str) -> str:
    """The ``Authorization`` value of Basic credentials."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")


class Authenticator:
    """Basic auth -> account SID (DECISIONS.md "Accounts and auth")."""

    def __init__(
        self,
        credentials: Optional[Mapping[str, str]] = None,
        api_keys: Optional[ApiKeys] = None,
        key_lookup: Optional[KeyLookup] = None,
        parent_lookup: Optional[ParentLookup] = None,
    ) -> None:
        self.credentials = dict(credentials) if credentials is not None else None
        self.api_keys = dict(api_keys or {})
        self.key_lookup = key_lookup  # keys made through the API (``Store.account_for_key``)
        self.parent_lookup = parent_lookup  # subaccounts made through the API

    @staticmethod
    def is_key(authorization: Optional[str]) -> bool:
        """Do these credentials name an API key (``SK…``), not an account's SID and token?
        Twilio: only a main account's own SID and auth token reach its subaccounts' resources
        ("Main account API Keys are only available to access main account resources")."""
        basic = parse_basic(authorization)
        return basic is not None and basic[0][:2] == "SK"

    def is_standard_key(self, authorization: Optional[str]) -> bool:
        """Do these (already accepted) credentials name a key made through the Keys API? Such a
        key is a *Standard* key (the API makes no other kind): Twilio lets it call everything but
        the Account and Keys resources. A key given with ``api_keys=`` counts as a *Main* key
        (full access, like the account's own token), as a key made in the Console can be."""
        basic = parse_basic(authorization)
        return basic is not None and basic[0][:2] == "SK" and basic[0] not in self.api_keys

    def token_for(self, account_sid: str) -> Optional[str]:
        """The account's auth token as the fake knows it: the configured one, or
        ``DEFAULT_AUTH_TOKEN`` while none are configured; a subaccount's is derived from its
        main account's (``subaccount_token``); None for an account not configured."""
        if self.credentials is None:
            return DEFAULT_AUTH_TOKEN
        token = self.credentials.get(account_sid)
        if token is None and self.parent_lookup is not None:
            parent = self.parent_lookup(account_sid)
            parent_token = self.credentials.get(parent) if parent is not None else None
            if parent_token is not None:
                return subaccount_token(parent_token, account_sid)
        return token

    def account_for(self, authorization: Optional[str]) -> str:
        """The account SID the credentials speak for; 401/20003 for anything else."""
        basic = parse_basic(authorization)
        if basic is None:
            raise errors.unauthenticated()
        user, secret = basic
        if ACCOUNT_SID.match(user):
            if self.credentials is None:
                return user
            expected = self.token_for(user)
            if expected is not None and hmac.compare_digest(expected, secret):
                return user
        elif user in self.api_keys:
            account, key_secret = self.api_keys[user]
            if hmac.compare_digest(key_secret, secret):
                return account
        elif self.key_lookup is not None and user[:2] == "SK":
            found = self.key_lookup(user, secret)
            if found is not None:
                return found
        raise errors.unauthenticated()
