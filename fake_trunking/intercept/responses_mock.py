"""The ``requests`` interception: a ``PreparedRequest`` becomes a ``Request`` for the handler.

One interception for the whole process (``intercept.Stack``): ``HTTPAdapter.send`` is replaced
when the first target (fake, cassette replayer) starts and put back when the last one stops,
whatever the order. Each request is routed by ``intercept.route``: a Trunking URL is answered by
the most recently started target still started (through a private ``responses.RequestsMock``, so
statuses, headers, cookies and retries behave as under ``responses``); loopback goes to the send
that was active when the interception was installed, without proxies; a host of the answering
fake's ``passthrough_hosts`` goes to that send too (the user's mock under us, vcrpy's patched
connections, or the network); anything else is refused with ``requests.ConnectionError`` naming
the host and the keyword (``intercept.refusal``). ``responses`` (and so ``requests``) is imported
on first start, not on ``import fake_trunking``.

Coexistence with the user's own ``responses`` mocks:
- ours started inside theirs: every host we do not serve is passed to theirs (``hand_off``);
- theirs started inside ours: while any fake is active, ``RequestsMock._find_match`` of every mock
  falls back to the innermost active fake for a Trunking URL that mock does not match itself.
If theirs is still active when our last fake stops (stopped out of order), our send stays under
theirs as a plain pass-through and takes itself out at the first request after theirs stops.

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
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urlsplit

from ..core.hosts import HOST_RE, is_served_url
from ..core.messages import Request, Response
from . import routing as intercept
from .routing import Entry, Handles, HostRules

__all__ = ["Handles", "start", "stop"]

_original_find_match: Optional[Callable[..., Any]] = None
_original_rm_send: Optional[Tuple[Any, Callable[..., Any]]] = None  # (Adapter, its send)
_requests_mock_installed: Optional[bool] = None
_mock_class: Optional[Tuple[Any, Any, Any]] = None  # (RequestsMock, our subclass, Unrecorded)
_FINAL = "_fake_trunking_final"  # an exception fault the retry emulation has given up on
_SEND_ARGS = ("stream", "timeout", "verify", "cert", "proxies")  # HTTPAdapter.send's, in order


def _to_request(prepared: Any) -> Request:
    parts = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):  # a file-like or generator body
        body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    given = prepared.headers
    lower_items = getattr(given, "lower_items", None)  # requests' CaseInsensitiveDict
    headers = dict(lower_items()) if lower_items else {k.lower(): v for k, v in given.items()}
    return Request(
        method=prepared.method,
        path=parts.path,
        query=parts.query,
        body=body,
        headers=headers,
        base_url=f"{parts.scheme}://{parts.netloc}",
    )


def _callback_response() -> Any:
    """Our one registry entry: every method on every Trunking host, answered by ``_STACK.top()``."""
    import requests
    import responses

    def callback(prepared: Any) -> Tuple[int, Any, bytes]:
        found = _STACK.top()
        if found is None:  # stopped since the request was routed: a stopped fake never answers
            raise requests.exceptions.ConnectionError(
                f"fake-trunking: {prepared.method} {prepared.url}: no fake is started",
                request=prepared,
            )
        response = _handle(found.target, prepared)  # may raise a requests exception (faults)
        return response.status, response.headers, response.body

    class TrunkingCallback(responses.CallbackResponse):
        """Matches every method on every Trunking host; one registry entry for the whole API."""

        def matches(self, request: Any) -> Tuple[bool, str]:
            if is_served_url(str(request.url)):
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
    from ..faults import is_injected

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
    """The target answering ``request`` (a Trunking URL, a fake started) and our registry entry."""
    found = _STACK.top()
    inst = _installation
    if found is None or inst is None or not is_served_url(str(request.url)):
        return None
    return found.target, inst.entry


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
    """Install the requests-mock fallback (under ``intercept.LOCK``, when the first fake starts)."""
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


class _Installation:
    """``HTTPAdapter.send`` replaced while any target is started (see the module doc)."""

    def __init__(self) -> None:
        import responses
        from requests.adapters import HTTPAdapter

        self.adapter_class = HTTPAdapter
        outer = HTTPAdapter.send
        below = getattr(outer, _INSTALLATION, None)
        if isinstance(below, _Installation):  # our own, left under a user's mock: skip it
            outer = below.outer
        self.outer: Callable[..., Any] = outer
        self.hand_off = outer is not responses._real_send  # another mock was active
        self.live = True
        self.mock = _requests_mock_class()(assert_all_requests_are_fired=False)
        assert _mock_class is not None
        self.mock._calls = _mock_class[2]()
        self.entry = _callback_response()
        self.entry._calls = _mock_class[2]()
        self.mock.add(self.entry)
        installation = self

        def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            return installation.send(adapter, request, *args, **kwargs)

        setattr(send, _INSTALLATION, self)
        self.send_function = send

    def install(self) -> None:
        setattr(self.adapter_class, "send", self.send_function)  # noqa: B010

    def uninstall(self) -> None:
        self.live = False
        if self.adapter_class.send is self.send_function:
            self.adapter_class.send = self.outer  # type: ignore[method-assign]
        # else a mock started after ours is still active above us: see ``send``

    def send(self, adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        for name, value in zip(_SEND_ARGS, args):  # a custom adapter may pass them positionally
            kwargs[name] = value
        if not self.live:  # left under a user's mock that outlived the fakes: transparent
            with intercept.LOCK:
                if self.adapter_class.send is self.send_function:
                    self.adapter_class.send = self.outer  # type: ignore[method-assign]
            return self.outer(adapter, request, **kwargs)
        url = str(request.url)
        decision = intercept.route(url, _STACK.top(), self.hand_off)
        if decision == intercept.TRUNKING:
            return self.mock._on_request(adapter, request, **kwargs)
        if decision == intercept.LOOPBACK:
            kwargs["proxies"] = {}  # loopback never leaves the machine, not even to a proxy
            return self.outer(adapter, request, **kwargs)
        if decision == intercept.PASS:
            return self.outer(adapter, request, **kwargs)
        import requests

        raise requests.exceptions.ConnectionError(
            intercept.refusal(str(request.method), url), request=request
        )


_INSTALLATION = "_fake_trunking_installation"
_installation: Optional[_Installation] = None


def _install() -> None:
    """The first target started: patch ``HTTPAdapter.send`` and the fallbacks (under the lock)."""
    global _installation, _original_find_match
    import responses

    installation = _Installation()
    _original_find_match = responses.RequestsMock._find_match
    responses.RequestsMock._find_match = _find_match_with_fallback  # type: ignore[method-assign]
    _patch_requests_mock()
    installation.install()
    _installation = installation


def _uninstall() -> None:
    """The last target stopped: put everything back (under the lock)."""
    global _installation, _original_find_match
    import responses

    if _installation is not None:
        _installation.uninstall()
        _installation = None
    if _original_find_match is not None:
        responses.RequestsMock._find_match = _original_find_match  # type: ignore[method-assign]
        _original_find_match = None
    _unpatch_requests_mock()


_STACK = intercept.Stack(_install, _uninstall)


def start(target: Handles, passthrough: Optional[HostRules] = None) -> Entry:
    """Answer Trunking URLs with ``target.handle`` until ``stop``; ``passthrough`` (default: the
    target's ``passthrough_hosts``) lists the other hosts let through."""
    return _STACK.push(target, passthrough)


def stop(target: Handles, handle: Entry) -> None:
    """Undo ``start``; ``handle`` is what it returned (idempotent)."""
    _STACK.remove(handle)


def top() -> Optional[Entry]:
    """The target answering ``requests`` now (the most recently started), or None."""
    return _STACK.top()


def answers_alone() -> bool:
    """Is our ``HTTPAdapter.send`` installed, live, over the real send and not under a mock?

    The direct transport (``twilio_client``) answers only then: while the user's ``responses``
    mock (or anything else patching ``HTTPAdapter.send``) is active, above or under us, twilio's
    requests take the full path, so their mocks of Twilio URLs keep winning."""
    inst = _installation
    return (
        inst is not None
        and inst.live
        and not inst.hand_off
        and inst.adapter_class.send is inst.send_function
    )
