"""Replay: answer requests from a cassette only, through ``handle(Request) -> Response``.

A request matches a recorded one when the method, the path, the query parameters and the form
body parameters are equal as *parsed, order-insensitive multisets* (Twilio writes are form POSTs to
a handful of URLs, and clients do not promise a parameter order). The host is not compared, so
edge/region hosts replay the same cassette. Identical requests are answered in recorded order.

The recorded interactions are indexed by that key when the replayer is built, so a request costs one
dict lookup whatever the cassette's size. A request the cassette cannot answer raises
``UnmatchedRequest`` naming the request, the cassette and the closest recorded requests (the only
path that looks at every interaction).

Transport-neutral like the fake: the ``responses`` adapter (``fake_trunking._adapter.start``) or an
aiohttp adapter calls ``handle``.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections import deque
from typing import Deque, Dict, List, Optional, Tuple

from ..core.messages import Call, Request, Response
from ..core.redact import REDACTED, is_secret_field
from .format import Cassette, CassetteError, Interaction, form_of

Pairs = Tuple[Tuple[str, str], ...]
Key = Tuple[str, str, Pairs, Pairs]

# transport headers a replayed response must not carry (the body is stored decoded, as text)
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
)


class UnmatchedRequest(CassetteError):
    """A request the cassette has no (more) answers for."""


def request_key(request: Request) -> Key:
    """The match key of a request: parameters as the fake parses them, sorted. A secret form
    field (``core.redact``: a SIP ``Password``) counts as ``<redacted>`` whatever its value, as
    cassettes store it: a recorded request matches whatever password the test sends, and no
    message built from a key (an unmatched request's) can show one."""
    form = {k: (REDACTED if is_secret_field(k) else v) for k, v in form_of(request).items()}
    return (
        request.method.upper(),
        request.path,
        tuple(sorted(request.params().items())),
        tuple(sorted(form.items())),
    )


def interaction_key(it: Interaction) -> Key:
    """The match key of a recorded interaction."""
    return request_key(it.request())


def _describe(key: Key) -> str:
    method, path, query, body = key
    text = f"{method} {path}"
    if query:
        text += "?" + "&".join(f"{k}={v}" for k, v in query)
    if body:
        text += " [" + "&".join(f"{k}={v}" for k, v in body) + "]"
    return text


def response_of(it: Interaction) -> Response:
    """The recorded response, ready to be served again."""
    headers = {
        k: v[-1]
        for k, v in it.response_headers.items()
        if v and k.lower() not in _DROPPED_RESPONSE_HEADERS
    }
    return Response(it.status, headers, it.response_body.encode("utf-8"))


class Replayer:
    """Answers ``handle(Request)`` from ``cassette``; ``path`` is only used in messages."""

    def __init__(self, cassette: Cassette, path: Optional[str] = None) -> None:
        self.cassette = cassette
        self.path = path or "<cassette>"
        self._lock = threading.Lock()
        self._queues: Dict[Key, Deque[int]] = {}
        self._played: List[bool] = [False] * len(cassette.interactions)
        for i, it in enumerate(cassette.interactions):
            self._queues.setdefault(interaction_key(it), deque()).append(i)
        self.calls: List[Call] = []  # what was served, like ``FakeTrunkingService.calls``

    def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        key = request_key(request)
        with self._lock:
            queue = self._queues.get(key)
            if not queue:
                raise UnmatchedRequest(self._miss_message(key, queue is not None))
            index = queue.popleft()
            self._played[index] = True
        response = response_of(self.cassette.interactions[index])
        with self._lock:
            self.calls.append(Call(request, response, time.perf_counter() - started))
        return response

    @property
    def unplayed(self) -> List[int]:
        """Indexes of the recorded interactions not served yet."""
        return [i for i, played in enumerate(self._played) if not played]

    def _miss_message(self, key: Key, exhausted: bool) -> str:
        if exhausted:
            count = sum(1 for it in self.cassette.interactions if interaction_key(it) == key)
            return (
                f"replay: {_describe(key)} was answered all {count} time(s) it was recorded in "
                f"{self.path}; the test makes it more often than the recording did "
                "(re-record with --trunking-mode=record)"
            )
        closest = self.closest(key)
        hint = "; closest recorded: " + " | ".join(closest) if closest else ""
        return (
            f"replay: no recorded answer for {_describe(key)} in {self.path} "
            f"({len(self.cassette.interactions)} interactions){hint} "
            "(re-record with --trunking-mode=record)"
        )

    def closest(self, key: Key, n: int = 3) -> List[str]:
        """The ``n`` recorded requests most like ``key`` (same method and path first)."""
        target = _describe(key)
        scored: Dict[str, Tuple[int, float]] = {}
        for it in self.cassette.interactions:
            other = interaction_key(it)
            text = _describe(other)
            if text in scored:
                continue
            same = (other[0] == key[0]) + 2 * (other[1] == key[1])
            scored[text] = (same, difflib.SequenceMatcher(None, target, text).quick_ratio())
        ranked = sorted(scored, key=lambda t: scored[t], reverse=True)
        return ranked[:n]
