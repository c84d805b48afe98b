"""The store: all state of the fake, per account, behind one re-entrant lock. No HTTP here.

What each resource does with this state (its rules) lives in ``fake_trunking/resources/<name>.py``;
this module holds only what they share: accounts, SID minting, the clock, the global domain index
and the registry of the account's API-v2010 objects (credential lists, IP ACLs, phone numbers).

Thread safety: every read-modify-write runs under ``Store.lock`` (an ``RLock``), taken once per
request by the handler and once per call by the Python API. Requests are therefore serialisable:
no lost writes, no duplicate SIDs, exactly one winner in a race for a DomainName or a phone number.
"""

from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ContextManager,
    Dict,
    Iterator,
    Optional,
    Protocol,
    Tuple,
)

from . import errors, journal
from .collection import Collection, Record
from .ids import ACCOUNT_SID
from .journal import Journal, JournaledDict

if TYPE_CHECKING:
    from faker import Faker

Clock = Callable[[], datetime]

# the kinds of API-v2010 object an account's registry holds (``Account.registry``)
REGISTRY_PREFIXES = ("CL", "AL", "PN", "SK")

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# (second since the epoch, its text), replaced whole (one atomic assignment: threads share it)
_last_date: Tuple[float, str] = (float("nan"), "")


def format_date(moment: datetime) -> str:
    """``moment`` (aware) as the store keeps dates: ISO 8601 UTC to the second. Every write
    stamps one or two; the text of the last second formatted is kept (``strftime`` is the
    cost)."""
    if moment.tzinfo is None:
        raise ValueError("the clock must return an aware datetime")
    global _last_date
    second = moment.timestamp() // 1
    last = _last_date
    if last[0] == second:
        return last[1]
    text = moment.astimezone(timezone.utc).strftime(DATE_FORMAT)
    _last_date = (second, text)
    return text


def _hold(table: Dict[str, datetime], key: str, now: datetime, days: int) -> None:
    """Hold ``key`` in ``table`` (key -> until, oldest first) for ``days`` from ``now``: a
    deleted trunk's domain, a released number. A few expired holds are swept from the front
    first, so churn cannot grow the table without bound (amortised O(1): each entry is swept at
    most once); the key is re-inserted last, so the order stays oldest first."""
    for _ in range(2):
        oldest = next(iter(table), None)
        if oldest is None or table[oldest] > now:
            break
        del table[oldest]
    table.pop(key, None)
    table[key] = (now + timedelta(days=days)).replace(microsecond=0)


def _live(table: Dict[str, datetime], now: datetime) -> Dict[str, datetime]:
    return {k: v for k, v in table.items() if v > now}


class _Write:
    """``Store.writing``'s context manager. Without a persister and outside another write (the
    in-process case: every write of a test) it is just the lock and a new ``generation``; else
    it hands over to ``Store._writing`` (decided under the lock, so a persister attached
    meanwhile is never missed). Cheaper than a generator per write."""

    __slots__ = ("inner", "replace", "store")

    def __init__(self, store: Store, replace: bool) -> None:
        self.store = store
        self.replace = replace
        self.inner: Optional[ContextManager[None]] = None

    def __enter__(self) -> None:
        store = self.store
        store.lock.acquire()
        if store.persister is None and journal.active() is None:
            store.generation += 1
            return
        store.lock.release()
        self.inner = store._writing(self.replace)
        self.inner.__enter__()

    def __exit__(self, *exc: Any) -> Optional[bool]:
        inner = self.inner
        if inner is None:
            self.store.lock.release()
            return None
        return inner.__exit__(*exc)


class Account:
    """Everything one Twilio account owns in the fake.

    Durable stores save what an account holds without code per resource (``core.journal``):
    each ``Collection`` attribute (``trunks``, and any a new resource adds) is owned as
    ``(sid, "", attribute)``, each registry collection (API v2010 objects) as
    ``(sid, "", "registry/<prefix>")``, and each child collection (under a trunk or a v2010
    object) as ``(sid, parent sid, key)``.
    """

    __slots__ = ("children", "nested", "registry", "sid", "trunks")

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.trunks = Collection()
        # (trunk sid, collection key) -> Collection; made on first use, dropped with the trunk
        self.children: Dict[Tuple[str, str], Collection] = {}
        # SID prefix -> the account's API-v2010 objects of that kind, in creation order:
        # CL credential lists, AL IP access control lists, PN incoming phone numbers, SK API keys.
        # CL, AL and PN are also what Trunking associates (one object, two APIs).
        self.registry: Dict[str, Collection] = {
            p: Collection((sid, "", f"registry/{p}")) for p in REGISTRY_PREFIXES
        }
        # (parent sid, collection key) -> the API-v2010 objects under one parent (a credential
        # list's credentials, an IP ACL's addresses); made on first use, dropped with the parent
        self.nested: Dict[Tuple[str, str], Collection] = {}
        for name in self.__slots__:  # own every top-level collection, present and future
            value = getattr(self, name, None)
            if isinstance(value, Collection):
                value.owner = (sid, "", name)

    def is_empty(self) -> bool:
        """Whether the account holds nothing (the handler registers only accounts that do)."""
        return not (
            len(self.trunks)
            or self.children
            or self.nested
            or any(len(c) for c in self.registry.values())
        )

    def nested_items(self, parent_sid: str, key: str, create: bool = False) -> Optional[Collection]:
        """The v2010 objects ``key`` under ``parent_sid`` (None when there never were any)."""
        found = self.nested.get((parent_sid, key))
        if found is None and create:
            found = self.nested[(parent_sid, key)] = Collection((self.sid, parent_sid, key))
        return found

    def child(self, trunk_sid: str, key: str, create: bool = False) -> Optional[Collection]:
        found = self.children.get((trunk_sid, key))
        if found is None and create:
            found = self.children[(trunk_sid, key)] = Collection((self.sid, trunk_sid, key))
        return found

    def collections(self) -> Iterator[Collection]:
        """Every owned collection of the account (top-level ones, the registry's, then the
        children of trunks and of v2010 objects)."""
        for name in self.__slots__:
            value = getattr(self, name, None)
            if isinstance(value, Collection):
                yield value
        yield from self.registry.values()
        yield from self.children.values()
        yield from self.nested.values()

    def collection_at(self, parent: str, name: str) -> Collection:
        """The owned collection ``(parent, name)`` (made when a child one is missing)."""
        if not parent:
            if name.startswith("registry/") and name[len("registry/") :] in self.registry:
                return self.registry[name[len("registry/") :]]
            value = getattr(self, name, None) if name in self.__slots__ else None
            if not isinstance(value, Collection):
                raise ValueError(f"no collection {name!r} in an account")
            return value
        if not parent.startswith("TK"):  # under a v2010 object (a list's credentials...)
            found = self.nested_items(parent, name, create=True)
            assert found is not None
            return found
        found = self.child(parent, name, create=True)
        assert found is not None
        return found

    def maps(self) -> Dict[str, Dict[Any, Any]]:
        """The account's journaled dicts by name: what a persister saves besides its
        collections (none today: the registry is collections)."""
        return {}

    def map_named(self, name: str) -> Dict[Any, Any]:
        """The account's journaled dict called ``name`` (``registry/CL``…)."""
        found = self.maps().get(name)
        if found is None:
            raise ValueError(f"no map {name!r} in an account")
        return found


class Persister(Protocol):
    """What makes a store durable (server mode's SQLite database, ``server.database``).

    ``commit`` saves what ``journal`` noted (or everything, when ``journal.replaced``) and
    raises when it could not; ``reload`` puts the store back to what was last committed.
    Both run under the store's lock.
    """

    def commit(self, store: Store, journal: Journal) -> None: ...

    def reload(self, store: Store) -> None: ...


class _Broken:
    """The persister of a store whose database could not be read back after a failed commit:
    memory may no longer match it, so every later write is refused (503, before it changes
    anything) until a restart."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause

    def commit(self, store: Store, journal: Journal) -> None:
        raise OSError(f"the state database is unusable until a restart ({self.cause})")

    def reload(self, store: Store) -> None:
        raise OSError("the state database is unusable")


class Store:
    def __init__(
        self,
        *,
        seed: Optional[int] = None,
        clock: Optional[Clock] = None,
        max_trunks_per_account: Optional[int] = 100,
        domain_reservation_days: int = 0,
        max_origination_urls_per_trunk: Optional[int] = None,
        number_hold_days: int = 0,
    ) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock: Clock = clock or utc_now
        self.max_trunks_per_account = max_trunks_per_account
        self.domain_reservation_days = domain_reservation_days
        self.max_origination_urls_per_trunk = max_origination_urls_per_trunk
        self.number_hold_days = number_hold_days
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._faker: Optional[Faker] = None
        self.accounts: Dict[str, Account] = {}
        # lower-cased domain -> (account, trunk)
        self.domains: Dict[str, Tuple[str, str]] = JournaledDict(("", "domains"))
        # lower-cased domain of a deleted trunk -> when it is free again (an aware datetime, whole
        # seconds), oldest reservation first; see ``domain_taken`` and ``release_domain``
        self.reserved_domains: Dict[str, datetime] = JournaledDict(("", "reserved_domains"))
        # E.164 number -> PN sid (a number has one owner)
        self.numbers: Dict[str, str] = JournaledDict(("", "numbers"))
        # E.164 number released -> when it is for sale again (``number_hold_days``; an aware
        # datetime, whole seconds), oldest first; see ``number_taken`` and ``hold_number``
        self.held_numbers: Dict[str, datetime] = JournaledDict(("", "held_numbers"))
        # SK sid -> account of every API key made through the Keys API (authentication index)
        self.key_accounts: Dict[str, str] = JournaledDict(("", "key_accounts"))
        # AC sid -> the account's own record (``core.accounts``): every subaccount made through
        # ``CreateAccount``, and a main account once it was updated (until then it is derived)
        self.account_records: Dict[str, Record] = JournaledDict(("", "account_records"))
        # SK sid -> (its secret hash, SHA-256 of the secret last verified against it): a key's
        # later requests cost one SHA-256, not a PBKDF2 (memory only, never dumped; a new hash,
        # a deleted key or a load makes the entry stale)
        self._verified_keys: Dict[str, Tuple[str, bytes]] = {}
        self.started = self.now()  # the fake's start: every Account's date_created
        # bumped by every write (see ``writing``): whatever is derived from state, like the
        # handler's cache of encoded pages, is valid only for the generation it was made in
        self.generation = 0
        # set by a durable server (``--state FILE.db``): every write is committed by it before
        # ``writing`` returns, or undone and refused with a 503
        self.persister: Optional[Persister] = None

    def maps(self) -> Dict[str, Dict[Any, Any]]:
        """The store's own journaled dicts, by name (what a persister saves besides accounts)."""
        return {
            "domains": self.domains,
            "reserved_domains": self.reserved_domains,
            "numbers": self.numbers,
            "held_numbers": self.held_numbers,
            "key_accounts": self.key_accounts,
            "account_records": self.account_records,
        }

    def writing(self, replace: bool = False) -> ContextManager[None]:
        """The lock, for a block that may change state. Every write goes through here
        (``_Write``; the rules are ``_writing``'s)."""
        return _Write(self, replace)

    @contextmanager
    def _writing(self, replace: bool = False) -> Iterator[None]:
        """``writing`` with a persister, or nested in a write (see ``writing``).

        ``replace``: the block replaces the whole state (``reset``, ``state.load``). With a
        ``persister``, what the block changed is committed before this returns (one
        transaction for the outermost block); when that fails, the store is put back to the
        last committed state and the write is refused with a 503 (a write is never acknowledged
        unless it is saved, and a refused write changes nothing).
        """
        with self.lock:
            self.generation += 1
            persister = self.persister
            running = journal.active()
            if running is not None and running.owner is self:  # nested: the outer one commits
                if replace:
                    running.replaced = True
                yield
                return
            if persister is None:
                if running is None:
                    yield
                    return
                previous = journal.begin(None)
                try:  # another store's write is running on this thread: note nothing in it
                    yield
                finally:
                    journal.end(previous)
                return
            if isinstance(persister, _Broken):  # refused before anything changes
                raise errors.state_not_saved(persister.cause)
            noted = Journal(replace, owner=self)
            previous = journal.begin(noted)
            try:
                yield
            finally:
                journal.end(previous)
                if noted:
                    try:
                        persister.commit(self, noted)
                    except Exception as exc:
                        self.generation += 1
                        try:
                            persister.reload(self)
                        except Exception as again:  # the database cannot be read back either
                            self.persister = _Broken(again)
                        raise errors.state_not_saved(exc) from None

    def reset(self) -> None:
        """Forget every account and object; SIDs and Faker values start over from the seed."""
        with self.writing(replace=True):
            self.accounts.clear()
            self.domains.clear()
            self.reserved_domains.clear()
            self.numbers.clear()
            self.held_numbers.clear()
            self.key_accounts.clear()
            self.account_records.clear()
            self._verified_keys.clear()
            if self.seed is not None:
                self._rng = random.Random(self.seed)
            self._faker = None

    # -- shared primitives ---------------------------------------------------------------
    def account(self, sid: str) -> Account:
        acct = self.accounts.get(sid)
        if acct is None:
            if not isinstance(sid, str) or not ACCOUNT_SID.match(sid):
                raise ValueError(f"not an account SID (AC + 32 hex digits): {sid!r}")
            acct = self.accounts[sid] = Account(sid)
        return acct

    def now(self) -> str:
        return format_date(self.clock())

    def mint_sid(self, prefix: str, taken: Callable[[str], bool] = lambda _sid: False) -> str:
        """A fresh ``prefix + 32 hex`` SID; reproducible under a seed."""
        while True:
            sid = f"{prefix}{self._rng.getrandbits(128):032x}"
            if not taken(sid):
                return sid

    def random_hex(self, digits: int) -> str:
        return f"{self._rng.getrandbits(4 * digits):0{digits}x}"

    @property
    def faker(self) -> Faker:
        """A Faker with the Twilio provider, seeded from the store's seed (made on first use)."""
        if self._faker is None:
            from .faker_provider import make_faker

            self._faker = make_faker(None if self.seed is None else self._rng.getrandbits(64))
        return self._faker

    # -- the global domain index (DomainName is unique across every account) ---------------
    def domain_taken(self, domain: str) -> bool:
        """Whether ``domain`` (any case) is used by a trunk or still reserved after a delete.

        O(1): an expired reservation is dropped when it is looked up (or swept by
        ``release_domain``), never by a scan.
        """
        key = domain.lower()
        if key in self.domains:
            return True
        until = self.reserved_domains.get(key)
        if until is None:
            return False
        if self.clock() < until:
            return True
        del self.reserved_domains[key]
        return False

    def release_domain(self, domain: str, deleted: bool) -> None:
        """Free ``domain``; when its trunk was ``deleted`` and ``domain_reservation_days`` is N > 0,
        it stays taken for N days of the fake's clock, for every account (Twilio keeps a deleted
        trunk's domain reserved for up to 30 days; error 21248 on reuse)."""
        key = domain.lower()
        self.domains.pop(key, None)
        days = self.domain_reservation_days
        if not deleted or not days:
            return
        _hold(self.reserved_domains, key, self.clock(), days)

    def live_reservations(self) -> Dict[str, datetime]:
        """The reservations that have not expired yet (a copy), oldest first."""
        return _live(self.reserved_domains, self.clock())

    # -- numbers on hold after a release (``number_hold_days``) ------------------------------
    def number_taken(self, number: str) -> bool:
        """Whether ``number`` is not for sale for being owned or on hold after its release. O(1),
        and a pure read (a search holds only the lock): an expired hold is dropped by
        ``hold_number``'s sweep, never here."""
        if number in self.numbers:
            return True
        until = self.held_numbers.get(number)
        return until is not None and self.clock() < until

    def hold_number(self, number: str) -> None:
        """A released ``number``: with ``number_hold_days`` N > 0 it is not for sale for N days of
        the fake's clock, for every account (Twilio recycles a released number before it sells
        it again; its release can be undone in the Console only, not through the API)."""
        days = self.number_hold_days
        if not days:
            return
        _hold(self.held_numbers, number, self.clock(), days)

    def live_holds(self) -> Dict[str, datetime]:
        """The holds that have not expired yet (a copy), oldest first."""
        return _live(self.held_numbers, self.clock())

    def new_registry_object(self, account: Account, prefix: str, fields: Dict[str, Any]) -> Record:
        """A new API-v2010 object of kind ``prefix`` in ``account``'s registry: a fresh SID, the
        account, both dates now, then ``fields``. The one maker of registry objects, whichever
        way in (v2010 create, ``seed_*``) made it."""
        registry = account.registry[prefix]
        sid = self.mint_sid(prefix, registry.__contains__)
        now = self.now()
        obj: Record = {"sid": sid, "account_sid": account.sid, "date_created": now}
        obj["date_updated"] = now
        obj.update(fields)
        registry.add(sid, obj)
        return obj

    def parent_of(self, account_sid: str) -> Optional[str]:
        """The main account that owns the subaccount ``account_sid``; None for a main account
        (or one the fake has no record of). Authentication asks this (``core.auth``)."""
        with self.lock:
            found = self.account_records.get(account_sid)
        owner = found.get("owner_account_sid") if found is not None else None
        return owner if isinstance(owner, str) and owner != account_sid else None

    def forget_key(self, key_sid: str) -> None:
        """A deleted API key: it authenticates no more."""
        self.key_accounts.pop(key_sid, None)
        self._verified_keys.pop(key_sid, None)

    def account_for_key(self, key_sid: str, secret: str) -> Optional[str]:
        """The account of the API key ``key_sid`` made through the Keys API when ``secret`` is
        its secret (kept only as a salted hash, ``core.redact``); else None."""
        import hashlib
        import hmac

        from .redact import verify_secret

        with self.lock:
            account_sid = self.key_accounts.get(key_sid)
            account = self.accounts.get(account_sid or "")
            record = account.registry["SK"].get(key_sid) if account is not None else None
            stored = record.get("secret_hash") if record is not None else None
            cached = self._verified_keys.get(key_sid)
        if stored is None:
            return None
        digest = hashlib.sha256(secret.encode("utf-8")).digest()
        if cached is not None and cached[0] == stored and hmac.compare_digest(cached[1], digest):
            return account_sid
        if not verify_secret(stored, secret):
            return None
        with self.lock:
            self._verified_keys[key_sid] = (stored, digest)
        return account_sid

    def find_registry_object(self, account: Account, prefix: str, sid: str) -> Optional[Record]:
        return account.registry[prefix].get(sid)

    def snapshot_value(self, value: Any) -> Any:
        """A deep copy of plain JSON-like data, so callers never hold live state."""
        if isinstance(value, dict):
            return {k: self.snapshot_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.snapshot_value(v) for v in value]
        return value
