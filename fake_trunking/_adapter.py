"""The ``responses`` adapter: a ``requests.PreparedRequest`` becomes a ``Request`` for the handler.

``responses`` (and so ``requests``) is imported on first start, not on ``import fake_trunking``.

Coexistence with the user's own ``responses`` mocks:
- ours started inside theirs: the hosts we do not serve are passed to the send function that was
  active when we started (theirs), instead of being refused;
- theirs started inside ours: while any fake is active, ``RequestsMock._find_match`` of every mock
  falls back to the innermost active fake for a Trunking URL that mock does not match itself.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional, Protocol, Tuple
from urllib.parse import urlsplit

from .handler import Request, Response


class Handles(Protocol):
    """Anything that answers a ``Request``: the fake, a cassette replayer, a test double."""

    def handle(self, request: Request) -> Response: ...


_state_lock = threading.Lock()
_active: List[Tuple[Handles, Any]] = []  # (target, its CallbackResponse), innermost last
_original_find_match: Optional[Callable[..., Any]] = None


def _to_request(prepared: Any) -> Request:
    parts = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):  # a file-like or generator body
        body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    return Request(
        method=prepared.method,
        path=parts.path,
        query=parts.query,
        body=body,
        headers=headers,
        base_url=f"{parts.scheme}://{parts.netloc}",
    )


def _callback_response(fake: Handles) -> Any:
    import responses

    from .service import HOST_RE

    def callback(prepared: Any) -> Tuple[int, Any, bytes]:
        response = fake.handle(_to_request(prepared))  # may raise a requests exception (faults)
        return response.status, response.headers, response.body

    class TrunkingCallback(responses.CallbackResponse):
        """Matches every method on every Trunking host; one registry entry for the whole API."""

        def matches(self, request: Any) -> Tuple[bool, str]:
            if HOST_RE.match(str(request.url)):
                return True, ""
            return False, "not a Twilio Trunking URL"

    return TrunkingCallback("GET", HOST_RE, callback, content_type=None)


def _find_match_with_fallback(self: Any, request: Any) -> Tuple[Any, List[str]]:
    assert _original_find_match is not None
    match, reasons = _original_find_match(self, request)
    if match is None:
        for _fake, entry in reversed(_active):
            if entry.matches(request)[0]:
                return entry, reasons
    return match, reasons


def start(fake: Handles) -> Any:
    """Route Trunking URLs to ``fake.handle`` through a private, started ``RequestsMock``."""
    global _original_find_match
    import responses
    from requests.adapters import HTTPAdapter

    outer_send = HTTPAdapter.send
    mock = responses.RequestsMock(assert_all_requests_are_fired=False, real_adapter_send=outer_send)
    entry = _callback_response(fake)
    mock.add(entry)
    if outer_send is not responses._real_send:  # another mock is active: hand it other hosts
        import re

        mock.add_passthru(re.compile(".*"))
    with _state_lock:
        if not _active:
            _original_find_match = responses.RequestsMock._find_match
            responses.RequestsMock._find_match = _find_match_with_fallback  # type: ignore[method-assign]
        _active.append((fake, entry))
    mock.start()
    return mock


def stop(fake: Handles, mock: Any) -> None:
    global _original_find_match
    import responses

    mock.stop(allow_assert=False)
    with _state_lock:
        _active[:] = [pair for pair in _active if pair[0] is not fake]
        if not _active and _original_find_match is not None:
            responses.RequestsMock._find_match = _original_find_match  # type: ignore[method-assign]
            _original_find_match = None
