"""``Context``: one operation's surroundings, shared by every API's resources.

A resource rule gets the store, the caller's account, the base URL the request came in on (for
absolute links) and the request path (for 404 messages), whatever API it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import errors
from .auth import Authenticator
from .store import Account, Store


@dataclass
class Context:
    """One operation's surroundings: the store, the caller's account, the URL base for links."""

    store: Store
    account: Account
    base_url: str  # scheme://host the request came in on, e.g. https://trunking.twilio.com
    path: str  # the request path, for 404 messages
    auth: Optional[Authenticator] = None  # who may call (an Account shows its auth token)
    # the account the credentials are for, when it is not ``account`` (a main account acting
    # on one of its subaccounts' v2010 paths); None: the account itself
    caller: Optional[str] = None

    @property
    def caller_sid(self) -> str:
        """The account the request's credentials authenticate as."""
        return self.caller if self.caller is not None else self.account.sid

    def not_found(self) -> errors.TwilioError:
        return errors.not_found(self.path)
