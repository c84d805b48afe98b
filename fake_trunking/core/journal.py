"""The write journal: which records one write touched, so that a durable store saves only those.

A store with a persister (server mode's ``--state FILE.db``) opens a ``Journal`` for each write
(``Store.writing``). While it is open, on the writing thread, every ``Collection`` that has an
owner and every ``JournaledDict`` notes the keys it is asked for, given or loses; at the end of
the write the persister reads the current value of each noted key (a record, or nothing when it
is gone) and saves exactly those. The cost of a write is therefore the records it touched, not
the size of the state, and a resource that keeps its records in an owned ``Collection`` or a
``JournaledDict`` is saved without any code of its own.

Why "asked for" counts as touched: resources change records in place (``record.update(...)``)
after looking them up, so a lookup during a write is the one moment the change can be seen
without a copy. A lookup outside a write (every read) costs one thread-local check.

Owners: a collection's ``owner`` is ``(account_sid, parent_sid, name)``: ``("AC…", "", "trunks")``
for an account's own list, ``("AC…", "TK…", "origination_urls")`` for a list under a trunk. A
dict's ``owner`` is ``(account_sid, name)``, ``""`` for the store's own maps. Removing an item
from a collection also drops, in the saved state, every collection whose parent it was (a deleted
trunk takes its sub-resources with it, as ``Account.children`` does in memory).
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Set, Tuple

CollectionKey = Tuple[str, str, str, str]  # (account, parent, name, sid)
MapKey = Tuple[str, str, Any]  # (account, name, key)


class Journal:
    """What one write touched (see the module docstring)."""

    __slots__ = ("collections", "maps", "moved", "owner", "parents", "replaced")

    def __init__(self, replaced: bool = False, owner: object = None) -> None:
        self.owner = owner  # the store whose write this is (a nested write of another store
        # gets a journal of its own: ``begin`` returns the one it replaces)
        self.collections: Dict[CollectionKey, Any] = {}  # key -> the Collection
        self.maps: Dict[MapKey, JournaledDict] = {}
        self.moved: Set[MapKey] = set()  # keys removed (and maybe given again): order changed
        self.parents: Set[Tuple[str, str]] = set()  # (account, sid) removed from a collection
        self.replaced = replaced  # the whole state was replaced (reset, load): save it all

    def __bool__(self) -> bool:
        return bool(self.replaced or self.collections or self.maps or self.parents)


class _Local(threading.local):
    # a class default, so a thread that never wrote reads None without the ``AttributeError``
    # that ``getattr(local, name, None)`` raises and swallows inside (every read notes here)
    journal: Optional[Journal] = None


_local = _Local()


def active() -> Optional[Journal]:
    """The journal of the write running on this thread, if any."""
    return _local.journal


def begin(journal: Optional[Journal]) -> Optional[Journal]:
    """Make ``journal`` this thread's; the one it replaces (give it back to ``end``)."""
    previous = active()
    _local.journal = journal
    return previous


def end(previous: Optional[Journal] = None) -> None:
    _local.journal = previous


def note(owner: Optional[Tuple[str, str, str]], sid: str, collection: Any, removed: bool) -> None:
    """Called by ``Collection`` (only when it has an owner)."""
    journal = _local.journal
    if journal is None or owner is None:
        return
    journal.collections[(owner[0], owner[1], owner[2], sid)] = collection
    if removed:
        journal.parents.add((owner[0], sid))


class JournaledDict(Dict[Any, Any]):
    """A dict whose lookups, sets and removals during a write are noted in the journal.

    ``owner`` is ``(account_sid or "", name)``. ``in``, iteration and ``len`` are not noted:
    code that changes a value finds it by key first. ``clear``/``update`` are used only by whole
    replacements (``Store.reset``, ``state.load``), which save everything anyway.
    """

    __slots__ = ("owner",)

    def __init__(self, owner: Tuple[str, str]) -> None:
        super().__init__()
        self.owner = owner

    def _note(self, key: Any, removed: bool = False) -> None:
        journal = _local.journal
        if journal is not None:
            mk = (self.owner[0], self.owner[1], key)
            journal.maps[mk] = self
            if removed:
                journal.moved.add(mk)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._note(key)
        super().__setitem__(key, value)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return super().setdefault(key, default)

    def __delitem__(self, key: Any) -> None:
        self._note(key, removed=True)
        super().__delitem__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._note(key, removed=True)
        return super().pop(key, *default)


__all__ = ["Journal", "JournaledDict", "active", "begin", "end", "note"]
