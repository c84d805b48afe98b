"""``fake.calls``: the log of the requests a fake served, optionally bounded.

``CallLog`` is a ``list`` of ``Call`` (so ``fake.calls[-1]``, ``fake.calls == []`` and slicing
work as before) that can be bounded three ways, each ``None`` (unbounded) by default:

- ``limit``: the number of calls kept; the oldest are dropped first.
- ``max_bytes``: the bytes the log retains (bodies, headers, and a fixed allowance for the
  objects of each call); the oldest calls are dropped first until it fits.
- ``max_body``: the bytes of each request and response body kept. A longer body is cut to that
  length and the call says so (``request_body_length`` / ``response_body_length``: the original
  length). With ``max_body`` set, a refused request (401) keeps no body at all: an
  unauthenticated client must not be able to park data in the log.

In process the log is unbounded by default: a test's own traffic is small, and a test that
asserts on ``fake.calls`` must see every call (docs/decisions.md). A server bounds it (see
``fake_trunking.server``), since any client on the network can fill it.

Calls are numbered from 0 in the order they were logged, dropped ones included (``dropped``
counts the calls removed from the front, by a bound or ``clear``), so an index never names two
calls: that is the cursor of the admin log's pages (``window``).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Tuple

from .redact import redact_form_bytes, redact_json_bytes

if TYPE_CHECKING:
    from .messages import Call

CALL_OVERHEAD = 2048  # bytes allowed for the objects of one call (Call, Request, Response, dicts)


def redact_call(call: Call) -> Call:
    """``call`` with the secrets its bodies carry replaced by ``REDACTED`` (``core.redact``: a
    SIP credential's ``Password`` in the form, an API key's ``secret`` and an account's
    ``auth_token`` in the answer). The log never holds them, so neither does anything built
    from it (``fake.calls``, the server's request log, ``save_cassette``). The client's own
    response is another object, unchanged."""
    request, response = call.request, call.response
    if not request.body and (not response.body or response.holds_secrets is False):
        return call  # nothing to scan: a GET or DELETE answered by a resource with no secret
    body = redact_form_bytes(request.body) if request.body else request.body
    answer = response.body
    if answer and response.holds_secrets is not False:
        answer = redact_json_bytes(answer)
    if body == request.body and answer == response.body:
        return call
    if body != request.body:
        request = dataclasses.replace(request, body=body)
    if answer != response.body:
        response = dataclasses.replace(response, headers=dict(response.headers), body=answer)
    return dataclasses.replace(call, request=request, response=response)


def _check_bound(name: str, value: Optional[int]) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer or None, not {value!r}")
    return value


def call_size(call: Call) -> int:
    """The bytes ``call`` retains, as the log counts them (an upper estimate)."""
    request, response = call.request, call.response
    size = CALL_OVERHEAD + sys.getsizeof(request.body) + sys.getsizeof(response.body)
    for text in (request.method, request.path, request.query, request.base_url):
        size += sys.getsizeof(text)
    for headers in (request.headers, response.headers):
        size += sys.getsizeof(headers)
        for key, value in headers.items():
            size += sys.getsizeof(key) + sys.getsizeof(value)
    return size


class CallLog(List["Call"]):
    """A ``list`` of ``Call``: bounded by ``limit``, ``max_bytes`` and ``max_body`` when given."""

    def __init__(
        self,
        calls: Iterable[Call] = (),
        *,
        limit: Optional[int] = None,
        max_bytes: Optional[int] = None,
        max_body: Optional[int] = None,
    ) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._bytes = 0
        self.dropped = 0  # calls removed from the front (by a bound or clear): the index base
        self.evicted = 0  # calls a bound dropped since the last clear
        self.limit: Optional[int] = None
        self.max_bytes: Optional[int] = None
        self.max_body: Optional[int] = None
        self.configure(limit=limit, max_bytes=max_bytes, max_body=max_body)
        self.extend(calls)

    def configure(
        self,
        *,
        limit: Optional[int] = None,
        max_bytes: Optional[int] = None,
        max_body: Optional[int] = None,
    ) -> None:
        """Set the bounds (``None``: unbounded) and apply them to the calls already logged."""
        limit = _check_bound("limit", limit)
        max_bytes = _check_bound("max_bytes", max_bytes)
        max_body = _check_bound("max_body", max_body)
        with self._lock:
            self.limit, self.max_bytes, self.max_body = limit, max_bytes, max_body
            if max_body is not None:
                list.__init__(self, [self._shrink(c) for c in self])
            self._recount()

    @property
    def retained_bytes(self) -> int:
        """The bytes the logged calls retain, as counted against ``max_bytes`` (counted as calls
        come in only when ``max_bytes`` is set; otherwise counted now)."""
        with self._lock:
            if self.max_bytes is None:
                return sum(call_size(c) for c in self)
            return self._bytes

    # -- adding ----------------------------------------------------------------------------
    def append(self, call: Call) -> None:
        call = redact_call(call)
        if self.limit is None and self.max_bytes is None and self.max_body is None:
            with self._lock:  # unbounded (in process, by default): nothing to cut or drop
                list.append(self, call)
            return
        call = self._shrink(call)
        with self._lock:
            list.append(self, call)
            if self.max_bytes is not None:  # the size of every call is a cost on every request
                self._bytes += call_size(call)
            self._trim()

    def extend(self, calls: Iterable[Call]) -> None:
        for call in calls:
            self.append(call)

    def __iadd__(self, calls: Iterable[Call]) -> CallLog:  # type: ignore[override,misc]
        self.extend(calls)
        return self

    def _shrink(self, call: Call) -> Call:
        """``call`` with its bodies cut to ``max_body`` (and none for a 401), saying so."""
        max_body = self.max_body
        if max_body is None:
            return call
        request, response = call.request, call.response
        request_length = call.request_body_length
        response_length = call.response_body_length
        if request.body and (response.status == 401 or len(request.body) > max_body):
            kept = b"" if response.status == 401 else request.body[:max_body]
            if request_length is None:
                request_length = len(request.body)
            request = dataclasses.replace(request, body=kept)
        if len(response.body) > max_body:
            if response_length is None:
                response_length = len(response.body)
            response = dataclasses.replace(
                response, headers=dict(response.headers), body=response.body[:max_body]
            )
        if request is call.request and response is call.response:
            return call
        return dataclasses.replace(
            call,
            request=request,
            response=response,
            request_body_length=request_length,
            response_body_length=response_length,
        )

    # -- dropping --------------------------------------------------------------------------
    def _trim(self) -> None:
        count = len(self)
        drop = 0
        if self.limit is not None and count > self.limit:
            drop = count - self.limit
        dropped_bytes = 0
        if self.max_bytes is not None:
            dropped_bytes = sum(call_size(c) for c in list.__getitem__(self, slice(0, drop)))
            while drop < count and self._bytes - dropped_bytes > self.max_bytes:
                dropped_bytes += call_size(list.__getitem__(self, drop))
                drop += 1
        if drop:
            list.__delitem__(self, slice(0, drop))
            self._bytes -= dropped_bytes
            self.dropped += drop
            self.evicted += drop

    def _recount(self) -> None:
        self._bytes = sum(call_size(c) for c in self) if self.max_bytes is not None else 0
        self._trim()

    def clear(self) -> None:
        with self._lock:
            self.dropped += len(self)
            self.evicted = 0
            list.clear(self)
            self._bytes = 0

    # any other change made by hand: count again (rare; the log's own paths never get here)
    def __delitem__(self, index: Any) -> None:
        with self._lock:
            list.__delitem__(self, index)
            self._recount()

    def __setitem__(self, index: Any, value: Any) -> None:
        with self._lock:
            list.__setitem__(self, index, value)
            self._recount()

    def insert(self, index: Any, call: Call) -> None:
        with self._lock:
            list.insert(self, index, self._shrink(redact_call(call)))
            self._recount()

    def pop(self, index: Any = -1) -> Call:
        with self._lock:
            call: Call = list.pop(self, index)
            self._recount()
            return call

    def remove(self, call: Call) -> None:
        with self._lock:
            list.remove(self, call)
            self._recount()

    # -- reading ---------------------------------------------------------------------------
    def window(
        self, offset: Optional[int] = None, limit: Optional[int] = None
    ) -> Tuple[int, List[Call]]:
        """``(index of the first, calls)``: from call number ``offset`` on (dropped calls
        count; default: the oldest kept), at most ``limit`` of them; with ``limit`` alone, the
        last ``limit`` calls. A snapshot: later calls do not change it."""
        with self._lock:
            first = self.dropped
            calls = list(self)
        if offset is None:
            if limit is not None and limit < len(calls):
                return first + len(calls) - limit, calls[len(calls) - limit :]
            return first, calls
        start = min(max(offset - first, 0), len(calls))
        stop = len(calls) if limit is None else min(start + limit, len(calls))
        return first + start, calls[start:stop]


__all__ = ["CALL_OVERHEAD", "CallLog", "call_size", "redact_call"]
