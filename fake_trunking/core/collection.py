"""An ordered, O(1)-lookup collection with Twilio page-token paging.

Every resource list in the fake (trunks, origination URLs, associations) is one of these. Items are
kept in creation order. Each item gets a sequence number when it is added; a page token names an
item by SID (``PA<sid>`` / ``PB<sid>``) and resolves to that item's sequence number, which is kept
even after the item is deleted, so a walk never repeats or skips an item that existed throughout it.
An item removed and added again gets its first sequence number back (it never appears twice).

Why deleted SIDs are remembered, and for how long: a token handed out names the page's first or
last item, and that item may be deleted before the client asks for the next page, so a removed
SID keeps its sequence number as a *tombstone* (about 150 bytes). Tombstones are what the tokens
of walks in progress need, not history: a collection keeps the most recent ones only, at least
``TOMBSTONES`` and at least as many as it has live items (never more than twice that), and
forgets the oldest first. A token naming a forgotten item is 400/21481 like any token the fake did
not issue; it takes more deletes than that between two pages of one walk (docs/decisions.md).

Costs: ``get``/``add``/``remove`` O(1) amortised; a page O(log n + page size) (dead slots left by
deletes are compacted away once they outnumber the live items).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import islice
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import errors, journal

Record = Dict[str, Any]

TOMBSTONES = 1000  # removed SIDs a collection remembers at least (more while it holds more items)
MAX_TOKEN = 64  # characters: a token the fake issued is ``PA``/``PB`` and a 34-character SID


class Collection:
    __slots__ = (
        "_anchor", "_dead", "_next", "_records", "_seq_of", "_seqs", "_sid_at", "owner",
    )  # fmt: skip

    def __init__(self, owner: Optional[Tuple[str, str, str]] = None) -> None:
        # (account, parent sid or "", name): a collection with an owner is saved by a durable
        # store (``journal``); throwaway and snapshot-building collections have none
        self.owner = owner
        self._seqs: List[int] = []  # ascending; may hold dead seqs until compaction
        self._sid_at: Dict[int, str] = {}  # live seq -> sid
        # live sid -> record, and live sid -> seq. Two flat maps rather than one of (seq, record)
        # pairs: a record holding only plain values is then invisible to the garbage collector,
        # so full collections do not slow down as an account grows
        self._records: Dict[str, Record] = {}
        self._seq_of: Dict[str, int] = {}
        # removed sid -> its seq (a tombstone), oldest removal first; bounded (``remove``)
        self._anchor: Dict[str, int] = {}
        self._next = 0
        self._dead = 0

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, sid: object) -> bool:
        return sid in self._records

    def __iter__(self) -> Iterator[Record]:
        live = self._sid_at
        items = self._records
        for seq in self._seqs:
            sid = live.get(seq)
            if sid is not None:
                yield items[sid]

    def entries(self) -> Iterator[Tuple[int, str, Record]]:
        """``(position, sid, record)`` of every live item, in order (for the persister)."""
        live = self._sid_at
        items = self._records
        for seq in self._seqs:
            sid = live.get(seq)
            if sid is not None:
                yield seq, sid, items[sid]

    def get(self, sid: str) -> Optional[Record]:
        if self.owner is not None:
            journal.note(self.owner, sid, self, False)
        return self._records.get(sid)

    def peek(self, sid: str) -> Optional[Record]:
        """The record of ``sid`` without noting it in a write's journal (for the persister)."""
        return self._records.get(sid)

    def seq_of(self, sid: str) -> int:
        """The position of live item ``sid`` (ascending in creation order; kept across a save
        and a load by ``restore``)."""
        return self._seq_of[sid]

    def restore(self, seq: int, sid: str, record: Record) -> None:
        """Add ``sid`` at position ``seq`` (a saved state being loaded, in ascending order)."""
        if sid in self._records or (self._seqs and seq <= self._seqs[-1]):
            raise ValueError(f"{sid}: positions must be unique and ascending")
        self._seqs.append(seq)
        self._sid_at[seq] = sid
        self._records[sid] = record
        self._seq_of[sid] = seq
        self._next = seq + 1

    def __getitem__(self, sid: str) -> Record:
        """The live item ``sid`` (KeyError when there is none); noted like ``get``."""
        record = self.get(sid)
        if record is None:
            raise KeyError(sid)
        return record

    def add(self, sid: str, record: Record) -> None:
        if sid in self._records:
            raise KeyError(f"{sid} is already in the collection")
        if self.owner is not None:
            journal.note(self.owner, sid, self, False)
        seq = self._anchor.pop(sid, None)
        if seq is None:
            seq = self._next
            self._next = seq + 1
            self._seqs.append(seq)
        else:
            # an item added again (a phone number moved away and back) takes its first position
            # again, so a walk that already served it never serves it twice
            seqs = self._seqs
            i = bisect_left(seqs, seq)
            if i < len(seqs) and seqs[i] == seq:
                self._dead -= 1  # its dead slot was not compacted yet: revive it
            else:
                seqs.insert(i, seq)
        self._sid_at[seq] = sid
        self._records[sid] = record
        self._seq_of[sid] = seq

    def remove(self, sid: str) -> Record:
        record = self._records.pop(sid)
        if self.owner is not None:
            journal.note(self.owner, sid, self, True)
        seq = self._seq_of.pop(sid)
        del self._sid_at[seq]
        anchor = self._anchor
        anchor[sid] = seq
        keep = max(TOMBSTONES, len(self._records))
        if len(anchor) > 2 * keep:  # forget the oldest removals, in one pass (amortised O(1))
            self._anchor = dict(islice(anchor.items(), len(anchor) - keep, None))
        self._dead += 1
        if self._dead > 64 and self._dead > len(self._records):
            self._seqs = [s for s in self._seqs if s in self._sid_at]
            self._dead = 0
        return record

    def clear(self) -> None:
        self.__init__(self.owner)  # type: ignore[misc]

    def _resolve(self, token: str) -> Tuple[bool, int]:
        """``(forward, anchor_seq)`` for a token this collection issued, else 21481."""
        if not 3 <= len(token) <= MAX_TOKEN or token[:2] not in ("PA", "PB"):
            raise errors.invalid_page_token()
        sid = token[2:]
        seq = self._anchor.get(sid)
        if seq is None:
            seq = self._seq_of.get(sid)
            if seq is None:
                raise errors.invalid_page_token()
        return token[1] == "A", seq

    def page(self, size: int, token: Optional[str]) -> Tuple[List[Record], bool, bool]:
        """One page: ``(records, has_previous, has_next)``.

        Without a token the page starts at the oldest item. ``PA<sid>`` serves the items after
        ``sid``; ``PB<sid>`` the ``size`` items before it.
        """
        seqs = self._seqs
        live = self._sid_at
        out: List[int] = []
        if token is None:
            i = 0
            forward = True
        else:
            forward, anchor = self._resolve(token)
            i = bisect_right(seqs, anchor) if forward else bisect_left(seqs, anchor) - 1
        if forward:
            n = len(seqs)
            while i < n and len(out) < size:
                if seqs[i] in live:
                    out.append(seqs[i])
                i += 1
        else:
            while i >= 0 and len(out) < size:
                if seqs[i] in live:
                    out.append(seqs[i])
                i -= 1
            out.reverse()
        if not out:
            return [], False, False
        items = self._records
        records = [items[live[s]] for s in out]
        return records, self._any_live(out[0], -1), self._any_live(out[-1], 1)

    def _any_live(self, seq: int, step: int) -> bool:
        seqs = self._seqs
        live = self._sid_at
        i = bisect_left(seqs, seq) + step
        while 0 <= i < len(seqs):
            if seqs[i] in live:
                return True
            i += step
        return False
