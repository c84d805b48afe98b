"""The Accounts (``/2010-04-01/Accounts[/{Sid}].json``: list, create, fetch, update) and their
API Keys (``/2010-04-01/Accounts/{AccountSid}/Keys[/{Sid}].json``).

Account rules (docs/decisions.md "API v2010" and "Subaccounts"; the rules themselves are
``core.accounts``'): the credentials' own account and, for a main account, its subaccounts are
served; any other account's SID in the path is 401/20003 like any v2010 path naming another
account. ``CreateAccount`` makes a subaccount of the caller (``FriendlyName`` optional, at most
64 characters; default ``SubAccount Created at …``); ``ListAccount`` lists the caller and its
subaccounts (filters ``FriendlyName``, exact, and ``Status``); ``UpdateAccount`` sets
``FriendlyName`` and, for a subaccount on its main account's credentials, ``Status``. A main
account's record is derived until it is updated (``status`` ``active``, ``type`` ``Full``, its own
``owner_account_sid``, both dates the fake's start). ``auth_token`` is the token the fake knows
for the account (``Authenticator.token_for``; a subaccount's is derived from its main account's;
scrubbed from the call log and cassettes like every secret, ``core.redact``).

Key rules (spec): ``FriendlyName`` optional, at most 64 characters; create (``CreateNewKey``,
``client.new_keys.create()``) answers 201 with the ``secret``, shown once: the store keeps only a
salted hash (``core.redact``). Such a key then authenticates as ``SK…:secret`` for its account,
exactly as a key given with ``api_keys=`` does (``Store.account_for_key``), except that it is a
*Standard* key: Twilio refuses Standard keys on the Account and Keys resources (401/20003 here;
keys given with ``api_keys=`` count as Main keys and may). Deleting a key revokes it.
Keys given with ``api_keys=`` are configuration, not objects of the account: they are not listed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Mapping, Optional

from ...core import accounts
from ...core.collection import Collection, Record
from ...core.jsontext import COMMA, encode
from ...core.params import Param, parse_form
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
ACCOUNT_FRIENDLY_NAME = accounts.MAIN_FRIENDLY_NAME
FRIENDLY_NAME = Param("FriendlyName", "friendly_name", max_length=accounts.MAX_FRIENDLY_NAME)
STATUS = Param("Status", "status", enum=accounts.STATUSES)


class AccountResource(Resource):
    name = "Account"
    schema = "api.v2010.account"
    segments = ()
    key = "accounts"
    prefix = "AC"
    is_account = True
    main_credentials_only = True
    params = (FRIENDLY_NAME,)
    update_only = (STATUS,)
    list_filters = (FRIENDLY_NAME, STATUS)
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST"})
    fields = (
        "auth_token", "date_created", "date_updated", "friendly_name", "owner_account_sid",
        "sid", "status", "subresource_uris", "type", "uri",
    )  # fmt: skip

    @classmethod
    def list_template(cls) -> str:
        return wire.json_uri(wire.ACCOUNTS)

    @classmethod
    def instance_template(cls) -> str:
        return wire.json_uri(wire.ACCOUNTS + "/{Sid}")

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        """The accounts the caller sees (itself, then its subaccounts): a throwaway collection,
        paged by ``list_body`` (never through the handler's cache of rendered items, which is
        keyed by record identity)."""
        out = Collection()
        for record in accounts.visible(ctx.store, ctx.caller_sid):
            out.add(record["sid"], record)
        return out

    def filtered(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Collection:
        out = Collection()
        for record in accounts.visible(ctx.store, ctx.caller_sid):
            if all(record.get(field) == value for field, value in values.items()):
                out.add(record["sid"], record)
        return out

    def list_body(
        self,
        ctx: Context,
        parent: Optional[str],
        query: Mapping[str, str],
        size: int,
        page: int,
        token: Optional[str],
    ) -> Optional[str]:
        values = parse_form(self.list_filters, query)
        items = self.filtered(ctx, parent, values) if values else self.collection(ctx, parent)
        records, has_previous, has_next = items.page(size, token)
        filters = {p.name: query[p.name] for p in self.list_filters if p.field in values}
        items_json = COMMA.join(encode(self.render(ctx, r)) for r in records)
        return wire.list_envelope(
            self.key or "accounts", items_json, ctx.path, size, page, token, records,
            has_previous, has_next, filters,
        )  # fmt: skip

    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record:
        # the route already made sure ``sid`` is the caller's account or one of its subaccounts
        return accounts.record_of(ctx.store, sid or ctx.account.sid)

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        return accounts.create_subaccount(ctx.store, ctx.caller_sid, values.get("friendly_name"))

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        return accounts.update(ctx.store, ctx.caller_sid, sid or ctx.account.sid, values)

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        sid = record["sid"]
        base = wire.account_uri(sid)
        return {
            "auth_token": ctx.auth.token_for(sid) if ctx.auth is not None else None,
            "date_created": rfc2822(record["date_created"]),
            "date_updated": rfc2822(record["date_updated"]),
            "friendly_name": record["friendly_name"],
            "owner_account_sid": record["owner_account_sid"],
            "sid": sid,
            "status": record["status"],
            "subresource_uris": {k: f"{base}/{seg}.json" for k, seg in ACCOUNT_SUBRESOURCES},
            "type": record["type"],
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
