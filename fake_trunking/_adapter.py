"""The ``responses`` adapter: a ``requests.PreparedRequest`` becomes a ``Request`` for the handler.

``responses`` (and so ``requests``) is imported on first start, not on ``import fake_trunking``.

Coexistence with the user's own ``responses`` mocks:
- ours started inside theirs: the hosts we do not serve are passed to the send function that was
  active when we started (theirs), instead of being refused;
- theirs started inside ours: while any fake is active, ``RequestsMock._find_match`` of every mock
  falls back to the innermost active fake for a Trunking URL that mock does not match itself.

``requests-mock`` swaps the transport adapter (``Session.get_adapter``), so ``HTTPAdapter.send`` is
never reached under it. While any fake is active, ``requests_mock.Adapter.send`` falls back to the
innermost active fake for a Trunking URL no matcher of that mocker answers, whichever was started
first; the user's own matchers win. (``requests_mock`` is imported only if it is installed.)

Exception faults (``fake.inject_fault(exception=...)``) go through urllib3's ``Retry`` the way a
real transport error would: a ``ConnectionError``/``ConnectTimeout`` counts as a connect error
(retried for any method), a ``ReadTimeout`` as a read error (retried for idempotent methods only),
within the adapter's ``max_retries``; ``responses`` already does the same for statuses such as
429/503 with ``Retry-After``. No back-off sleeps are taken (as in ``responses``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import threading
from typing import Any, Callable, List, Optional, Protocol, Tuple
from urllib.parse import urlsplit

from .handler import Request, Response


class Handles(Protocol):
    """Anything that answers a ``Request``: the fake, a cassette replayer, a test double."""

    def handle(self, request: Request) -> Response: ...


LOOPBACK = re.compile(
    r"https?://(?:localhost|127(?:\.[0-9]{1,3}){3}|\[::1\])(?::[0-9]+)?(?:[/?#]|\Z)", re.IGNORECASE
)

_state_lock = threading.Lock()
_active: List[Tuple[Handles, Any]] = []  # (target, its CallbackResponse), innermost last
_original_find_match: Optional[Callable[..., Any]] = None
_original_rm_send: Optional[Tuple[Any, Callable[..., Any]]] = None  # (Adapter, its send)
_requests_mock_installed: Optional[bool] = None
_mock_class: Optional[Tuple[Any, Any, Any]] = None  # (RequestsMock, our subclass, Unrecorded)
_FINAL = "_fake_trunking_final"  # an exception fault the retry emulation has given up on


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
        response = _handle(fake, prepared)  # may raise a requests exception (faults)
        return response.status, response.headers, response.body

    class TrunkingCallback(responses.CallbackResponse):
        """Matches every method on every Trunking host; one registry entry for the whole API."""

        def matches(self, request: Any) -> Tuple[bool, str]:
            if HOST_RE.match(str(request.url)):
                return True, ""
            return False, "not a Twilio Trunking URL"

    return TrunkingCallback("GET", HOST_RE, callback, content_type=None)


def _handle(fake: Handles, prepared: Any) -> Response:
    """``fake.handle`` for a ``PreparedRequest``; a raised ``requests`` exception names it."""
    try:
        return fake.handle(_to_request(prepared))
    except Exception as exc:
        if getattr(exc, "request", False) is None:
            exc.request = prepared  # type: ignore[attr-defined]
        raise


def _urllib3_error(exc: BaseException) -> Optional[Exception]:
    """The urllib3 error a real transport would have seen under this ``requests`` exception."""
    from requests import exceptions as rex
    from urllib3 import exceptions as uex

    if isinstance(exc, rex.ReadTimeout):
        return uex.ReadTimeoutError(None, "", str(exc))  # type: ignore[arg-type]
    if isinstance(exc, (rex.ConnectTimeout, rex.ConnectionError)):
        return uex.NewConnectionError(None, str(exc))  # type: ignore[arg-type]
    return None


def _next_retry(exc: BaseException, request: Any, retries: Any) -> Any:
    """The ``Retry`` to try ``request`` again after an exception fault, or None to give up."""
    from .faults import is_injected

    if not is_injected(exc) or getattr(exc, _FINAL, False):
        return None
    error = _urllib3_error(exc)
    following = None
    if error is not None:
        try:
            following = retries.increment(method=request.method, url=request.url, error=error)
        except Exception:  # MaxRetryError, or urllib3 re-raising a read error it won't retry
            following = None
    if following is None:
        setattr(exc, _FINAL, True)
    return following


def _requests_mock_class() -> Any:
    """Our private ``RequestsMock``: retries exception faults as urllib3 would."""
    global _mock_class
    import responses

    if _mock_class is None or _mock_class[0] is not responses.RequestsMock:  # (re)imported

        class TrunkingRequestsMock(responses.RequestsMock):
            def _on_request(
                self, adapter: Any, request: Any, *, retries: Any = None, **kwargs: Any
            ) -> Any:
                while True:
                    try:
                        return super()._on_request(adapter, request, retries=retries, **kwargs)
                    except Exception as exc:
                        following = _next_retry(exc, request, retries or adapter.max_retries)
                        if following is None:
                            raise
                        retries = following

        class Unrecorded(responses.CallList):
            """``fake.calls`` is the log: responses' own lists would keep every answer alive."""

            def add(self, request: Any, response: Any) -> None:
                pass

            def add_call(self, call: Any) -> None:
                pass

        _mock_class = (responses.RequestsMock, TrunkingRequestsMock, Unrecorded)
    return _mock_class[1]


def _innermost_entry(request: Any) -> Optional[Tuple[Handles, Any]]:
    for fake, entry in reversed(_active):
        if entry.matches(request)[0]:
            return fake, entry
    return None


def _requests_mock_send_with_fallback(self: Any, request: Any, **kwargs: Any) -> Any:
    """``requests_mock.Adapter.send``: unmatched Trunking URLs are answered by the fake."""
    from requests_mock import create_response
    from requests_mock.exceptions import NoMockAddress

    assert _original_rm_send is not None
    try:
        return _original_rm_send[1](self, request, **kwargs)
    except NoMockAddress:
        found = _innermost_entry(request)
        if found is None:
            raise
    response = _handle(found[0], request)
    out = create_response(
        request, status_code=response.status, headers=response.headers, content=response.body
    )
    out.connection = self
    return out


def _patch_requests_mock() -> None:
    """Install the requests-mock fallback (under ``_state_lock``, when the first fake starts)."""
    global _original_rm_send, _requests_mock_installed
    if _requests_mock_installed is None:
        _requests_mock_installed = importlib.util.find_spec("requests_mock") is not None
    if not _requests_mock_installed:
        return
    adapter = importlib.import_module("requests_mock.adapter").Adapter
    _original_rm_send = (adapter, adapter.send)
    adapter.send = _requests_mock_send_with_fallback


def _unpatch_requests_mock() -> None:
    global _original_rm_send
    if _original_rm_send is not None:
        adapter, send = _original_rm_send
        adapter.send = send
        _original_rm_send = None


def _find_match_with_fallback(self: Any, request: Any) -> Tuple[Any, List[str]]:
    assert _original_find_match is not None
    match, reasons = _original_find_match(self, request)
    if match is None:
        found = _innermost_entry(request)
        if found is not None:
            return found[1], reasons
    return match, reasons


def start(fake: Handles) -> Any:
    """Route Trunking URLs to ``fake.handle`` through a private, started ``RequestsMock``."""
    global _original_find_match
    import responses
    from requests.adapters import HTTPAdapter

    outer_send = HTTPAdapter.send
    mock = _requests_mock_class()(assert_all_requests_are_fired=False, real_adapter_send=outer_send)
    entry = _callback_response(fake)
    assert _mock_class is not None
    mock._calls = _mock_class[2]()
    entry._calls = _mock_class[2]()
    mock.add(entry)
    if outer_send is not responses._real_send:  # another mock is active: hand it other hosts
        mock.add_passthru(re.compile(".*"))
    else:  # loopback never leaves the machine: local test servers keep working
        mock.add_passthru(LOOPBACK)
    with _state_lock:
        if not _active:
            _original_find_match = responses.RequestsMock._find_match
            responses.RequestsMock._find_match = _find_match_with_fallback  # type: ignore[method-assign]
            _patch_requests_mock()
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
            _unpatch_requests_mock()
