"""State snapshots: the whole store as plain JSON data, and back.

Used by ``fake.dump_state()`` / ``fake.load_state()``, the server's ``--state FILE``, and anything
that seeds a fake (cassettes). Format, version 1::

    {"format": "fake-trunking-state", "version": 1,
     "accounts": {"AC…": {
         "trunks": [<trunk record>, …],                    # creation order
         "origination_urls": {"TK…": [<record>, …]},
         "credential_lists": {"TK…": ["CL…", …]},           # associations, in order
         "ip_access_control_lists": {"TK…": ["AL…", …]},
         "phone_numbers": {"TK…": ["PN…", …]},
         "registry": {"CL": [<object>, …], "AL": [...], "PN": [...], "SK": [...]},
         "credentials": {"CL…": [<credential>, …]},       # API v2010, under their list
         "ip_addresses": {"AL…": [<ip address>, …]}}},
     "reserved_domains": {"old.pstn.twilio.com": "2026-12-31T10:00:00Z", …},
     "held_numbers": {"+14155550123": "2026-12-11T10:00:00Z", …},
     "account_records": {"AC…": {"sid": "AC…", "owner_account_sid": "AC…",
                                 "friendly_name": …, "status": "active", "type": "Full",
                                 "date_created": …, "date_updated": …}, …}}

``registry.SK`` (API keys made through the Keys API), ``credentials`` and ``ip_addresses`` are
present only when some are. A credential holds ``password_hash`` and a key ``secret_hash`` (salted
hashes, ``core.redact``), never a password or secret in the clear; a snapshot with anything else
there is refused. Either is ``null`` when the secret is not known (a credential or key rebuilt
from a cassette, which never holds one): such a credential has no usable password until an update
sets one, such a key never authenticates. The field is still required (a missing one is refused).

``reserved_domains`` (present only when some are; see ``domain_reservation_days``) maps each
lower-cased DomainName of a deleted trunk to the moment it is free again; a reservation that has
expired is not dumped. A snapshot without it has none. ``held_numbers`` (the same way; see
``number_hold_days``) maps each released phone number on hold to the moment it is for sale again.

``account_records`` (present only when some are) holds the subaccounts made through
``CreateAccount`` and the main accounts that were updated (``core.accounts``): a subaccount's
owner is a main account (no grandchildren), a main account is active, a closed account holds no
phone numbers. A subaccount's auth token is derived, never stored.

Records hold the stored fields (response field names), not derived ones (``url``, ``links``,
``auth_type``). ``load`` checks everything before it replaces anything: a bad snapshot raises
``ValueError`` naming the problem and leaves the store as it was.

Cost bounds: a snapshot's shape is checked before any object is built, so a small file cannot
make a large store: at most ``MAX_ACCOUNTS`` accounts (an empty account costs about 1 KiB in
memory for the 40 bytes it takes in JSON), no account with more trunks than the store's
``max_trunks_per_account``, no trunk with more origination URLs than the store's
``max_origination_urls_per_trunk``, at most ``MAX_OBJECTS`` objects in all (and at most as many
domain reservations). Loading is pure Python, so a signal handler that raises
(``fake-trunking serve`` on SIGTERM) stops it at once.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional, Set, Tuple

from .apis.api_v2010.account import Key
from .apis.api_v2010.credential import MAX_USERNAME
from .apis.api_v2010.ip_address import IpAddress
from .apis.trunking_v1 import recording
from .apis.trunking_v1.origination_url import OriginationUrl
from .apis.trunking_v1.recording import Recording
from .apis.trunking_v1.trunk import Trunk, check_domain
from .core import accounts as core_accounts
from .core import numbering, owned_numbers
from .core.collection import Record
from .core.errors import TwilioError
from .core.ids import ISO_DATE, is_sid
from .core.params import Param
from .core.redact import SCHEME, is_hash
from .core.store import DATE_FORMAT, Account, Store, format_date

FORMAT = "fake-trunking-state"
VERSION = 1
MAX_ACCOUNTS = 100_000  # accounts in one snapshot
MAX_OBJECTS = 5_000_000  # trunks, origination URLs, registry objects and associations in all

TRUNK_FIELDS = frozenset(
    {
        "sid", "account_sid", "friendly_name", "domain_name", "disaster_recovery_url",
        "disaster_recovery_method", "secure", "cnam_lookup_enabled", "transfer_mode",
        "transfer_caller_id", "symmetric_rtp_enabled", "recording", "date_created",
        "date_updated",
    }
)  # fmt: skip
ORIGINATION_URL_FIELDS = frozenset(
    {
        "sid", "account_sid", "trunk_sid", "weight", "priority", "enabled", "friendly_name",
        "sip_url", "date_created", "date_updated",
    }
)  # fmt: skip
ASSOCIATIONS = (
    ("credential_lists", "CL"),
    ("ip_access_control_lists", "AL"),
    ("phone_numbers", "PN"),
)

_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")
KEY_FIELDS = frozenset(
    {"sid", "account_sid", "friendly_name", "date_created", "date_updated", "secret_hash"}
)
# API-v2010 objects under a registry object: (snapshot key, parent prefix, own prefix, fields)
NESTED = (
    (
        "credentials", "CL", "CR",
        frozenset({"sid", "account_sid", "credential_list_sid", "username", "password_hash",
                   "date_created", "date_updated"}),
    ),
    (
        "ip_addresses", "AL", "IP",
        frozenset({"sid", "account_sid", "friendly_name", "ip_address", "cidr_prefix_length",
                   "ip_access_control_list_sid", "date_created", "date_updated"}),
    ),
)  # fmt: skip
ADDRESS_REQUIREMENTS = owned_numbers.ADDRESS_REQUIREMENTS
PHONE_NUMBER_FIELDS = owned_numbers.PHONE_NUMBER_FIELDS


def dump(store: Store) -> Dict[str, Any]:
    """The store as JSON-ready data (a deep copy; safe to keep and mutate)."""
    with store.lock:
        accounts: Dict[str, Any] = {}
        for sid, account in store.accounts.items():
            trunks = list(account.trunks)
            entry: Dict[str, Any] = {
                "trunks": [dict(t, recording=recording.shown(t["recording"])) for t in trunks],
                "origination_urls": {},
                "registry": {
                    k: [_copy(o) for o in v]
                    for k, v in account.registry.items()
                    if k in ("CL", "AL", "PN") or len(v)
                },
            }
            for key, parent_prefix, _prefix, _fields in NESTED:
                nested: Dict[str, Any] = {}
                for parent in account.registry[parent_prefix]:
                    items = account.nested_items(parent["sid"], key)
                    if items is not None and len(items):
                        nested[parent["sid"]] = [_copy(r) for r in items]
                if nested:
                    entry[key] = nested
            for key, _prefix in ASSOCIATIONS:
                entry[key] = {}
            for trunk in trunks:
                tk = trunk["sid"]
                ous = account.child(tk, "origination_urls")
                if ous is not None and len(ous):
                    entry["origination_urls"][tk] = [_copy(r) for r in ous]
                for key, _prefix in ASSOCIATIONS:
                    items = account.child(tk, key)
                    if items is not None and len(items):
                        entry[key][tk] = [r["sid"] for r in items]
            accounts[sid] = entry
        out: Dict[str, Any] = {"format": FORMAT, "version": VERSION, "accounts": accounts}
        reserved = store.live_reservations()
        if reserved:
            out["reserved_domains"] = {k: format_date(v) for k, v in reserved.items()}
        held = store.live_holds()
        if held:
            out["held_numbers"] = {k: format_date(v) for k, v in held.items()}
        if store.account_records:
            out["account_records"] = {k: _copy(v) for k, v in store.account_records.items()}
        return out


def load(store: Store, snapshot: Mapping[str, Any]) -> None:
    """Replace the store's state with ``snapshot`` (validated first; ValueError if bad)."""
    accounts, domains, numbers = _build(
        snapshot, store.max_trunks_per_account, store.max_origination_urls_per_trunk
    )
    keys = {k["sid"]: sid for sid, a in accounts.items() for k in a.registry["SK"]}
    reserved = _reservations(snapshot.get("reserved_domains", {}), domains)
    held = _holds(snapshot.get("held_numbers", {}), numbers)
    records = _account_records(snapshot.get("account_records", {}), accounts)
    with store.writing(replace=True):
        store.accounts.clear()
        store.accounts.update(accounts)
        store.domains.clear()
        store.domains.update(domains)
        store.reserved_domains.clear()
        store.reserved_domains.update(reserved)
        store.numbers.clear()
        store.numbers.update(numbers)
        store.held_numbers.clear()
        store.held_numbers.update(held)
        store.key_accounts.clear()
        store.key_accounts.update(keys)
        store.account_records.clear()
        store.account_records.update(records)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class _Bad(ValueError):
    pass


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise _Bad(f"invalid state at {where}: {what}")


def _sid(value: Any, prefix: str, where: str) -> str:
    _need(is_sid(value, prefix), where, f"not a {prefix} SID")
    return str(value)


def _record(value: Any, fields: frozenset[str], where: str) -> Record:
    _need(isinstance(value, dict), where, "not an object")
    keys = set(value)
    _need(keys == fields, where, f"fields {sorted(keys ^ fields)} missing or unknown")
    for name in ("date_created", "date_updated"):
        _need(isinstance(value[name], str) and bool(ISO_DATE.match(value[name])), where, name)
    return dict(_copy(value))


def _check_params(record: Mapping[str, Any], params: Tuple[Param, ...], where: str) -> None:
    """Each stored value must be one the API itself could have stored: the same ``Param`` rules
    (types, enums, ranges, lengths, formats) that validate requests validate snapshots."""
    for p in params:
        value = record[p.field]
        if value is None:
            _need(p.type == "string", where, f"{p.field} cannot be null")
            continue
        if p.type == "boolean":
            _need(isinstance(value, bool), where, f"{p.field} must be true or false")
            continue
        if p.type == "integer":
            _need(isinstance(value, int) and not isinstance(value, bool), where, p.field)
        else:
            _need(isinstance(value, str), where, f"{p.field} must be a string")
        try:
            parsed = p.parse(str(value))
        except TwilioError as exc:
            raise _Bad(f"invalid state at {where}: {exc.message}") from None
        _need(parsed == value, where, f"{p.field} {value!r} is not in its stored form")


def _reservations(raw: Any, domains: Mapping[str, Any]) -> Dict[str, datetime]:
    """``reserved_domains``: lower-cased domains (by the DomainName rule) of no live trunk, each
    to a date; oldest first, as the store keeps them."""

    def check(domain: Any, w: str) -> None:
        _need(isinstance(domain, str) and domain == domain.lower(), w, "not a lower-cased name")
        try:
            check_domain(domain)  # the DomainName rule
        except TwilioError as exc:
            raise _Bad(f"invalid state at {w}: {exc.message}") from None
        _need(domain not in domains, w, "the domain is also a live trunk's")

    return _until_map(raw, "reserved_domains", check)


def _holds(raw: Any, numbers: Mapping[str, Any]) -> Dict[str, datetime]:
    """``held_numbers``: E.164 numbers no account owns, each to the date it is for sale again;
    oldest first, as the store keeps them."""

    def check(number: Any, w: str) -> None:
        _need(isinstance(number, str) and numbering.is_e164(number), w, "not an E.164 number")
        _need(number not in numbers, w, "the number is also owned")

    return _until_map(raw, "held_numbers", check)


def _until_map(raw: Any, section: str, check: Callable[[Any, str], None]) -> Dict[str, datetime]:
    """A snapshot's ``{key: date}`` section (``check`` validates each key), sorted by date."""
    _need(isinstance(raw, dict), section, "not an object")
    _need(
        len(raw) <= MAX_OBJECTS,
        section,
        f"more than the {MAX_OBJECTS} objects a snapshot may hold",
    )
    out: Dict[str, datetime] = {}
    for key, until in raw.items():
        w = f"{section}.{str(key)[:260]}"
        check(key, w)
        _need(isinstance(until, str) and bool(ISO_DATE.match(until)), w, "not a date")
        try:
            moment = datetime.strptime(until, DATE_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            raise _Bad(f"invalid state at {w}: not a date") from None
        out[key] = moment
    return dict(sorted(out.items(), key=lambda item: item[1]))


def _account_records(raw: Any, accounts: Mapping[str, Account]) -> Dict[str, Record]:
    """The snapshot's ``account_records``, checked (see the module docstring)."""
    where = "account_records"
    _need(isinstance(raw, dict), where, "not an object")
    _need(len(raw) <= MAX_ACCOUNTS, where, f"more than {MAX_ACCOUNTS} accounts")
    out: Dict[str, Record] = {}
    for sid, value in raw.items():
        w = f"{where}.{sid}"
        _sid(sid, "AC", where)
        record = _record(value, core_accounts.FIELDS, w)
        _need(record["sid"] == sid, w, "sid differs from its key")
        owner = _sid(record["owner_account_sid"], "AC", w + ".owner_account_sid")
        _need(record["status"] in core_accounts.STATUSES, w,
              "status must be one of " + ", ".join(core_accounts.STATUSES))  # fmt: skip
        _need(record["type"] in core_accounts.TYPES, w, "type must be Trial or Full")
        name = record["friendly_name"]
        _need(isinstance(name, str) and len(name) <= core_accounts.MAX_FRIENDLY_NAME, w,
              f"friendly_name must be a string of at most {core_accounts.MAX_FRIENDLY_NAME}"
              " characters")  # fmt: skip
        if owner == sid:
            _need(record["status"] == "active", w, "a main account is always active")
        if record["status"] == "closed":
            held = accounts.get(sid)
            _need(held is None or not len(held.registry["PN"]), w,
                  "a closed account holds no phone numbers")  # fmt: skip
        out[sid] = record
    for sid, record in out.items():
        owner = record["owner_account_sid"]
        if owner != sid:
            parent = out.get(owner)
            _need(parent is None or parent["owner_account_sid"] == owner, f"{where}.{sid}",
                  "its owner is itself a subaccount")  # fmt: skip
    return out


def _check_phone_number(obj: Mapping[str, Any], where: str) -> None:
    expected = PHONE_NUMBER_FIELDS
    keys = set(obj)
    _need(keys == expected, where, f"fields {sorted(keys ^ expected)} missing or unknown")
    for name in ("date_created", "date_updated"):
        _need(isinstance(obj[name], str) and bool(ISO_DATE.match(obj[name])), where, name)
    _need(obj["address_requirements"] in ADDRESS_REQUIREMENTS, where, "address_requirements")
    caps = obj["capabilities"]
    _need(
        isinstance(caps, dict) and all(isinstance(v, bool) for v in caps.values()),
        where,
        "capabilities must be an object of booleans",
    )
    for name in ("beta", "voice_caller_id_lookup"):
        _need(obj[name] is None or isinstance(obj[name], bool), where, name)
    for name in ("sms_fallback_method", "sms_method", "status_callback_method",
                 "voice_fallback_method", "voice_method"):  # fmt: skip
        _need(obj[name] in (None, "GET", "POST"), where, name)
    problem = owned_numbers.check_stored(obj)
    _need(problem is None, where, str(problem))
    for name in ("api_version", "sms_application_sid", "sms_fallback_url", "sms_url",
                 "status_callback", "voice_application_sid", "voice_fallback_url",
                 "voice_url"):  # fmt: skip
        _need(obj[name] is None or isinstance(obj[name], str), where, name)


def _hash_or_unknown(value: Any) -> bool:
    """A stored secret: a salted hash (``core.redact``), or null for one the fake does not know
    (a credential or key rebuilt from a cassette, which never holds the secret)."""
    return value is None or is_hash(value)


def _not_a_hash(name: str) -> str:
    return f"{name} is not a salted hash ({SCHEME}$...) nor null (a secret not known)"


def _load_nested(raw: Mapping[str, Any], account: Account, where: str) -> None:
    """``credentials`` and ``ip_addresses``: each under a list of the account's registry, each
    record exactly the stored fields, valid by the API's own rules (a credential's username 1 to
    32 characters and unique in its list, its ``password_hash`` a salted hash; an address's
    ``IpAddress``, ``CidrPrefixLength`` and ``FriendlyName`` by the IpAddress parameters)."""
    for key, parent_prefix, prefix, fields in NESTED:
        groups = raw.get(key, {})
        _need(isinstance(groups, dict), f"{where}.{key}", "not an object")
        parent_field = "credential_list_sid" if prefix == "CR" else "ip_access_control_list_sid"
        for parent, items in groups.items():
            w = f"{where}.{key}.{str(parent)[:34]}"
            _need(parent in account.registry[parent_prefix], w, f"no such {parent_prefix} object")
            _need(isinstance(items, list), w, "not a list")
            collection = account.nested_items(parent, key, create=True)
            assert collection is not None
            usernames: Set[str] = set()
            for i, raw_item in enumerate(items):
                wi = f"{w}[{i}]"
                item = _record(raw_item, fields, wi)
                sid = _sid(item["sid"], prefix, wi + ".sid")
                _need(item["account_sid"] == account.sid, wi, "account_sid differs")
                _need(item[parent_field] == parent, wi, f"{parent_field} differs from its list")
                _need(sid not in collection, wi, "duplicate SID")
                if prefix == "CR":
                    name = item["username"]
                    _need(
                        isinstance(name, str) and 1 <= len(name) <= MAX_USERNAME,
                        wi,
                        f"username must be 1 to {MAX_USERNAME} characters",
                    )
                    _need(name not in usernames, wi, f"username {name!r} appears twice")
                    usernames.add(name)
                    # a hash, never a password: a clear password is refused, not stored
                    _need(_hash_or_unknown(item["password_hash"]), wi, _not_a_hash("password_hash"))
                else:
                    _check_params(item, IpAddress.params, wi)
                collection.add(sid, item)


def _count(value: Any) -> int:
    """How many objects a list (or a mapping of lists) holds; 0 for anything else (its type is
    reported by the full check)."""
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        return sum(len(v) for v in value.values() if isinstance(v, list))
    return 0


def _check_shape(
    raw_accounts: Dict[str, Any], max_trunks: Optional[int], max_urls: Optional[int] = None
) -> None:
    """Refuse a snapshot too big for what it is, before anything is built (cheap: it counts)."""
    _need(
        len(raw_accounts) <= MAX_ACCOUNTS,
        "accounts",
        f"{len(raw_accounts)} accounts, more than the {MAX_ACCOUNTS} a snapshot may hold",
    )
    total = len(raw_accounts)
    for ac, raw in raw_accounts.items():
        if not isinstance(raw, dict):
            continue
        trunks = raw.get("trunks")
        if max_trunks is not None and isinstance(trunks, list) and len(trunks) > max_trunks:
            raise _Bad(
                f"invalid state at accounts.{str(ac)[:34]}.trunks: {len(trunks)} trunks, more "
                f"than max_trunks_per_account ({max_trunks})"
            )
        urls = raw.get("origination_urls")
        if max_urls is not None and isinstance(urls, dict):
            for tk, items in urls.items():
                if isinstance(items, list) and len(items) > max_urls:
                    raise _Bad(
                        f"invalid state at accounts.{str(ac)[:34]}.origination_urls."
                        f"{str(tk)[:34]}: {len(items)} origination URLs, more than "
                        f"max_origination_urls_per_trunk ({max_urls})"
                    )
        registry = raw.get("registry")
        total += _count(trunks) + (_count(registry) if isinstance(registry, dict) else 0)
        nested_keys = (k for k, _pp, _p, _f in NESTED)
        for key in ("origination_urls", *(k for k, _p in ASSOCIATIONS), *nested_keys):
            total += _count(raw.get(key))
        _need(
            total <= MAX_OBJECTS,
            "accounts",
            f"more than the {MAX_OBJECTS} objects a snapshot may hold",
        )


def _build(
    snapshot: Mapping[str, Any],
    max_trunks: Optional[int] = None,
    max_urls: Optional[int] = None,
) -> Tuple[Dict[str, Account], Dict[str, Tuple[str, str]], Dict[str, str]]:
    _need(isinstance(snapshot, Mapping), "top level", "not an object")
    _need(snapshot.get("format") == FORMAT, "format", f"expected {FORMAT!r}")
    version = snapshot.get("version")
    _need(  # true == 1 and 1.0 == 1 in Python: the type is checked too
        type(version) is int and version == VERSION, "version", f"expected {VERSION}"
    )
    raw_accounts: Dict[str, Any] = snapshot.get("accounts")  # type: ignore[assignment]
    _need(isinstance(raw_accounts, dict), "accounts", "not an object")
    _check_shape(raw_accounts, max_trunks, max_urls)
    accounts: Dict[str, Account] = {}
    domains: Dict[str, Tuple[str, str]] = {}
    numbers: Dict[str, str] = {}
    key_sids: Set[str] = set()  # an API key has one account
    for ac, raw in raw_accounts.items():
        _sid(ac, "AC", "accounts")
        where = f"accounts.{ac}"
        _need(isinstance(raw, dict), where, "not an object")
        account = Account(ac)
        registry = raw.get("registry", {})
        _need(isinstance(registry, dict), f"{where}.registry", "not an object")
        for prefix in ("CL", "AL", "PN"):
            objs = registry.get(prefix, [])
            _need(isinstance(objs, list), f"{where}.registry.{prefix}", "not a list")
            for i, obj in enumerate(objs):
                w = f"{where}.registry.{prefix}[{i}]"
                _need(isinstance(obj, dict), w, "not an object")
                sid = _sid(obj.get("sid"), prefix, w + ".sid")
                _need(obj.get("account_sid") == ac, w, "account_sid differs from its account")
                _need(isinstance(obj.get("friendly_name"), (str, type(None))), w, "friendly_name")
                if prefix == "PN":
                    # a snapshot from before API v2010 was served lacks its fields: defaults
                    obj = {**owned_numbers.V2010_DEFAULTS, **obj}
                    _check_phone_number(obj, w)
                    number = obj.get("phone_number")
                    _need(isinstance(number, str) and bool(_E164.match(number)), w, "phone_number")
                    _need(number not in numbers, w, f"phone number {number} appears twice")
                    numbers[str(number)] = sid
                _need(sid not in account.registry[prefix], w, "duplicate SID")
                account.registry[prefix].add(sid, dict(_copy(obj)))
        keys = registry.get("SK", [])
        _need(isinstance(keys, list), f"{where}.registry.SK", "not a list")
        for i, raw_key in enumerate(keys):
            w = f"{where}.registry.SK[{i}]"
            key_record = _record(raw_key, KEY_FIELDS, w)
            sid = _sid(key_record["sid"], "SK", w + ".sid")
            _need(key_record["account_sid"] == ac, w, "account_sid differs from its account")
            _check_params(key_record, Key.params, w)
            _need(_hash_or_unknown(key_record["secret_hash"]), w, _not_a_hash("secret_hash"))
            _need(sid not in account.registry["SK"] and sid not in key_sids, w, "duplicate SID")
            key_sids.add(sid)
            account.registry["SK"].add(sid, key_record)
        _load_nested(raw, account, where)
        trunks = raw.get("trunks", [])
        _need(isinstance(trunks, list), f"{where}.trunks", "not a list")
        for i, raw_trunk in enumerate(trunks):
            w = f"{where}.trunks[{i}]"
            trunk = _record(raw_trunk, TRUNK_FIELDS, w)
            tk = _sid(trunk["sid"], "TK", w + ".sid")
            _check_params(trunk, Trunk.params, w)
            _need(isinstance(trunk["symmetric_rtp_enabled"], bool), w, "symmetric_rtp_enabled")
            _need(trunk["account_sid"] == ac, w, "account_sid differs from its account")
            _need(tk not in account.trunks, w, "duplicate trunk SID")
            domain = trunk["domain_name"]
            if domain is not None:
                _need(isinstance(domain, str), w, "domain_name")
                _need(domain.lower() not in domains, w, f"domain {domain} is used twice")
                domains[domain.lower()] = (ac, tk)
            rec = trunk["recording"]
            _need(isinstance(rec, dict) and set(rec) == {"mode", "trim"}, w, "recording")
            _check_params(rec, Recording.params, f"{w}.recording")
            trunk["recording"] = recording.stored(rec)
            account.trunks.add(tk, trunk)
        ous = raw.get("origination_urls", {})
        _need(isinstance(ous, dict), f"{where}.origination_urls", "not an object")
        for tk, items in ous.items():
            w = f"{where}.origination_urls.{tk}"
            _need(tk in account.trunks, w, "no such trunk")
            _need(isinstance(items, list), w, "not a list")
            collection = account.child(tk, "origination_urls", create=True)
            assert collection is not None
            for i, raw_ou in enumerate(items):
                ou = _record(raw_ou, ORIGINATION_URL_FIELDS, f"{w}[{i}]")
                sid = _sid(ou["sid"], "OU", f"{w}[{i}].sid")
                _check_params(ou, OriginationUrl.params, f"{w}[{i}]")
                _need(ou["trunk_sid"] == tk and ou["account_sid"] == ac, f"{w}[{i}]", "owner")
                _need(sid not in collection, f"{w}[{i}]", "duplicate SID")
                collection.add(sid, ou)
        for key, prefix in ASSOCIATIONS:
            links = raw.get(key, {})
            _need(isinstance(links, dict), f"{where}.{key}", "not an object")
            for tk, sids in links.items():
                w = f"{where}.{key}.{tk}"
                _need(tk in account.trunks, w, "no such trunk")
                _need(isinstance(sids, list), w, "not a list")
                collection = account.child(tk, key, create=True)
                assert collection is not None
                for sid in sids:
                    _sid(sid, prefix, w)
                    obj = account.registry[prefix].get(sid)
                    _need(obj is not None, w, f"{sid} is not in the registry")
                    _need(sid not in collection, w, f"{sid} is associated twice")
                    assert obj is not None
                    if prefix == "PN":
                        _need(obj.get("trunk_sid") in (None, tk), w, f"{sid} is on another trunk")
                        obj["trunk_sid"] = tk
                        collection.add(sid, {"sid": sid})
                    else:
                        collection.add(sid, {"sid": sid, "trunk_sid": tk})
        for obj in account.registry["PN"]:
            on = obj.get("trunk_sid")
            if on is not None:
                linked = account.child(on, "phone_numbers")
                _need(linked is not None and obj["sid"] in linked, where, f"{obj['sid']} trunk_sid")
        accounts[ac] = account
    return accounts, domains, numbers


__all__ = ["FORMAT", "MAX_ACCOUNTS", "MAX_OBJECTS", "VERSION", "dump", "load"]
