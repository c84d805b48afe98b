"""SIP Credentials of a credential list:
``/2010-04-01/Accounts/{AccountSid}/SIP/CredentialLists/{CredentialListSid}/Credentials[/{Sid}].json``.

Rules (spec and Twilio's parameter docs; DECISIONS.md "API v2010 neighbours"):
- create needs ``Username`` and ``Password``; update takes ``Password`` only (a username never
  changes);
- ``Username``: 1 to 32 characters, unique within its list (400/20001 naming it; Twilio's code
  for a duplicate is not documented, docs/decisions.md);
- ``Password``: at least 12 characters, at least one digit, a lower-case and an upper-case letter
  (Twilio's documented rule, e.g. ``IWasAtSignal2018``), else 400/20001 naming the rule; at most
  ``MAX_PASSWORD`` characters (bounded work);
- the password is never returned, never stored in the clear (``password_hash``: a salted hash,
  ``core.redact``), and never logged or recorded (``core.redact.SECRET_FORM_FIELDS``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ...core import errors
from ...core.collection import Record
from ...core.params import Param
from ...core.redact import hash_secret
from .base import Context, NestedResource
from .credential_list import CREDENTIAL_LIST
from .wire import rfc2822

MIN_PASSWORD = 12
MAX_PASSWORD = 256  # characters; Twilio documents no maximum, this bounds the hashing work
MAX_USERNAME = 32

PASSWORD_RULE = (
    f"must be at least {MIN_PASSWORD} characters and contain a digit, a lower-case and an "
    "upper-case letter"
)


def check_password(value: str) -> None:
    if (
        len(value) < MIN_PASSWORD
        or not any(c.isdigit() for c in value)
        or not any(c.islower() for c in value)
        or not any(c.isupper() for c in value)
    ):
        raise errors.invalid_parameter("Password", PASSWORD_RULE)


def check_username(value: str) -> None:
    if not value:
        raise errors.invalid_parameter("Username", "must not be empty")


PASSWORD = Param("Password", "password", max_length=MAX_PASSWORD, check=check_password)


class Credential(NestedResource):
    name = "SipCredential"
    schema = "api.v2010.account.sip.sip_credential_list.sip_credential"
    segments = ("Credentials",)
    parent = CREDENTIAL_LIST
    parent_param = "CredentialListSid"
    key = "credentials"
    prefix = "CR"
    params = (PASSWORD,)
    create_only = (Param("Username", "username", max_length=MAX_USERNAME, check=check_username),)
    required_on_create = ("Username", "Password")
    fields = (
        "sid", "account_sid", "credential_list_sid", "username", "date_created", "date_updated",
        "uri",
    )  # fmt: skip
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})

    @classmethod
    def create_params(cls) -> tuple[Param, ...]:
        return (*cls.create_only, *cls.params)  # the spec's order: Username, then Password

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        items = self.collection(ctx, parent)
        username = values["username"]
        if any(item["username"] == username for item in items):
            raise errors.bad_request(
                f"Invalid Username: {username!r} is already in this credential list"
            )
        store = ctx.store
        items = self.items_for_write(ctx, parent)
        sid = store.mint_sid("CR", items.__contains__)
        now = store.now()
        record: Record = {
            "sid": sid,
            "account_sid": ctx.account.sid,
            "credential_list_sid": parent,
            "username": username,
            "password_hash": hash_secret(values["password"], store.random_hex(32)),
            "date_created": now,
            "date_updated": now,
        }
        items.add(sid, record)
        return record

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        record = self.get(ctx, parent, sid)
        if "password" in values:
            record["password_hash"] = hash_secret(values["password"], ctx.store.random_hex(32))
        record["date_updated"] = ctx.store.now()
        return record

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        return {
            "sid": record["sid"],
            "account_sid": record["account_sid"],
            "credential_list_sid": record["credential_list_sid"],
            "username": record["username"],
            "date_created": rfc2822(record["date_created"]),
            "date_updated": rfc2822(record["date_updated"]),
            "uri": self.item_uri(
                record["account_sid"], record["credential_list_sid"], record["sid"]
            ),
        }


CREDENTIAL = Credential()
