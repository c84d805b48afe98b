"""Cassette -> state snapshot (the format of ``fake_trunking.state``), for ``fake.load_cassette``
and for ``verify``'s starting point. Nothing here writes into a store: the snapshot goes through
``fake.load_state``, which validates it before replacing anything.

The interactions are read in order; only 2xx answers count. Each request is routed with the
handler's own router, so the paths mean exactly what they mean to the fake. What a response shows
(a created, fetched, updated or listed trunk, origination URL, association or recording) is the
object's state from then on; a ``DELETE`` answered 204 removes it (a deleted trunk takes its
sub-resources and associations with it, and its phone numbers become unassigned). Credential
lists, IP ACLs, phone numbers and API keys are the account's API-v2010 objects: they go to the
registry; a list's credentials and IP addresses go under it. What a cassette never holds (a
credential's password, a key's secret) is not known: such a record has ``password_hash`` or
``secret_hash`` null (``fake_trunking.state``), so it cannot authenticate until it is given one.

Accounts (docs/decisions.md "Subaccounts", "Cassettes"): an Account answer is that account's
record (``account_records``; its ``auth_token`` is derived and scrubbed, never read); a v2010
object is its path's account's, and a main account's answered request on another account's path
makes that one its subaccount (a made-up record until an Account answer shows it). A number's
``account_sid`` is its account (a moved number is the gaining account's, off its old trunk); a
closed account's numbers are released.

Two views:
- ``final_state``: the state at the end of the cassette (``fake.load_cassette``);
- ``initial_state``: what must have existed before the first request (objects the session used
  but did not create, as first seen), so a fresh fake can answer the recorded requests (``verify``).

An object the cassette only references (a sub-resource of a trunk never shown, an object deleted
before ever being shown) gets a minimal record with the fake's defaults.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Tuple
from urllib.parse import parse_qs

from ..apis import api_v2010 as v2010
from ..apis.api_v2010.account import AccountResource
from ..apis.api_v2010.incoming_phone_number import IncomingPhoneNumber
from ..apis.trunking_v1 import Resource
from ..apis.trunking_v1.origination_url import OriginationUrl
from ..apis.trunking_v1.recording import Recording
from ..apis.trunking_v1.trunk import DEFAULT_RECORDING, DEFAULTS, Trunk
from ..core import accounts as core_accounts
from ..core.collection import Record
from ..core.errors import TwilioError
from ..core.ids import ISO_DATE, is_sid
from ..core.owned_numbers import PHONE_NUMBER_DEFAULTS, PHONE_NUMBER_FIELDS
from ..core.store import format_date
from ..handler import Handler
from ..state import FORMAT, NESTED, ORIGINATION_URL_FIELDS, TRUNK_FIELDS, VERSION
from .format import Cassette, CassetteError, Interaction, PathLike, read_cassette
from .scrub import ACCOUNT_SID, PLACEHOLDER_ACCOUNT

if TYPE_CHECKING:
    from ..service import FakeTrunkingService

UNKNOWN_DATE = "1970-01-01T00:00:00Z"
LINK_KEYS = {"CL": "credential_lists", "AL": "ip_access_control_lists", "PN": "phone_numbers"}
REGISTRY = ("CL", "AL", "PN", "SK")  # the registry objects a cassette carries
# the v2010 objects under a list, by their prefix: (snapshot key, the list's prefix, fields)
_NESTED = {prefix: (key, parent, fields) for key, parent, prefix, fields in NESTED}
_NESTED_KEY = {parent: key for key, parent, _prefix, _fields in NESTED}
# what a credential or address is given for a field no answer shows (one the cassette only
# deletes shows none)
_MINIMAL_NESTED: Dict[str, Record] = {
    "CR": {"username": None},  # made up from the SID (``put_nested``)
    "IP": {"friendly_name": "unknown", "ip_address": "0.0.0.0", "cidr_prefix_length": 32},
}
# what a number's answer (Trunking's association or v2010's IncomingPhoneNumber) gives its record
_PN_FIELDS = tuple(sorted(PHONE_NUMBER_FIELDS))


class _Account:
    def __init__(self) -> None:
        self.trunks: Dict[str, Record] = {}
        self.ous: Dict[str, Dict[str, Record]] = {}
        self.links: Dict[str, Dict[str, Dict[str, None]]] = {k: {} for k in LINK_KEYS.values()}
        self.registry: Dict[str, Dict[str, Record]] = {p: {} for p in REGISTRY}
        # "credentials" / "ip_addresses" -> list SID -> item SID -> record
        self.nested: Dict[str, Dict[str, Dict[str, Record]]] = {k: {} for k in _NESTED_KEY.values()}


def _iso(value: Any) -> Any:
    """An API v2010 date (RFC 2822) as the store keeps dates (ISO 8601 UTC); else unchanged."""
    if not isinstance(value, str) or ISO_DATE.match(value):
        return value
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return value
    if moment.tzinfo is None:
        return value
    return format_date(moment)


def _date(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and ISO_DATE.match(value) else fallback


class _Builder:
    def __init__(self, initial: bool, rename: Optional[str]) -> None:
        self.initial = initial
        self.rename = rename
        self.primary: Optional[str] = None
        self.accounts: Dict[str, _Account] = {}
        self.created: Set[Tuple[str, ...]] = set()  # identities created during the session
        self.seen: Set[Tuple[str, ...]] = set()  # identities already given a first state
        # registry objects made up (defaults) only because something under them or an
        # association named them: the first answer that shows one still gives its state
        self.placeholders: Set[Tuple[str, str]] = set()
        # the accounts' records (``state``'s ``account_records``): as an Account answer shows
        # them, or made up for a subaccount known only because its main account used its paths
        self.account_records: Dict[str, Record] = {}
        self.account_placeholders: Set[str] = set()
        self.number_holder: Dict[str, str] = {}  # a number's SID -> the account last holding it

    # -- accounts --------------------------------------------------------------------------
    def account(self, it: Interaction, body: Any, path_account: Optional[str] = None) -> str:
        """The account that made the request: the interaction's ``account``; else (a cassette
        from elsewhere) the account its v2010 path names, or the one its answer shows."""
        raw = it.account
        if not (isinstance(raw, str) and ACCOUNT_SID.fullmatch(raw)):
            raw = path_account
        if not (isinstance(raw, str) and ACCOUNT_SID.fullmatch(raw)):
            found = body.get("account_sid") if isinstance(body, dict) else None
            raw = found if isinstance(found, str) and ACCOUNT_SID.fullmatch(found) else None
        if raw is None:
            raw = self.primary or PLACEHOLDER_ACCOUNT
        if self.primary is None:
            self.primary = raw
        return self.name(raw)

    def name(self, sid: str) -> str:
        """An account SID of the cassette as the snapshot names it (the primary renamed). The
        new name must not be another account of the cassette (two accounts would become one)."""
        if self.rename and sid == self.primary:
            return self.rename
        if self.rename and sid == self.rename:
            raise ValueError(
                f"account_sid {sid} is already another account in the cassette; "
                "load it as another account_sid"
            )
        return sid

    def acct(self, sid: str) -> _Account:
        found = self.accounts.get(sid)
        if found is None:
            found = self.accounts[sid] = _Account()
        return found

    # -- the walk --------------------------------------------------------------------------
    def observe(self, it: Interaction) -> None:
        if not 200 <= it.status < 300:
            return
        if it.path.startswith(v2010.wire.PREFIX + "/"):
            self.observe_v2010(it)
            return
        try:
            resource, parent, sid, is_collection = Handler.route(it.path)
        except TwilioError:
            return
        body = it.json()
        ac = self.account(it, body)
        method = it.method.upper()
        if method == "GET" and is_collection:
            items = body.get(resource.key) if isinstance(body, dict) and resource.key else None
            for item in items if isinstance(items, list) else ():
                self.show(ac, resource, parent, item, created=False)
        elif method == "POST" and is_collection:
            self.show(ac, resource, parent, body, created=it.status == 201)
        elif method in ("GET", "POST"):
            self.show(ac, resource, parent, body, created=False)
        elif method == "DELETE" and sid is not None:
            self.delete(ac, resource, parent, sid)

    def observe_v2010(self, it: Interaction) -> None:
        """API v2010 objects: credential lists, IP ACLs and incoming phone numbers (the registry
        objects Trunking associates), API keys, and the credentials and IP addresses under the
        lists. What an answer shows is the object's state (a number's ``trunk_sid`` its
        association); a 204 DELETE removes it (a released number leaves its trunk; a deleted
        list takes its credentials or addresses and its associations with it). In the initial
        view the first sighting of an object the session did not create is its pre-existing
        state, as for trunks' origination URLs; an item seen under a list the cassette never
        shows gives that list a placeholder, which the list's first answer fills.

        Secrets are never in a cassette (scrubbed), so a rebuilt credential's ``password_hash``
        and a rebuilt key's ``secret_hash`` are null: the credential has no usable password
        until an update gives it one, the key never authenticates (docs/decisions.md "API
        v2010"). AvailablePhoneNumbers are a read of what is for sale, not state: not carried."""
        try:
            resource, path_account, parent, sid, is_collection = v2010.route(it.path)
        except TwilioError:
            return
        body = it.json()
        if isinstance(resource, AccountResource):
            self.path_account(it, body, path_account)
            self.observe_accounts(it, body, is_collection)
            return
        prefix = "PN" if isinstance(resource, IncomingPhoneNumber) else resource.prefix or ""
        if resource.parent is not None:
            if prefix not in _NESTED or parent is None:
                return
            under: str = parent

            def show(ac: str, item: Any, created: bool) -> None:
                self.show_nested(ac, prefix, under, item, created)

            def delete(ac: str, sid: str) -> None:
                self.delete_nested(ac, prefix, under, sid)

        elif prefix == "PN":

            def show(ac: str, item: Any, created: bool) -> None:
                self.show_number(ac, item, created)

            def delete(ac: str, sid: str) -> None:
                self.delete_object(ac, prefix, sid)

        elif prefix in REGISTRY:

            def show(ac: str, item: Any, created: bool) -> None:
                self.show_object(ac, prefix, item, created)

            def delete(ac: str, sid: str) -> None:
                self.delete_object(ac, prefix, sid)

        else:
            return
        ac = self.path_account(it, body, path_account)
        method = it.method.upper()
        if method == "GET" and is_collection:
            items = body.get(resource.key) if isinstance(body, dict) and resource.key else None
            for item in items if isinstance(items, list) else ():
                show(ac, item, False)
        elif method == "POST" and is_collection:
            show(ac, body, it.status == 201)
        elif method in ("GET", "POST"):
            show(ac, body, False)
        elif method == "DELETE" and sid is not None:
            delete(ac, sid)

    # -- accounts and subaccounts (API v2010 Accounts) -------------------------------------
    def path_account(self, it: Interaction, body: Any, path_account: Optional[str]) -> str:
        """The account whose objects a v2010 request touched: the one its path names (where
        the fake keeps them; a main account reaches its subaccounts'), else the caller's. A
        caller on another account's path is that account's main account."""
        caller = self.account(it, body, path_account)
        ac = caller if path_account is None else self.name(path_account)
        if ac != caller:
            self.subaccount_used(ac, caller)
        return ac

    def observe_accounts(self, it: Interaction, body: Any, is_collection: bool) -> None:
        """``CreateAccount`` (201), ``ListAccount``, fetch and ``UpdateAccount`` answers: each
        shows an account's record (``core.accounts.FIELDS``; never its ``auth_token``, which is
        derived and scrubbed). In the initial view an update that set ``Status`` shows the
        status after it, so the status before is taken as ``active`` (a main account may
        suspend or close an active subaccount; one that was suspended replays alike)."""
        method = it.method.upper()
        if method == "GET" and is_collection:
            items = body.get("accounts") if isinstance(body, dict) else None
            for item in items if isinstance(items, list) else ():
                self.show_account(item, created=False, changed_status=False)
        elif method == "POST" and is_collection:
            self.show_account(body, created=it.status == 201, changed_status=False)
        elif method == "POST":
            form = parse_qs(it.request_body or "", keep_blank_values=True)
            self.show_account(body, created=False, changed_status="Status" in form)
        elif method == "GET":
            self.show_account(body, created=False, changed_status=False)

    def show_account(self, item: Any, created: bool, changed_status: bool) -> None:
        if not isinstance(item, dict) or not is_sid(item.get("sid"), "AC"):
            return
        sid = self.name(item["sid"])
        shown = item.get("owner_account_sid")
        owner = self.name(str(shown)) if is_sid(shown, "AC") else sid
        name = item.get("friendly_name")
        status = item.get("status")
        kind = item.get("type")
        record: Record = {
            "sid": sid,
            "owner_account_sid": owner,
            "friendly_name": name[: core_accounts.MAX_FRIENDLY_NAME]
            if isinstance(name, str)
            else "unknown",
            "status": status if status in core_accounts.STATUSES else "active",
            "type": kind if kind in core_accounts.TYPES else "Full",
        }
        record["date_created"] = _date(_iso(item.get("date_created")), UNKNOWN_DATE)
        record["date_updated"] = _date(_iso(item.get("date_updated")), record["date_created"])
        if owner == sid:  # a main account is always active (``core.accounts``)
            record["status"] = "active"
        if self.initial:
            if not self.first_time(("AC", sid), created):
                return
            if changed_status:
                record["status"] = "active"
        self.account_records[sid] = record
        self.account_placeholders.discard(sid)

    def subaccount_used(self, sub: str, main: str) -> None:
        """A request by ``main`` on ``sub``'s v2010 paths was answered: ``sub`` is a subaccount
        of ``main`` (nothing else reaches another account's paths, ``core.accounts.may_reach``).
        Unless an Account answer shows it, or the session created it, its record is made up:
        active, ``Full``, named ``unknown``, dated ``UNKNOWN_DATE``."""
        if sub in self.account_records or (self.initial and ("AC", sub) in self.created):
            return
        self.account_records[sub] = {
            "sid": sub,
            "owner_account_sid": main,
            "friendly_name": "unknown",
            "status": "active",
            "type": "Full",
            "date_created": UNKNOWN_DATE,
            "date_updated": UNKNOWN_DATE,
        }
        self.account_placeholders.add(sub)

    # -- phone numbers (either API) ---------------------------------------------------------
    def show_number(self, ac: str, item: Any, created: bool) -> None:
        """A v2010 answer showing a number. Its ``account_sid`` is its account from then on: an
        update with ``AccountSid`` answers in the gaining account, so in the final view the
        number moves there, out of the losing account's registry and off its trunk. In the
        initial view the first sighting is where it was before the request (the path's
        account), as for every object."""
        if not self.initial and isinstance(item, dict):
            shown = item.get("account_sid")
            if is_sid(shown, "AC"):
                ac = self.name(str(shown))
            sid = item.get("sid")
            if is_sid(sid, "PN"):
                self.move_number(str(sid), ac)
        self.show_object(ac, "PN", item, created)

    def move_number(self, sid: str, gaining: str) -> None:
        """Take the number ``sid`` out of the other account holding it (its registry and its
        trunk)."""
        holder = self.number_holder.get(sid)
        account = self.accounts.get(holder) if holder not in (None, gaining) else None
        if account is not None and sid in account.registry["PN"]:
            del account.registry["PN"][sid]
            for links in account.links[LINK_KEYS["PN"]].values():
                links.pop(sid, None)

    def unshown(self, ac: str, prefix: str, sid: str) -> bool:
        """Whether no answer has given the registry object ``sid`` a state yet (it is not
        known, or only as a placeholder)."""
        return sid not in self.acct(ac).registry[prefix] or (prefix, sid) in self.placeholders

    def show_object(self, ac: str, prefix: str, item: Any, created: bool) -> None:
        if not isinstance(item, dict) or not is_sid(item.get("sid"), prefix):
            return
        sid = item["sid"]
        shown = dict(item)
        for name in ("date_created", "date_updated"):
            shown[name] = _iso(item.get(name))
        # in the initial view, the first sighting (by either API) gives a pre-existing state
        if not self.initial or (
            self.first_time((prefix, sid), created) and self.unshown(ac, prefix, sid)
        ):
            self.put_object(ac, prefix, sid, shown)
            if prefix == "PN":
                self.number_on_trunk(ac, sid, item.get("trunk_sid"))

    # -- credentials and IP addresses (under a list) ---------------------------------------
    def list_for(self, ac: str, prefix: str, parent: str) -> bool:
        """Make sure the list ``parent`` of an item exists (a placeholder if never shown); False
        in the initial view when the session created the list (so it made its items too)."""
        list_prefix = _NESTED[prefix][1]
        if self.initial and (list_prefix, parent) in self.created:
            return False
        if parent not in self.acct(ac).registry[list_prefix]:
            self.put_object(ac, list_prefix, parent, {})
            self.placeholders.add((list_prefix, parent))
        return True

    def show_nested(self, ac: str, prefix: str, parent: str, item: Any, created: bool) -> None:
        if not isinstance(item, dict) or not is_sid(item.get("sid"), prefix):
            return
        if not self.list_for(ac, prefix, parent):
            return
        sid = item["sid"]
        if not self.initial or self.first_time((prefix, sid), created):
            self.put_nested(ac, prefix, parent, sid, item)

    def delete_nested(self, ac: str, prefix: str, parent: str, sid: str) -> None:
        key = _NESTED[prefix][0]
        if not self.initial:
            self.acct(ac).nested[key].get(parent, {}).pop(sid, None)
            return
        if self.list_for(ac, prefix, parent) and self.first_time((prefix, sid), created=False):
            self.put_nested(ac, prefix, parent, sid, {})

    def put_nested(self, ac: str, prefix: str, parent: str, sid: str, item: Dict[str, Any]) -> None:
        """The record of a credential or an IP address as an answer shows it: its stored fields
        (``state.NESTED``), a made-up value for a field it does not show (``_MINIMAL_NESTED``);
        a credential's password is not known (``password_hash`` null)."""
        key, _list_prefix, fields = _NESTED[prefix]
        item = {**_MINIMAL_NESTED[prefix], **item}
        record: Record = {name: item.get(name) for name in sorted(fields)}
        for name in ("date_created", "date_updated"):
            record[name] = _iso(record[name])
        record["date_created"] = _date(record["date_created"], UNKNOWN_DATE)
        record["date_updated"] = _date(record["date_updated"], record["date_created"])
        record.update(sid=sid, account_sid=ac)
        if prefix == "CR":
            record.update(credential_list_sid=parent, password_hash=None)
            if record["username"] is None:
                record["username"] = f"unknown-{sid[-8:]}"
        else:
            record["ip_access_control_list_sid"] = parent
        self.acct(ac).nested[key].setdefault(parent, {})[sid] = record

    def number_on_trunk(self, ac: str, sid: str, trunk_sid: Any) -> None:
        """A v2010 number's ``trunk_sid`` is its association: on that trunk (moved off any
        other), or on none when null. In the initial view, only a trunk the session did not
        create can have held it before."""
        links = self.acct(ac).links[LINK_KEYS["PN"]]
        for other in links.values():
            other.pop(sid, None)
        if not is_sid(trunk_sid, "TK"):
            return
        if self.initial and ("TK", trunk_sid) in self.created:
            return
        self.trunk(ac, trunk_sid)
        if self.initial:
            self.seen.add(("PN", trunk_sid, sid))
        self.link(ac, "PN", trunk_sid, sid)

    def delete_object(self, ac: str, prefix: str, sid: str) -> None:
        if self.initial:
            # deleted before any answer showed it: it existed
            if self.first_time((prefix, sid), created=False) and self.unshown(ac, prefix, sid):
                self.put_object(ac, prefix, sid, {})
            return
        account = self.acct(ac)
        account.registry[prefix].pop(sid, None)
        if prefix in _NESTED_KEY:  # a deleted list takes its credentials or addresses
            account.nested[_NESTED_KEY[prefix]].pop(sid, None)
        for links in account.links.get(LINK_KEYS.get(prefix, ""), {}).values():
            links.pop(sid, None)

    @staticmethod
    def identity(resource: Resource, parent: Optional[str], sid: str) -> Tuple[str, ...]:
        """An association is one per (trunk, object); anything else is its SID."""
        if resource.prefix in LINK_KEYS:
            return (resource.prefix or "", parent or "", sid)
        return (resource.prefix or "", sid)

    def first_time(self, ident: Tuple[str, ...], created: bool) -> bool:
        """In the initial view: whether this sighting gives the object its (pre-existing) state."""
        if created:
            self.created.add(ident)
            return False
        if ident in self.created or ident in self.seen:
            return False
        self.seen.add(ident)
        return True

    def show(
        self, ac: str, resource: Resource, parent: Optional[str], item: Any, created: bool
    ) -> None:
        if not isinstance(item, dict):
            return
        if isinstance(resource, Recording):
            if parent is not None:
                self.recording(ac, parent, item)
            return
        sid = item.get("sid")
        if not (isinstance(sid, str) and resource.valid_sid(sid)):
            return
        if isinstance(resource, Trunk):
            if not self.initial or self.first_time(("TK", sid), created):
                self.put_trunk(ac, sid, item)
            return
        if parent is None:
            return
        if not (self.initial and ("TK", parent) in self.created):
            self.trunk(ac, parent)  # the parent trunk exists (before the session, if initial)
        ident = self.identity(resource, parent, sid)
        if isinstance(resource, OriginationUrl):
            if not self.initial or self.first_time(ident, created):
                self.put_ou(ac, parent, sid, item)
            return
        prefix = resource.prefix or ""
        if prefix == "PN" and not self.initial:
            self.move_number(sid, ac)  # a trunk's number is its account's (moved there)
        # the API-v2010 object pre-existed, unless the session made it through API v2010
        if not self.initial or (
            self.unshown(ac, prefix, sid) and (prefix, sid) not in self.created
        ):
            self.put_object(ac, prefix, sid, item)
        if not self.initial or self.first_time(ident, created):
            self.link(ac, prefix, parent, sid)

    def delete(self, ac: str, resource: Resource, parent: Optional[str], sid: str) -> None:
        if isinstance(resource, Recording):
            return
        ident = self.identity(resource, parent, sid)
        if self.initial:
            if self.first_time(ident, created=False):  # deleted before ever shown: it existed
                self.minimal(ac, resource, parent, sid)
            return
        account = self.acct(ac)
        if isinstance(resource, Trunk):
            account.trunks.pop(sid, None)
            account.ous.pop(sid, None)
            for links in account.links.values():
                links.pop(sid, None)
        elif parent is not None and isinstance(resource, OriginationUrl):
            account.ous.get(parent, {}).pop(sid, None)
        elif parent is not None and resource.prefix in LINK_KEYS:
            account.links[LINK_KEYS[resource.prefix or ""]].get(parent, {}).pop(sid, None)

    # -- records ---------------------------------------------------------------------------
    def trunk(self, ac: str, sid: str) -> Record:
        """The trunk ``sid`` of ``ac``, a minimal one if the cassette never showed it."""
        account = self.acct(ac)
        found = account.trunks.get(sid)
        if found is None:
            found = account.trunks[sid] = self.default_trunk(ac, sid)
        return found

    @staticmethod
    def default_trunk(ac: str, sid: str) -> Record:
        record: Record = dict(DEFAULTS)
        record.update(
            sid=sid,
            account_sid=ac,
            recording=dict(DEFAULT_RECORDING),
            date_created=UNKNOWN_DATE,
            date_updated=UNKNOWN_DATE,
        )
        return record

    def put_trunk(self, ac: str, sid: str, item: Dict[str, Any]) -> None:
        account = self.acct(ac)
        record = account.trunks.get(sid) or self.default_trunk(ac, sid)
        for name in TRUNK_FIELDS:
            if name in item and name not in ("sid", "account_sid", "recording"):
                record[name] = item[name]
        self.set_recording(record, item.get("recording"))
        record["date_created"] = _date(record["date_created"], UNKNOWN_DATE)
        record["date_updated"] = _date(record["date_updated"], record["date_created"])
        account.trunks[sid] = record

    @staticmethod
    def set_recording(trunk: Record, value: Any) -> None:
        if isinstance(value, dict):
            merged = dict(trunk.get("recording") or DEFAULT_RECORDING)
            merged.update({k: value[k] for k in ("mode", "trim") if isinstance(value.get(k), str)})
            trunk["recording"] = merged

    def recording(self, ac: str, parent: str, item: Dict[str, Any]) -> None:
        ident = ("TK", parent)
        if self.initial and (ident in self.created or ident in self.seen):
            return
        self.set_recording(self.trunk(ac, parent), item)

    def put_ou(self, ac: str, trunk_sid: str, sid: str, item: Dict[str, Any]) -> None:
        record: Record = {name: item.get(name) for name in ORIGINATION_URL_FIELDS}
        record.update(sid=sid, account_sid=ac, trunk_sid=trunk_sid)
        record["date_created"] = _date(record["date_created"], UNKNOWN_DATE)
        record["date_updated"] = _date(record["date_updated"], record["date_created"])
        self.acct(ac).ous.setdefault(trunk_sid, {})[sid] = record

    def put_object(self, ac: str, prefix: str, sid: str, item: Dict[str, Any]) -> None:
        if prefix == "PN":
            obj: Record = dict(PHONE_NUMBER_DEFAULTS)
            obj.update({name: item[name] for name in _PN_FIELDS if name in item})
            if not isinstance(obj.get("capabilities"), dict):
                obj["capabilities"] = dict(PHONE_NUMBER_DEFAULTS["capabilities"])
            if not isinstance(obj.get("phone_number"), str):
                obj["phone_number"] = self.made_up_number(sid)
        else:
            obj = {"friendly_name": item.get("friendly_name")}
            obj["date_created"] = item.get("date_created")
            obj["date_updated"] = item.get("date_updated")
            if prefix == "SK":  # a key's secret is never in a cassette: not known
                obj["secret_hash"] = None
        obj.update(sid=sid, account_sid=ac, trunk_sid=None)
        obj["date_created"] = _date(obj.get("date_created"), UNKNOWN_DATE)
        obj["date_updated"] = _date(obj.get("date_updated"), obj["date_created"])
        if prefix != "PN":
            del obj["trunk_sid"]
        self.acct(ac).registry[prefix][sid] = obj
        self.placeholders.discard((prefix, sid))
        if prefix == "PN":
            self.number_holder[sid] = ac

    def link(self, ac: str, prefix: str, trunk_sid: str, sid: str) -> None:
        links = self.acct(ac).links[LINK_KEYS[prefix]]
        if prefix == "PN":  # a number is on one trunk at a time: associating moves it
            for other in links.values():
                other.pop(sid, None)
        links.setdefault(trunk_sid, {})[sid] = None

    def minimal(self, ac: str, resource: Resource, parent: Optional[str], sid: str) -> None:
        if isinstance(resource, Trunk):
            self.trunk(ac, sid)
        elif parent is not None and isinstance(resource, OriginationUrl):
            self.trunk(ac, parent)
            item = {"weight": 10, "priority": 10, "enabled": True, "friendly_name": ""}
            self.put_ou(ac, parent, sid, {**item, "sip_url": "sip:unknown.invalid"})
        elif parent is not None and resource.prefix in LINK_KEYS:
            self.trunk(ac, parent)
            prefix = resource.prefix or ""
            if sid not in self.acct(ac).registry[prefix]:
                self.put_object(ac, prefix, sid, {})
                self.placeholders.add((prefix, sid))
            self.link(ac, prefix, parent, sid)

    def made_up_number(self, sid: str) -> str:
        used = {
            o.get("phone_number") for a in self.accounts.values() for o in a.registry["PN"].values()
        }
        n = int(sid[2:], 16) % 10**10
        while f"+1{n:010d}" in used:
            n = (n + 1) % 10**10
        return f"+1{n:010d}"

    # -- output ----------------------------------------------------------------------------
    def snapshot(self) -> Dict[str, Any]:
        accounts: Dict[str, Any] = {}
        for ac, account in self.accounts.items():
            if self.account_records.get(ac, {}).get("status") == "closed":
                # closing released its numbers (``core.accounts.release_numbers``)
                account.registry["PN"].clear()
                account.links[LINK_KEYS["PN"]].clear()
            links = {
                key: {tk: list(sids) for tk, sids in per.items() if sids and tk in account.trunks}
                for key, per in account.links.items()
            }
            on_trunk = {sid: tk for tk, sids in links["phone_numbers"].items() for sid in sids}
            for sid, obj in account.registry["PN"].items():
                obj["trunk_sid"] = on_trunk.get(sid)
            accounts[ac] = {
                "trunks": list(account.trunks.values()),
                "origination_urls": {
                    tk: list(ous.values())
                    for tk, ous in account.ous.items()
                    if ous and tk in account.trunks
                },
                **links,
                "registry": {
                    p: list(objs.values())
                    for p, objs in account.registry.items()
                    if p in LINK_KEYS or objs
                },
            }
            for prefix, key in _NESTED_KEY.items():
                nested = {
                    parent: list(items.values())
                    for parent, items in account.nested[key].items()
                    if items and parent in account.registry[prefix]
                }
                if nested:
                    accounts[ac][key] = nested
        out: Dict[str, Any] = {"format": FORMAT, "version": VERSION, "accounts": accounts}
        if self.account_records:
            out["account_records"] = dict(self.account_records)
        return out


def _build(cassette: Cassette, initial: bool, account_sid: Optional[str]) -> Dict[str, Any]:
    builder = _Builder(initial, account_sid)
    for it in cassette.interactions:
        builder.observe(it)
    return builder.snapshot()


def primary_account(cassette: Cassette) -> str:
    """The account a cassette was made with: its first ``account``, else the first account SID
    a response shows (a vcrpy cassette from elsewhere), else the placeholder."""
    if cassette.accounts:
        return cassette.accounts[0]
    for it in cassette.interactions:
        found = ACCOUNT_SID.search(it.response_body)
        if found:
            return found.group(0)
    return PLACEHOLDER_ACCOUNT


def final_state(cassette: Cassette, account_sid: Optional[str] = None) -> Dict[str, Any]:
    """The state the cassette ends in. ``account_sid`` renames the cassette's (first) account;
    ValueError if it is another account the cassette shows."""
    return _build(cassette, False, account_sid)


def initial_state(cassette: Cassette) -> Dict[str, Any]:
    """What existed before the cassette's first request, as far as the cassette shows it."""
    return _build(cassette, True, None)


def load_into(fake: FakeTrunkingService, path: PathLike, account_sid: Optional[str] = None) -> None:
    """``fake.load_cassette``: replace the fake's state with the cassette's final state.

    The cassette's (first, scrubbed) account becomes ``account_sid`` (default: the fake's
    ``default_account_sid``), so ``fake.client()`` sees what the recorded account saw.
    """
    cassette = read_cassette(path)
    try:
        fake.load_state(final_state(cassette, account_sid or fake.default_account_sid))
    except ValueError as exc:
        raise CassetteError(f"{path}: cannot seed the fake from it: {exc}") from None
