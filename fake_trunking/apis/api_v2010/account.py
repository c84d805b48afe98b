"""The caller's Account (``/2010-04-01/Accounts/{Sid}.json``, fetch) and its API Keys
(``/2010-04-01/Accounts/{AccountSid}/Keys[/{Sid}].json``).

Account rules (docs/decisions.md "API v2010"): only the caller's own account is served: another
account's SID in the path is 401/20003 like any v2010 path naming another account (the path's
account is the one the credentials must be for). The fake keeps no account record, so the body
is derived: ``status`` ``active``, ``type`` ``Full``, ``owner_account_sid`` the account itself (a
parent account's is its own SID), both dates the fake's start (``Store.started``), and
``auth_token`` the token the fake knows for it (``Authenticator.token_for``; scrubbed from the call
log and cassettes like every secret, ``core.redact``). ``UpdateAccount`` is not served (405):
suspending or closing the caller's account has no meaning in a fake.

Key rules (spec): ``FriendlyName`` optional, at most 64 characters; create (``CreateNewKey``,
``client.new_keys.create()``) answers 201 with the ``secret``, shown once: the store keeps only a
salted hash (``core.redact``). Such a key then authenticates as ``SK…:secret`` for its account,
exactly as a key given with ``api_keys=`` does (``Store.account_for_key``), except that it is a
*Standard* key: Twilio refuses Standard keys on the Account and Keys resources (401/20003 here;
keys given with ``api_keys=`` count as Main keys and may). Deleting a key revokes it.
Keys given with ``api_keys=`` are configuration, not objects of the account: they are not listed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Optional

from ...core import errors
from ...core.collection import Collection, Record
from ...core.params import Param
from ...core.redact import hash_secret
from . import wire
from .base import Context, RegistryResource, Resource
from .wire import rfc2822

# the subresource_uris of a real account (the names Twilio lists), each relative to the host
ACCOUNT_SUBRESOURCES = (
    ("addresses", "Addresses"),
    ("conferences", "Conferences"),
    ("signing_keys", "SigningKeys"),
    ("transcriptions", "Transcriptions"),
    ("connect_apps", "ConnectApps"),
    ("sip", "SIP"),
    ("authorized_connect_apps", "AuthorizedConnectApps"),
    ("usage", "Usage"),
    ("keys", "Keys"),
    ("applications", "Applications"),
    ("recordings", "Recordings"),
    ("short_codes", "SMS/ShortCodes"),
    ("calls", "Calls"),
    ("notifications", "Notifications"),
    ("incoming_phone_numbers", "IncomingPhoneNumbers"),
    ("queues", "Queues"),
    ("messages", "Messages"),
    ("outgoing_caller_ids", "OutgoingCallerIds"),
    ("available_phone_numbers", "AvailablePhoneNumbers"),
    ("balance", "Balance"),
)
ACCOUNT_FRIENDLY_NAME = "fake-trunking account"


class AccountResource(Resource):
    name = "Account"
    schema = "api.v2010.account"
    segments = ()
    prefix = "AC"
    is_account = True
    main_credentials_only = True
    instance_methods = frozenset({"GET"})
    fields = (
        "auth_token", "date_created", "date_updated", "friendly_name", "owner_account_sid",
        "sid", "status", "subresource_uris", "type", "uri",
    )  # fmt: skip

    @classmethod
    def instance_template(cls) -> str:
        return wire.json_uri(wire.ACCOUNTS + "/{Sid}")

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        raise errors.not_found(ctx.path)  # no list of accounts is served

    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record:
        # the route already made sure ``sid`` is the caller's account
        return {"sid": ctx.account.sid}

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        sid = record["sid"]
        base = wire.account_uri(sid)
        started = rfc2822(ctx.store.started)
        return {
            "auth_token": ctx.auth.token_for(sid) if ctx.auth is not None else None,
            "date_created": started,
            "date_updated": started,
            "friendly_name": ACCOUNT_FRIENDLY_NAME,
            "owner_account_sid": sid,
            "sid": sid,
            "status": "active",
            "subresource_uris": {k: f"{base}/{seg}.json" for k, seg in ACCOUNT_SUBRESOURCES},
            "type": "Full",
            "uri": wire.json_uri(base),
        }


class Key(RegistryResource):
    name = "Key"
    schema = "api.v2010.account.key"
    segments = ("Keys",)
    key = "keys"
    prefix = "SK"
    main_credentials_only = True
    operation_ids: ClassVar[Dict[str, str]] = {"create": "CreateNewKey"}
    create_schema = "api.v2010.account.new_key"
    create_fields = ("sid", "friendly_name", "date_created", "date_updated", "secret")
    params = (Param("FriendlyName", "friendly_name", max_length=64),)
    fields = ("sid", "friendly_name", "date_created", "date_updated")
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        store = ctx.store
        secret = store.random_hex(32)
        record = store.new_registry_object(
            ctx.account,
            "SK",
            {
                "friendly_name": values.get("friendly_name"),
                "secret_hash": hash_secret(secret, store.random_hex(32)),
            },
        )
        store.key_accounts[record["sid"]] = ctx.account.sid
        return dict(record, secret=secret)  # shown once: this copy is rendered, never kept

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        self.get(ctx, parent, sid)
        ctx.account.registry["SK"].remove(sid)
        ctx.store.forget_key(sid)

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        out = {
            "sid": record["sid"],
            "friendly_name": record["friendly_name"],
            "date_created": rfc2822(record["date_created"]),
            "date_updated": rfc2822(record["date_updated"]),
        }
        if "secret" in record:  # the answer to a create (``api.v2010.account.new_key``)
            out["secret"] = record["secret"]
        return out


ACCOUNT = AccountResource()
KEY = Key()
