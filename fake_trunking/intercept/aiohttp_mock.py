"""The aiohttp machinery of the async adapter (imported only when aiohttp and aioresponses are).

While started, ``ClientSession._request`` is a plain coroutine function of ours (see
``_Interception`` for why not aioresponses' own patcher). A request to a Trunking host becomes a
``Request`` exactly as aiohttp would send it (URL with ``params`` appended in order, form body
encoded by aiohttp's own ``FormData``, Basic auth, session default headers) and is answered by
``target.handle``; the ``Response`` becomes an ``aiohttp.ClientResponse`` built by aioresponses'
``RequestMatch``. A ``requests`` exception raised by ``handle`` (an injected fault) is raised as
its aiohttp equivalent (``map_exception``).

One interception for the whole process (``intercept.Stack``), installed when the first target
starts and removed when the last one stops, whatever the order; the most recently started target
still started answers. Other hosts follow ``intercept.route``, as for ``requests``:
- loopback (``network.is_loopback_host``) goes through to what was active before (usually the real
  aiohttp) without any proxy (an explicit ``proxy=`` is dropped, and ``trust_env`` finds none), so
  aiohttp test servers and pytest-aiohttp clients keep working and nothing leaves the machine;
- the answering fake's ``passthrough_hosts`` go through to what was active before too;
- when another mock (the user's ``aioresponses``, vcrpy) was active when the interception was
  installed, every other host goes to it;
- otherwise the request is refused with ``aiohttp.ClientConnectionError`` naming the host and the
  keyword that lets it through (``intercept.refusal``).

A user's ``aioresponses`` started *inside* the fake answers what it mocks and hands the Trunking
URLs it does not mock to the innermost active fake (``aioresponses.match`` is wrapped while any
fake is active), mirroring the ``responses`` adapter.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

import aiohttp
import aiohttp.payload
from aioresponses import aioresponses
from aioresponses.core import RequestMatch
from multidict import CIMultiDict
from yarl import URL

from ..core.hosts import is_loopback_host, is_served_url
from ..core.messages import Request, Response
from . import routing as intercept
from .routing import Entry, Handles, HostRules

_INTERCEPTION = "_fake_trunking_interception"

_original_match: Optional[Callable[..., Any]] = None
_original_env_proxy: Optional[Callable[..., Any]] = None

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


# -- exceptions --------------------------------------------------------------------------------
def map_exception(exc: BaseException) -> Optional[BaseException]:
    """The aiohttp exception an aiohttp caller would see instead of ``exc`` (a ``requests`` one).

    None when ``exc`` is not a ``requests`` exception (it is then raised unchanged).
    """
    if not type(exc).__module__.startswith("requests"):
        return None
    from requests import exceptions as rex

    if not isinstance(exc, rex.RequestException):
        return None
    message = str(exc) or type(exc).__name__
    if isinstance(exc, rex.ConnectTimeout):
        return _aiohttp_class("ConnectionTimeoutError", aiohttp.ServerTimeoutError)(message)
    if isinstance(exc, rex.Timeout):
        return _aiohttp_class("SocketTimeoutError", aiohttp.ServerTimeoutError)(message)
    if isinstance(exc, (rex.ChunkedEncodingError, rex.ContentDecodingError)):
        return aiohttp.ClientPayloadError(message)
    if isinstance(exc, rex.ConnectionError):
        return aiohttp.ClientConnectionError(message)
    return aiohttp.ClientError(message)


def _aiohttp_class(name: str, default: type[Exception]) -> Callable[[str], BaseException]:
    found = getattr(aiohttp, name, None)  # aiohttp >= 3.10 has the finer timeout classes
    return found if isinstance(found, type) else default


# -- aiohttp request -> Request ----------------------------------------------------------------
def _authorization(auth: Any) -> str:
    # aiohttp's own ``BasicAuth.encode`` (its ``encoding``, latin-1 by default), not
    # ``core.auth.basic_header`` (UTF-8): the header must be the bytes aiohttp would send
    encoding = getattr(auth, "encoding", None) or "latin1"
    credentials = f"{auth.login}:{auth.password}".encode(encoding)
    return "Basic " + base64.b64encode(credentials).decode("ascii")


def _body(kwargs: Mapping[str, Any]) -> Tuple[bytes, Optional[str]]:
    """The body aiohttp would send for ``data=`` / ``json=``, and its content type."""
    data = kwargs.get("data")
    if data is None:
        payload_json = kwargs.get("json")
        if payload_json is None:
            return b"", None
        return json.dumps(payload_json).encode("utf-8"), "application/json"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "application/octet-stream"
    if isinstance(data, str):
        return data.encode("utf-8"), "text/plain; charset=utf-8"
    if isinstance(data, aiohttp.payload.Payload):
        payload: Any = data
    else:  # a dict or pairs, as twilio sends: aiohttp's own form encoding
        form = data if isinstance(data, aiohttp.FormData) else aiohttp.FormData(data)
        payload = form()
    decode = getattr(payload, "decode", None)  # Payload.decode: aiohttp >= 3.10
    raw = decode("latin-1").encode("latin-1") if decode is not None else bytes(payload._value)
    return raw, payload.content_type


def to_request(session: Any, method: str, url: URL, kwargs: Mapping[str, Any]) -> Request:
    """The ``Request`` for one aiohttp call (``url`` absolute, with ``params`` already in it)."""
    headers: CIMultiDict[str] = CIMultiDict()
    if session is not None and session.headers:
        headers.update(session.headers)
    given = kwargs.get("headers")
    if given:
        for key, value in CIMultiDict(given).items():
            headers[key] = value
    method = method.upper()
    body, content_type = _body(kwargs)
    if content_type is not None and "Content-Type" not in headers:
        headers["Content-Type"] = content_type
    auth = kwargs.get("auth")
    if auth is None and url.user is not None:
        auth = aiohttp.helpers.BasicAuth.from_url(url)
    if auth is None and session is not None:
        auth = session.auth
    if auth is not None and "Authorization" not in headers:
        headers["Authorization"] = _authorization(auth)
    headers.setdefault("Accept", "*/*")
    headers.setdefault("Accept-Encoding", "gzip, deflate")
    if body or method in _BODY_METHODS:
        headers["Content-Length"] = str(len(body))
    lowered: Dict[str, str] = {}
    for key in headers:
        lowered.setdefault(key.lower(), ", ".join(headers.getall(key)))
    parts = urlsplit(str(url.with_user(None)))
    return Request(
        method=method,
        path=parts.path,
        query=parts.query,
        body=body,
        headers=lowered,
        base_url=f"{parts.scheme}://{parts.netloc}",
    )


# -- Response -> aiohttp.ClientResponse ----------------------------------------------------------
class _Sent:
    """What aiohttp >= 3.14 asks of a finished request's stream writer: the bytes it sent."""

    def __init__(self, output_size: int) -> None:
        self.output_size = output_size


def _response_class() -> type[aiohttp.ClientResponse]:
    """``ClientResponse``, made constructible the way aioresponses builds it on every aiohttp.

    aiohttp 3.14 added a required ``stream_writer`` argument that aioresponses 0.7.x does not
    pass (pnuckowski/aioresponses#289); this subclass supplies one for a request already sent.
    """
    if "stream_writer" not in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
        return aiohttp.ClientResponse

    class FakeTrunkingClientResponse(aiohttp.ClientResponse):
        def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _Sent(0))
            super().__init__(method, url, **kwargs)

    return FakeTrunkingClientResponse


_RESPONSE_CLASS = _response_class()


async def _client_response(
    url: URL, method: str, response: Response, kwargs: Mapping[str, Any]
) -> aiohttp.ClientResponse:
    content_type = next(
        (v for k, v in response.headers.items() if k.lower() == "content-type"), None
    )
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    match = RequestMatch(
        url,
        method=method.upper(),
        status=response.status,
        body=response.body,
        content_type=content_type or "application/json",
        headers=headers,
        response_class=_RESPONSE_CLASS,
    )
    built = await match.build_response(url, **kwargs)
    if isinstance(built, BaseException):  # only for a RequestMatch made with an exception
        raise built
    stripped = getattr(built, "_headers", None)
    if content_type is None and isinstance(stripped, CIMultiDict):
        # aioresponses always sets a Content-Type (in the attributes it fills itself, before
        # anything reads ``headers``); the fake's 204 has none, so take it out again
        stripped.popall("Content-Type", None)
        built._raw_headers = tuple(
            (k.encode("utf-8"), v.encode("utf-8")) for k, v in stripped.items()
        )
    return built


async def respond(
    target: Handles, request: Request, url: URL, kwargs: Mapping[str, Any]
) -> aiohttp.ClientResponse:
    """``target.handle(request)`` as an aiohttp response (faults raised as aiohttp exceptions).

    ``handle`` runs inline, so concurrent tasks are served in the order they call (seeded SIDs
    stay reproducible); while a latency fault is injected it runs in a worker thread instead,
    so its sleep does not block the event loop.
    """
    response = await serve(target, request)
    return await _client_response(url, request.method, response, kwargs)


async def serve(target: Handles, request: Request) -> Response:
    """``target.handle(request)`` as an async caller sees it: inline (in call order), or in a
    worker thread while a latency fault is injected; a ``requests`` exception (an exception
    fault) raised as its aiohttp equivalent. Shared by ``respond`` and the direct transport
    (``twilio_client``), so both answer alike."""
    try:
        if _latency_injected(target):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, target.handle, request)
        return target.handle(request)
    except Exception as exc:
        mapped = map_exception(exc)
        if mapped is None:
            raise
        raise mapped from exc


def answers_alone() -> bool:
    """Is our interception installed, live, over aiohttp itself and not under another mock?

    The direct transport (``twilio_client``) answers only then: while the user's aioresponses
    or vcrpy is active (above or under us), requests take the full aiohttp path."""
    inst = _interception
    if inst is None or not inst.live or inst.hand_off:
        return False
    import aiohttp.client

    return aiohttp.client.ClientSession._request is inst._function


def _latency_injected(target: Handles) -> bool:
    faults = getattr(target, "faults", None)  # FakeTrunkingService.faults: a copy, or absent
    return isinstance(faults, list) and any(getattr(f, "latency", None) for f in faults)


# -- the mock ----------------------------------------------------------------------------------
def _is_pristine(func: Any) -> bool:
    """Is ``func`` aiohttp's own ``ClientSession._request`` (no other mock active)?"""
    return (
        getattr(func, "__module__", None) == "aiohttp.client"
        and getattr(func, "__qualname__", None) == "ClientSession._request"
    )


def _bare(url: URL) -> str:
    """``url`` without user info (matched and shown without credentials)."""
    return str(url.with_user(None)) if url.user is not None else str(url)


class _Interception:
    """Replaces ``ClientSession._request`` with a plain coroutine function while started.

    Not aioresponses' own patcher: that one autospecs the current ``_request``, which fails
    (``InvalidSpecError``) when another aioresponses is already active, so mocks could not nest.
    A plain function can be patched over anything and autospecced by a mock started inside.
    """

    def __init__(self) -> None:
        self.original: Any = None  # the ``_request`` active before start: aiohttp's or a mock's
        self.hand_off = False  # True when that was another mock (aioresponses, vcrpy)
        self.live = False
        self._function: Any = None  # our ``_request`` while it is in place

    def start(self) -> None:
        import aiohttp.client

        original = aiohttp.client.ClientSession._request
        below = getattr(original, _INTERCEPTION, None)
        if isinstance(below, _Interception) and not below.live:  # ours, left under a mock
            original = below.original
        self.original = original
        self.hand_off = not _is_pristine(self.original)
        self.live = True
        interception = self

        async def _request(
            session: aiohttp.ClientSession, method: str, str_or_url: Any, *args: Any, **kw: Any
        ) -> aiohttp.ClientResponse:
            if not interception.live:  # stopped under a mock that outlived it: transparent
                interception.take_out()
                return await interception.original(session, method, str_or_url, *args, **kw)  # type: ignore[no-any-return]
            return await interception.request(session, method, str_or_url, *args, **kw)

        setattr(_request, _INTERCEPTION, self)
        self._function = _request
        setattr(aiohttp.client.ClientSession, "_request", _request)  # noqa: B010

    def stop(self) -> None:
        """Put back what was there at ``start``; if a mock started since is still active above
        this one, stay under it as a plain pass-through until that mock stops."""
        self.live = False
        self.take_out()

    def take_out(self) -> None:
        import aiohttp.client

        with intercept.LOCK:
            current = aiohttp.client.ClientSession._request
            if self._function is not None and current is self._function:
                aiohttp.client.ClientSession._request = self.original  # type: ignore[method-assign]
                self._function = None

    async def pass_on(
        self, session: aiohttp.ClientSession, method: str, str_or_url: Any, *args: Any, **kw: Any
    ) -> aiohttp.ClientResponse:
        """Hand the request to what was active before (the next mock, or aiohttp itself).

        An ``auth=`` argument (twilio passes ``BasicAuth``) is sent as the ``Authorization``
        header it stands for: the same request on the wire, without the deprecation warning
        aiohttp 3.14 would otherwise attribute to this frame.
        """
        auth = kw.get("auth")
        if auth is not None and hasattr(auth, "login"):
            headers: CIMultiDict[str] = CIMultiDict(kw.get("headers") or {})
            if "Authorization" not in headers:
                headers["Authorization"] = _authorization(auth)
            kw = {**kw, "headers": headers, "auth": None}
        passed: aiohttp.ClientResponse = await self.original(
            session, method, str_or_url, *args, **kw
        )
        return passed

    async def request(
        self, session: aiohttp.ClientSession, method: str, str_or_url: Any, *args: Any, **kw: Any
    ) -> aiohttp.ClientResponse:
        raise NotImplementedError


def _full_url(session: aiohttp.ClientSession, str_or_url: Any, params: Any) -> URL:
    """The URL aiohttp will request: joined to the session's ``base_url``, ``params`` appended."""
    build_url = getattr(session, "_build_url", None)
    url: URL = build_url(str_or_url) if build_url is not None else URL(str_or_url)
    return url.extend_query(params) if params else url


class FakeInterception(_Interception):
    """The one interception of every started target; see the module doc for the rules."""

    async def request(
        self, session: aiohttp.ClientSession, method: str, str_or_url: Any, *args: Any, **kw: Any
    ) -> aiohttp.ClientResponse:
        url = _full_url(session, str_or_url, kw.get("params"))
        bare = _bare(url)
        found = _STACK.top()
        decision = intercept.route(bare, found, self.hand_off)
        if decision == intercept.LOOPBACK:  # never leaves the machine: no proxy either
            kw = {**kw, "proxy": None, "proxy_auth": None}
            return await self.pass_on(session, method, str_or_url, *args, **kw)
        if decision == intercept.PASS:
            return await self.pass_on(session, method, str_or_url, *args, **kw)
        if decision == intercept.REFUSE:
            raise aiohttp.ClientConnectionError(intercept.refusal(method, bare))
        if found is None:  # stopped since: a stopped fake never answers
            raise aiohttp.ClientConnectionError(
                f"fake-trunking: {method.upper()} {bare}: no fake is started"
            )
        if session.closed:
            raise RuntimeError("Session is closed")
        data = kw.get("data")
        if data is not None and hasattr(data, "__aiter__"):
            kw["data"] = b"".join([chunk async for chunk in data])
        request = to_request(session, method, url, kw)
        response = await respond(found.target, request, url, kw)
        raise_for_status = kw.get("raise_for_status")
        if raise_for_status is None:
            raise_for_status = getattr(session, "_raise_for_status", False)
        if callable(raise_for_status):
            await raise_for_status(response)
        elif raise_for_status:
            response.raise_for_status()
        return response


def _innermost() -> Optional[Handles]:
    found = _STACK.top()
    return found.target if found is not None else None


async def _match_with_fallback(
    self: Any, method: str, url: URL, allow_redirects: bool = True, **kwargs: Any
) -> Any:
    """``aioresponses.match`` of every user mock: unmatched Trunking URLs go to the fake."""
    assert _original_match is not None
    found = await _original_match(self, method, url, allow_redirects=allow_redirects, **kwargs)
    if found is None and is_served_url(_bare(url)):
        target = _innermost()
        if target is not None:
            return await respond(target, to_request(None, method, url, kwargs), url, kwargs)
    return found


def _env_proxy_without_loopback(url: URL) -> Any:
    """``aiohttp.client.get_env_proxy_for_url`` while installed: never a proxy for loopback."""
    if is_loopback_host(url.host):
        raise LookupError(f"fake-trunking: no proxy for loopback {url.host!r}")
    assert _original_env_proxy is not None
    return _original_env_proxy(url)


_interception: Optional[FakeInterception] = None


def _install() -> None:
    global _original_match, _original_env_proxy, _interception
    import aiohttp.client

    interception = FakeInterception()
    interception.start()
    _interception = interception
    _original_match = aioresponses.match
    aioresponses.match = _match_with_fallback  # type: ignore[method-assign]
    found = getattr(aiohttp.client, "get_env_proxy_for_url", None)
    if found is not None:
        _original_env_proxy = found
        setattr(aiohttp.client, "get_env_proxy_for_url", _env_proxy_without_loopback)  # noqa: B010


def _uninstall() -> None:
    global _original_match, _original_env_proxy, _interception
    import aiohttp.client

    if _interception is not None:
        _interception.stop()
        _interception = None
    if _original_match is not None:
        aioresponses.match = _original_match  # type: ignore[method-assign]
        _original_match = None
    if _original_env_proxy is not None:
        setattr(aiohttp.client, "get_env_proxy_for_url", _original_env_proxy)  # noqa: B010
        _original_env_proxy = None


_STACK = intercept.Stack(_install, _uninstall)


class Started:
    """What ``start`` returns: ``detach()`` stops that target."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry

    def detach(self) -> None:
        _STACK.remove(self.entry)


def start(target: Handles, passthrough: Optional[HostRules] = None) -> Started:
    """Route aiohttp's Trunking requests to ``target.handle`` until ``stop``."""
    return Started(_STACK.push(target, passthrough))


def stop(target: Handles, mock: Started) -> None:
    mock.detach()


def top() -> Optional[Entry]:
    """The target answering aiohttp now (the most recently started), or None."""
    return _STACK.top()


# -- record / live modes: only allowed hosts leave the process ---------------------------------
class PassThrough(_Interception):
    """Lets the URLs ``allowed`` accepts through to what was active before (vcrpy's recorder, or
    aiohttp itself) and refuses every other one, like the ``responses`` pass-through of the
    record and live modes."""

    def __init__(self, allowed: Callable[[str], bool]) -> None:
        super().__init__()
        self.allowed = allowed

    async def request(
        self, session: aiohttp.ClientSession, method: str, str_or_url: Any, *args: Any, **kw: Any
    ) -> aiohttp.ClientResponse:
        full = _bare(_full_url(session, str_or_url, kw.get("params")))
        if self.allowed(full):
            return await self.pass_on(session, method, str_or_url, *args, **kw)
        raise aiohttp.ClientConnectionError(
            f"fake-trunking: connection refused: {method.upper()} {full} (only Twilio Trunking "
            "requests leave the process while recording or live)"
        )
