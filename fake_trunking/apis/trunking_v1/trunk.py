"""Trunks: ``/v1/Trunks`` and ``/v1/Trunks/{Sid}``.

Rules (DECISIONS.md "Trunks"): all parameters optional on create and update; FriendlyName at most
64 characters (``FriendlyName=`` stores ""); DomainName at most 253 characters, letters/digits/``-``
labels ending in ``pstn.twilio.com`` in any case (21245), unique across every account compared in
any case (21248), freed when its trunk is deleted (with ``domain_reservation_days`` N > 0, N days
later); DisasterRecoveryUrl an absolute http(s) URL of at most ``MAX_TEXT`` characters
(docs/decisions.md "Parameters"); at most ``max_trunks_per_account`` trunks (21244).
``recording`` mirrors the Recording sub-resource; ``auth_type``/``auth_type_set`` follow the
trunk's credential-list and IP-ACL associations. Deleting a trunk cascades to its sub-resources.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any, ClassVar, Dict, Hashable, List, Optional, Tuple

from ...core import errors
from ...core.collection import Collection, Record
from ...core.params import MAX_TEXT, Param, parse_form
from ...core.store import Account, Store
from . import recording
from .base import TRUNKS_PATH, Context, Resource, existing_trunk

TRANSFER_MODES = ("disable-all", "enable-all", "sip-only")
TRANSFER_CALLER_IDS = ("from-transferee", "from-transferor")
HTTP_METHODS = ("GET", "POST")

# DNS names are case-insensitive (RFC 4343): the labels and the ``pstn.twilio.com`` suffix are
# matched in any case, and the name is stored and shown as the caller wrote it (DNS preserves
# case); uniqueness and the reservation compare lower-cased (``Store.domain_taken``).
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+pstn\.twilio\.com\Z", re.IGNORECASE
)
MAX_DOMAIN = 253  # characters of a DNS name


def check_domain(value: str) -> None:
    # the length first: the label repeat backtracks up to 61 places per label, which stays
    # small only on a bounded text (the DomainName parameter is refused above 253 already)
    if len(value) > MAX_DOMAIN or not _DOMAIN.match(value):
        raise errors.trunk_validation(
            "DomainName must be labels of letters, digits and '-' ending in pstn.twilio.com"
        )


# (sub-collection link key, path segment), in the order Twilio lists them
LINKS = (
    ("origination_urls", "OriginationUrls"),
    ("credential_lists", "CredentialLists"),
    ("ip_access_control_lists", "IpAccessControlLists"),
    ("phone_numbers", "PhoneNumbers"),
)
LINK_SUFFIXES = tuple((key, "/" + segment) for key, segment in LINKS)
# (association collection key, auth type it adds), in the order Twilio lists the types
AUTH_LABELS = (("credential_lists", "CREDENTIAL_LIST"), ("ip_access_control_lists", "IP_ACL"))
# every field of a trunk's record that ``Trunk.render`` shows (``Trunk.render_key``)
_RENDERED_FIELDS = itemgetter(
    "sid", "account_sid", "domain_name", "disaster_recovery_method", "disaster_recovery_url",
    "friendly_name", "secure", "recording", "transfer_mode", "transfer_caller_id",
    "cnam_lookup_enabled", "symmetric_rtp_enabled", "date_created", "date_updated",
)  # fmt: skip

DEFAULTS: Dict[str, Any] = {
    "friendly_name": None,
    "domain_name": None,
    "disaster_recovery_url": None,
    "disaster_recovery_method": None,
    "secure": False,
    "cnam_lookup_enabled": False,
    "transfer_mode": "disable-all",
    "transfer_caller_id": "from-transferee",
    "symmetric_rtp_enabled": False,
}

DEFAULT_RECORDING = recording.shown(recording.DEFAULT)  # as snapshots and the API show it


class Trunk(Resource):
    name = "Trunk"
    schema = "trunking.v1.trunk"
    segment = "Trunks"
    key = "trunks"
    prefix = "TK"
    nested = False
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})
    params = (
        Param("FriendlyName", "friendly_name", max_length=64),
        Param(
            "DomainName",
            "domain_name",
            max_length=MAX_DOMAIN,
            empty_is_null=True,
            check=check_domain,
        ),
        Param(
            "DisasterRecoveryUrl",
            "disaster_recovery_url",
            format="uri",
            max_length=MAX_TEXT,
            empty_is_null=True,
        ),
        Param(
            "DisasterRecoveryMethod",
            "disaster_recovery_method",
            format="http-method",
            enum=HTTP_METHODS,
            empty_is_null=True,
        ),
        Param("TransferMode", "transfer_mode", enum=TRANSFER_MODES),
        Param("Secure", "secure", type="boolean"),
        Param("CnamLookupEnabled", "cnam_lookup_enabled", type="boolean"),
        Param("TransferCallerId", "transfer_caller_id", enum=TRANSFER_CALLER_IDS),
    )
    fields = (
        "account_sid", "domain_name", "disaster_recovery_method", "disaster_recovery_url",
        "friendly_name", "secure", "recording", "transfer_mode", "transfer_caller_id",
        "cnam_lookup_enabled", "auth_type", "symmetric_rtp_enabled", "auth_type_set",
        "date_created", "date_updated", "sid", "url", "links",
    )  # fmt: skip

    # the sub-resources a trunk owns; set by apis/trunking_v1/__init__ (cascade on delete)
    children: ClassVar[Tuple[Resource, ...]] = ()

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        return ctx.account.trunks

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        store, account = ctx.store, ctx.account
        limit = store.max_trunks_per_account
        if limit is not None and len(account.trunks) >= limit:
            raise errors.too_many_trunks()
        domain = values.get("domain_name")
        if domain is not None and store.domain_taken(domain):
            raise errors.domain_taken()
        sid = store.mint_sid("TK", account.trunks.__contains__)
        now = store.now()
        record: Record = dict(DEFAULTS)
        record.update(values)
        record["recording"] = recording.DEFAULT
        record["sid"] = sid
        record["account_sid"] = account.sid
        record["date_created"] = record["date_updated"] = now
        account.trunks.add(sid, record)
        if domain is not None:
            store.domains[domain.lower()] = (account.sid, sid)
        return record

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        store = ctx.store
        record = existing_trunk(ctx, sid)
        old = record["domain_name"]
        if "domain_name" in values:
            new = values["domain_name"]
            if new is not None and new.lower() != (old or "").lower() and store.domain_taken(new):
                raise errors.domain_taken()
            if old is not None:  # renamed or cleared: free at once (only a delete reserves)
                store.release_domain(old, deleted=False)
            if new is not None:
                store.domains[new.lower()] = (ctx.account.sid, record["sid"])
        record.update(values)
        record["date_updated"] = store.now()
        return record

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        record = existing_trunk(ctx, sid)
        for child in self.children:
            child.on_trunk_deleted(ctx, sid)
        if record["domain_name"] is not None:
            ctx.store.release_domain(record["domain_name"], deleted=True)
        ctx.account.trunks.remove(sid)

    def render_key(self, ctx: Context, record: Record) -> Optional[Hashable]:
        """Everything ``render`` reads, as one hashable value: the record's fields, which kinds
        of list are associated, and the host. Equal keys render equal items, so a page keeps
        the encoded items of unchanged trunks across writes (``Handler``)."""
        sid = record["sid"]
        get = ctx.account.children.get
        return (
            ctx.base_url,
            _RENDERED_FIELDS(record),
            bool(get((sid, "credential_lists"))),
            bool(get((sid, "ip_access_control_lists"))),
        )

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        # the one per-item cost of a page rendered after a write: plain lookups, no helper
        # calls (``auth_types`` and ``recording.shown`` inlined, link suffixes made once)
        sid = record["sid"]
        children = ctx.account.children
        auth = [label for key, label in AUTH_LABELS if children.get((sid, key))]
        url = f"{ctx.base_url}{TRUNKS_PATH}/{sid}"
        mode, trim = record["recording"]
        return {
            "account_sid": record["account_sid"],
            "domain_name": record["domain_name"],
            "disaster_recovery_method": record["disaster_recovery_method"],
            "disaster_recovery_url": record["disaster_recovery_url"],
            "friendly_name": record["friendly_name"],
            "secure": record["secure"],
            "recording": {"mode": mode, "trim": trim},
            "transfer_mode": record["transfer_mode"],
            "transfer_caller_id": record["transfer_caller_id"],
            "cnam_lookup_enabled": record["cnam_lookup_enabled"],
            "auth_type": ",".join(auth),
            "symmetric_rtp_enabled": record["symmetric_rtp_enabled"],
            "auth_type_set": auth,
            "date_created": record["date_created"],
            "date_updated": record["date_updated"],
            "sid": sid,
            "url": url,
            "links": {key: url + suffix for key, suffix in LINK_SUFFIXES},
        }


def auth_types(account: Account, trunk_sid: str) -> List[str]:
    """``CREDENTIAL_LIST`` then ``IP_ACL``, each while a list of that kind is associated."""
    children = account.children
    return [label for key, label in AUTH_LABELS if children.get((trunk_sid, key))]


TRUNK = Trunk()


def wire_form(fields: Dict[str, Any]) -> Dict[str, str]:
    """``{field: python value}`` -> ``{WireName: str}`` for Trunk parameters (Python API input)."""
    by_field = {p.field: p for p in Trunk.params}
    form: Dict[str, str] = {}
    for name, value in fields.items():
        p = by_field.get(name)
        if p is None:
            raise TypeError(f"unknown trunk field {name!r}; expected one of {sorted(by_field)}")
        form[p.name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return form


def seed_trunks(store: Store, account_sid: str, count: int, fields: Dict[str, Any]) -> List[str]:
    """Create ``count`` trunks directly in the store (no HTTP) and return their SIDs.

    ``fields`` are trunk fields by their response names (``friendly_name=...``), validated by the
    same rules as the API. Friendly and domain names come from Faker unless given.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    values = parse_form(Trunk.params, wire_form(fields))
    if count > 1 and values.get("domain_name"):
        raise ValueError("domain_name must be unique, so it can be given only with count=1")
    with store.writing():
        existing = store.accounts.get(account_sid)
        limit = store.max_trunks_per_account
        if limit is not None and (len(existing.trunks) if existing else 0) + count > limit:
            raise errors.too_many_trunks()
        account = store.account(account_sid)
        ctx = Context(store, account, "", "/v1/Trunks")
        faker = store.faker
        sids: List[str] = []
        for _ in range(count):
            item = dict(values)
            if "friendly_name" not in item:
                item["friendly_name"] = faker.trunk_friendly_name()
            if "domain_name" not in item:
                domain = faker.trunk_domain_name()
                while store.domain_taken(domain):
                    domain = faker.trunk_domain_name()
                item["domain_name"] = domain
            sids.append(TRUNK.create(ctx, None, item)["sid"])
        return sids
