"""Durable state for server mode: ``--state FILE`` (any name but ``*.json``) is a SQLite database.

Rules, and why:

- Every write is committed before it is answered (``Store.writing`` calls ``StateDatabase.commit``
  under the store's lock, before the handler renders the answer), so an acknowledged write
  survives ``kill -9`` at any moment. A commit that fails (a full disk, a folder made read-only)
  is rolled back in the database, the store is reloaded from it (so memory holds exactly what
  was committed) and the request gets a 503 Twilio body: nothing is acknowledged that is not
  saved, and a refused write changes nothing.
- WAL journal with ``synchronous=NORMAL``: a commit is in the WAL file when it returns, which
  survives the death of the process (``kill -9``, an OOM kill, a container stop); it does not
  promise survival of a power cut or a kernel crash (the last commits may then be lost, the
  database stays consistent). ``FULL`` would add an fsync per write for a risk a test fake does
  not run (docs/decisions.md "Durable state").
- The cost of a write is the records it touched (``core.journal``), each one JSON row keyed by
  ``(account, parent, collection, sid)``: never the size of the state. Reads are served from
  memory and never touch the database.
- One server per file: the connection runs in ``locking_mode=EXCLUSIVE`` and takes the write
  lock at open, so a second server (or any other SQLite user) is refused at once; the operating
  system drops the lock when the process dies, so a ``kill -9`` leaves no stale lock.
- A file that is not ours is refused before SQLite opens it, and left untouched: not a SQLite
  file (corrupt), a SQLite database of another application (``application_id``), a newer
  version of ours (``user_version``), a read-only file, a folder that is missing or not
  writable. Each is one line naming the file (``StateFileError``).

The JSON snapshot (``dump_state``/``load_state``) stays the export and import format; an admin
load replaces the database contents in one transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Tuple

from ..core.fileio import kind_of
from ..core.journal import Journal
from ..core.store import Account, Store
from .files import PathLike, StateFileError, check_folder

if TYPE_CHECKING:
    from ..service import FakeTrunkingService

APPLICATION_ID = 0x46544B31  # "FTK1" in the database header: this file is fake-trunking's
SCHEMA_VERSION = 1  # PRAGMA user_version
_MAGIC = b"SQLite format 3\x00"

_SCHEMA = (
    "CREATE TABLE records (account TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,"
    " sid TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,"
    " PRIMARY KEY (account, parent, name, sid)) WITHOUT ROWID",
    "CREATE TABLE maps (account TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL,"
    " value TEXT NOT NULL, UNIQUE (account, name, key))",
)

_TUPLE = "\x00tuple"
_DATE = "\x00datetime"


def _tag(value: Any) -> Any:
    """Plain data to JSON-able data that keeps tuples and datetimes (records hold both)."""
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TUPLE: [_tag(v) for v in value]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, datetime):
        return {_DATE: value.isoformat()}
    return value


def _untag(obj: Any) -> Any:
    if len(obj) == 1:
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
        if _DATE in obj:
            return datetime.fromisoformat(obj[_DATE])
    return obj


def encode(value: Any) -> str:
    return json.dumps(_tag(value), separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_untag)


def is_database_path(path: PathLike) -> bool:
    """Whether ``--state path`` names a database: every name but ``*.json`` (a JSON snapshot)."""
    return Path(path).suffix.lower() != ".json"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


class StateDatabase:
    """The SQLite state file of one server (see the module docstring).

    ``open`` checks and locks the file (refusing with ``StateFileError``), ``load_into`` puts
    its contents in a fake and makes the fake's store durable, ``close`` lets the file go.
    ``save`` exists so that a server can treat this like a ``StateFile``: every write is
    already saved, so it only closes.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.loading = False
        self._con: Optional[sqlite3.Connection] = None
        self._lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------
    def _fail(self, what: str, exc: BaseException) -> StateFileError:
        return StateFileError(f"cannot {what} state database {self.path}: {_reason(exc)}")

    def _refuse(self, why: str) -> StateFileError:
        return StateFileError(f"cannot use state database {self.path}: {why}; it was not changed")

    def check(self) -> bool:
        """Refuse a path that cannot be our database (nothing is written); True if it exists."""
        check_folder(self.path, "state database")
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._fail("read", exc) from None
        if not stat.S_ISREG(info.st_mode):
            raise self._refuse(f"{kind_of(info.st_mode)}, not a regular file")
        if not os.access(self.path, os.R_OK | os.W_OK):
            raise self._refuse("the file is read-only (or not readable)")
        if info.st_size == 0:
            return False
        try:
            with open(self.path, "rb") as f:
                header = f.read(100)
        except OSError as exc:
            raise self._fail("read", exc) from None
        if len(header) < 100 or not header.startswith(_MAGIC):
            raise self._refuse("not a SQLite database (corrupt, or another kind of file)")
        user_version = int.from_bytes(header[60:64], "big")
        application_id = int.from_bytes(header[68:72], "big")
        if application_id != APPLICATION_ID:
            raise self._refuse("a SQLite database of another application, not fake-trunking's")
        if user_version != SCHEMA_VERSION:
            raise self._refuse(
                f"schema version {user_version}, this fake-trunking reads {SCHEMA_VERSION}"
            )
        return True

    def open(self) -> None:
        """Check, open and lock the database (creating it when missing or empty)."""
        if self._con is not None:
            return
        existed = self.check()
        try:
            con = sqlite3.connect(
                str(self.path), timeout=0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._fail("open", exc) from None
        try:
            con.execute("PRAGMA locking_mode=EXCLUSIVE")
            con.execute("BEGIN EXCLUSIVE")  # the lock, held until close (EXCLUSIVE mode)
            try:
                if not existed:
                    # made before WAL is on, so the header that ``check`` reads (application
                    # id, version) is in the main file from the start, not only in the WAL
                    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                    for statement in _SCHEMA:
                        con.execute(statement)
                else:
                    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
                    if not {"records", "maps"} <= names:
                        raise sqlite3.DatabaseError("its tables are missing")
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                raise
            mode = con.execute("PRAGMA journal_mode=WAL").fetchone()
            if not mode or str(mode[0]).lower() != "wal":
                raise sqlite3.OperationalError("the WAL journal mode is not available")
            con.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            con.close()
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                raise self._refuse("it is in use by another process (another server?)") from None
            if "readonly" in text or "read-only" in text:
                raise self._refuse("the file is read-only") from None
            raise self._fail("open", exc) from None
        self._con = con

    def close(self) -> None:
        with self._lock:
            con, self._con = self._con, None
        if con is not None:
            con.close()

    # -- the server's StateFile interface ------------------------------------------------
    def load_into(self, fake: FakeTrunkingService) -> bool:
        """Open the database, load it into ``fake`` and make ``fake``'s store durable."""
        self.loading = True
        try:
            self.open()
            store = fake.store
            with store.lock:
                try:
                    self.reload(store)
                except (sqlite3.Error, ValueError, TypeError, KeyError) as exc:
                    self.close()
                    raise self._fail("load", exc) from None
                store.persister = self
            return True
        finally:
            self.loading = False

    def save(self, fake: FakeTrunkingService) -> None:
        """Every write is committed already: detach from ``fake`` and close the file."""
        store = fake.store
        with store.lock:
            if store.persister is self:
                store.persister = None
        self.close()

    # -- the Persister protocol (core.store) --------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            raise sqlite3.OperationalError("the state database is closed")
        return self._con

    def commit(self, store: Store, journal: Journal) -> None:
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            if journal.replaced:
                con.execute("DELETE FROM records")
                con.execute("DELETE FROM maps")
                con.executemany(
                    "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", _all_records(store)
                )
                con.executemany(
                    "INSERT INTO maps (account, name, key, value) VALUES (?, ?, ?, ?)",
                    _all_maps(store),
                )
            else:
                _commit_changes(con, journal)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
            raise

    def reload(self, store: Store) -> None:
        """Replace the store's state with the database's (at start, and after a failed commit)."""
        con = self._connection()
        store.accounts.clear()
        maps = store.maps()
        for target in maps.values():
            dict.clear(target)
        accounts = store.accounts
        rows = con.execute(
            "SELECT account, parent, name, sid, seq, body FROM records"
            " ORDER BY account, parent, name, seq"
        )
        for ac, parent, name, sid, seq, body in rows:
            account = accounts.get(ac)
            if account is None:
                account = accounts[ac] = Account(ac)
            account.collection_at(parent, name).restore(seq, sid, decode(body))
        for ac, name, key, value in con.execute(
            "SELECT account, name, key, value FROM maps ORDER BY rowid"
        ):
            if ac:
                account = accounts.get(ac)
                if account is None:
                    account = accounts[ac] = Account(ac)
                target = account.map_named(name)
            else:
                target = maps[name]
            dict.__setitem__(target, decode(key), decode(value))
        store.generation += 1


def _commit_changes(con: sqlite3.Connection, journal: Journal) -> None:
    for ac, sid in journal.parents:
        con.execute("DELETE FROM records WHERE account = ? AND parent = ?", (ac, sid))
    for (ac, parent, name, sid), collection in journal.collections.items():
        if parent and (ac, parent) in journal.parents:
            continue  # dropped with its parent
        record = collection.peek(sid)
        if record is None:
            con.execute(
                "DELETE FROM records WHERE account = ? AND parent = ? AND name = ? AND sid = ?",
                (ac, parent, name, sid),
            )
        else:
            con.execute(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT"
                " (account, parent, name, sid) DO UPDATE SET seq = excluded.seq,"
                " body = excluded.body",
                (ac, parent, name, sid, collection.seq_of(sid), encode(record)),
            )
    for mk, target in journal.maps.items():
        ac, name, key = mk
        present = dict.__contains__(target, key)
        if mk in journal.moved or not present:
            con.execute(
                "DELETE FROM maps WHERE account = ? AND name = ? AND key = ?",
                (ac, name, encode(key)),
            )
        if present:
            con.execute(
                "INSERT INTO maps (account, name, key, value) VALUES (?, ?, ?, ?) ON CONFLICT"
                " (account, name, key) DO UPDATE SET value = excluded.value",
                (ac, name, encode(key), encode(dict.__getitem__(target, key))),
            )


def _all_records(store: Store) -> Iterator[Tuple[str, str, str, str, int, str]]:
    for account in store.accounts.values():
        for collection in account.collections():
            owner = collection.owner
            if owner is None:
                continue
            for seq, sid, record in collection.entries():
                yield (owner[0], owner[1], owner[2], sid, seq, encode(record))


def _all_maps(store: Store) -> Iterator[Tuple[str, str, str, str]]:
    for name, target in store.maps().items():
        for key, value in dict.items(target):
            yield ("", name, encode(key), encode(value))
    for account in store.accounts.values():
        for name, target in account.maps().items():
            for key, value in dict.items(target):
                yield (account.sid, name, encode(key), encode(value))


__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "StateDatabase", "is_database_path"]
