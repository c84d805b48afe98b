"""The direct transport: twilio's own HTTP clients answered by the fake before any HTTP.

moto answers boto3 in botocore's ``before-send`` hook; this module does the same at twilio's HTTP
client. While any fake is started, ``TwilioHttpClient.request`` and
``AsyncTwilioHttpClient.request`` are replaced at the class level (one process-wide
``routing.Stack``: installed with the first fake, removed after the last, whatever the order).
For a request to a served host (Trunking v1's or API v2010's: ``core.hosts.is_served_url``),
the most recently started fake builds the very ``Request`` that
``requests`` (or aiohttp) would have put on the wire, answers it with ``handle`` and the client
gets what the full path would have given it: ``last_request``/``last_response`` (``requests``'
``CaseInsensitiveDict`` or aiohttp's ``CIMultiDict`` headers, the text as they decode it), the
same ``twilio.http_client`` log lines (twilio's own ``log_request``/``log_response``), the same
``TwilioRestException``, the same ``fake.calls`` (so cassettes and the request log), faults
(status, latency, ``Retry-After``). Nine tenths of a call's cost, the HTTP stack the fake would
throw away, is skipped.

The rule, and its reason: the direct path is taken only when it cannot be told from the full
path. The full path (``requests`` + the ``responses`` layer, or aiohttp + ours) is taken whenever
the HTTP layer itself may be under test, or someone else may answer:

- the fake was started with ``transport="http"`` (or ``FAKE_TRUNKING_TRANSPORT=http``);
- the client is not exactly ``TwilioHttpClient`` / ``AsyncTwilioHttpClient`` (or our
  ``LazyAsyncTwilioHttpClient``): a subclass or a custom ``http_client`` owns its requests;
- a session with anything but the stock adapters (a mounted adapter, ``max_retries`` / a urllib3
  ``Retry``), ``proxy=``/``proxy_url``/session proxies, session auth, params, cookies or hooks,
  request hooks, aiohttp ``trace_configs`` or an ``aiohttp_retry`` ``RetryClient``;
- an exception fault is injected (sync: it must surface as the ``requests`` exception, with its
  ``PreparedRequest``, after urllib3's retries);
- another mock is active: the user's ``responses`` (``HTTPAdapter.send`` is not ours, or was not
  the real one when ours was installed), requests-mock (``Session.send`` / ``get_adapter`` patched),
  vcrpy (connection classes patched), aioresponses or vcrpy on aiohttp; their own mocks of Twilio
  URLs keep winning (so does anything else that patches ``Session.send``);
- the URL is not a plain ``https`` URL on a served host, or a request is one ``requests`` would
  refuse or reshape (JSON bodies, non-string credentials or header values).

Plain ``requests`` and aiohttp calls never come here: they go through the ``responses`` and
aiohttp layers as before.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import logging
import os
import re
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from ..core.hosts import is_served_url
from ..core.messages import Request, Response
from . import responses_mock
from . import routing as intercept
from .routing import Entry, Handles

__all__ = [
    "DIRECT",
    "HTTP",
    "TRANSPORTS",
    "TRANSPORT_ENV",
    "default_transport",
    "start",
    "stop",
]

DIRECT, HTTP = "direct", "http"
TRANSPORTS = (DIRECT, HTTP)
TRANSPORT_ENV = "FAKE_TRUNKING_TRANSPORT"  # the default of the ``transport`` keyword

_JSON_TYPES = ("application/json", "application/scim+json")
_NO_BODY_LENGTH = ("GET", "HEAD")
# a URL that ``requests.utils.requote_uri`` gives back unchanged: no ``%`` (nothing to
# normalise) and only characters it never quotes (unreserved and its ``safe`` set)
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~!#$&'()*+,/:;=?@\[\]]*\Z")
# what is the same on every call of a client, worked out once: the merged, checked request
# headers of (session headers, twilio's headers); the Basic value of (user, secret); the
# encoding ``requests`` finds for a Content-Type. Small and bounded (emptied when full).
_MEMO_SIZE = 256


def default_transport() -> str:
    """``FAKE_TRUNKING_TRANSPORT`` (``direct`` or ``http``), else ``direct``; a ValueError
    naming the variable for anything else (a CI job that forces ``http`` must not silently
    run ``direct``)."""
    raw = os.environ.get(TRANSPORT_ENV, "").strip().lower()
    if not raw:
        return DIRECT
    if raw not in TRANSPORTS:
        raise ValueError(
            f"{TRANSPORT_ENV}={os.environ[TRANSPORT_ENV]!r}: expected 'direct' or 'http'"
        )
    return raw


# -- who answers --------------------------------------------------------------------------
def _answering(url: str) -> Optional[Handles]:
    """The fake that answers ``url`` directly, or None (the full path). Common to both clients."""
    entry = _STACK.top()
    if entry is None:
        return None
    target = entry.target
    if getattr(target, "transport", DIRECT) != DIRECT:
        return None
    if not url.startswith("https://") or not is_served_url(url):
        return None
    try:
        parts = urlsplit(url)
        if parts.fragment or "@" in parts.netloc or parts.port is not None:
            return None
    except ValueError:
        return None
    if parts.netloc != parts.netloc.lower():
        return None
    return target


def _exception_fault(target: Handles) -> bool:
    faults = getattr(target, "faults", None)  # FakeTrunkingService.faults: a copy
    return isinstance(faults, list) and any(getattr(f, "exception", None) for f in faults)


def _pristine(cls: Any, name: str, module: str) -> bool:
    attribute = getattr(cls, name, None)
    return getattr(attribute, "__module__", None) == module


def _vcrpy_inactive() -> bool:
    """vcrpy patches ``http.client`` and urllib3's connection classes while a cassette is in use."""
    client = sys.modules.get("http.client")  # vcrpy imports it: not imported, not patched
    if client is not None and client.HTTPSConnection.__module__ != "http.client":
        return False
    pool = sys.modules.get("urllib3.connectionpool")
    if pool is not None:
        cls = getattr(pool.HTTPSConnectionPool, "ConnectionCls", None)
        if cls is not None and not str(cls.__module__).startswith("urllib3"):
            return False
    return True


class _Patch:
    """The class-level patch of one twilio HTTP client class: ``function`` replaces its
    ``request`` while installed; ``original`` comes back, unless someone patched it since."""

    client_class: Any
    function: Callable[..., Any]
    original: Callable[..., Any]

    def install(self) -> None:
        self.client_class.request = self.function

    def uninstall(self) -> None:
        if self.client_class.request is self.function:
            self.client_class.request = self.original


# -- the sync client --------------------------------------------------------------------------
class _Sync(_Patch):
    """What the sync patch needs from requests and twilio (resolved once, at install)."""

    def __init__(self) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from requests.structures import CaseInsensitiveDict
        from requests.utils import default_headers, get_encoding_from_headers, requote_uri
        from twilio.http.http_client import TwilioHttpClient
        from twilio.http.request import Request as TwilioRequest
        from twilio.http.response import Response as TwilioResponse

        self.session_class = requests.Session
        self.adapter_class = HTTPAdapter
        self.headers_class = CaseInsensitiveDict
        self.default_headers = default_headers
        self.encoding_of = get_encoding_from_headers
        self.requote = requote_uri
        self.client_class = TwilioHttpClient
        self.twilio_request = TwilioRequest
        self.twilio_response = TwilioResponse
        self.original: Callable[..., Any] = TwilioHttpClient.request
        sync = self

        def request(
            client: Any,
            method: str,
            url: str,
            params: Optional[Dict[str, object]] = None,
            data: Optional[Dict[str, object]] = None,
            headers: Optional[Dict[str, str]] = None,
            auth: Optional[Tuple[str, str]] = None,
            timeout: Optional[float] = None,
            allow_redirects: bool = False,
        ) -> Any:
            target = sync.target(client, url, data, headers, auth)
            if target is None:
                return sync.original(
                    client, method, url, params, data, headers, auth, timeout, allow_redirects
                )
            assert auth is not None  # checked by ``target``
            return sync.direct(
                target, client, method, url, params, data, headers, auth, timeout, allow_redirects
            )

        request.__doc__ = TwilioHttpClient.request.__doc__
        setattr(request, "_fake_trunking_direct", True)  # noqa: B010
        self.function = request

    # -- when -----------------------------------------------------------------------------
    def target(
        self, client: Any, url: str, data: Any, headers: Any, auth: Any
    ) -> Optional[Handles]:
        if type(client) is not self.client_class:
            return None
        target = _answering(url)
        if target is None:
            return None
        found = responses_mock.top()  # what ``requests`` would reach: the same fake, or no
        if found is None or found.target is not target or not responses_mock.answers_alone():
            return None
        if client.proxy or any(client.request_hooks.values()):
            return None
        session = client.session
        if session is not None and not self.stock_session(session):
            return None
        for name in ("send", "get_adapter"):  # requests-mock's Mocker patches both
            if not _pristine(self.session_class, name, "requests.sessions"):
                return None
        if not _vcrpy_inactive():
            return None
        if not (
            isinstance(auth, tuple)
            and len(auth) == 2
            and type(auth[0]) is str
            and type(auth[1]) is str
        ):
            return None
        if headers and headers.get("Content-Type") in _JSON_TYPES:
            return None
        if data is not None and not isinstance(data, Mapping):
            return None
        if _exception_fault(target):
            return None
        return target

    def stock_session(self, session: Any) -> bool:
        if session.proxies or session.auth is not None or session.params:
            return False
        if len(session.cookies) or any(session.hooks.values()):
            return False
        adapters = session.adapters
        if len(adapters) != 2:
            return False
        for prefix in ("https://", "http://"):
            adapter = adapters.get(prefix)
            if type(adapter) is not self.adapter_class or not _stock_retries(adapter.max_retries):
                return False
        return True

    # -- how ------------------------------------------------------------------------------
    def direct(
        self,
        target: Handles,
        client: Any,
        method: str,
        url: str,
        params: Any,
        data: Any,
        headers: Any,
        auth: Tuple[str, str],
        timeout: Optional[float],
        allow_redirects: bool,
    ) -> Any:
        """``TwilioHttpClient.request``, step for step, with ``handle`` where ``send`` was."""
        if timeout is None:
            timeout = client.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        kwargs = {
            "method": method.upper(),
            "url": url,
            "params": params,
            "headers": headers,
            "auth": auth,
            "hooks": client.request_hooks,
            "data": data,
        }
        request = self.prepare(client.session, kwargs)
        if request is None:  # one requests would refuse or reshape: let it say how
            return self.original(
                client, method, url, params, data, headers, auth, timeout, allow_redirects
            )
        logs = _logs(client)
        if logs:
            client.log_request(kwargs)
        client._test_only_last_response = None
        client._test_only_last_request = self.twilio_request(**kwargs)
        response = target.handle(request)
        received = self.headers_class(response.headers)
        if logs:
            client.log_response(response.status, _Logged(received))
        client._test_only_last_response = self.twilio_response(
            int(response.status), self.text(response), received
        )
        return client._test_only_last_response

    def prepare(self, session: Any, kwargs: Dict[str, Any]) -> Optional[Request]:
        """The ``Request`` that ``Session.prepare_request`` + ``PreparedRequest.prepare`` would
        make for twilio's arguments (None for one it would refuse or that we do not mirror)."""
        method: str = kwargs["method"]
        headers = self.headers_for(session, kwargs["headers"])
        if headers is None:
            return None
        lowered = dict(headers)
        parts = urlsplit(kwargs["url"])
        query = parts.query
        encoded = _encode_params(kwargs["params"])
        if encoded:
            query = f"{query}&{encoded}" if query else encoded
        full = f"https://{parts.netloc}{parts.path or '/'}{'?' if query else ''}{query}"
        if _PLAIN_URL.match(full):  # what ``requote_uri`` would give back unchanged
            path = parts.path or "/"
        else:
            parts = urlsplit(self.requote(full))
            path, query = parts.path, parts.query
        data = kwargs["data"]
        body = _encode_params(data).encode("utf-8") if data else None
        if body is not None:
            if body:
                lowered["content-length"] = str(len(body))
        elif method not in _NO_BODY_LENGTH and "content-length" not in lowered:
            lowered["content-length"] = "0"
        if body is not None and "content-type" not in lowered:
            lowered["content-type"] = "application/x-www-form-urlencoded"
        authorization = _basic(*kwargs["auth"])
        if authorization is None:
            return None
        lowered["authorization"] = authorization
        return Request(
            method=method,
            path=path,
            query=query,
            body=body or b"",
            headers=lowered,
            base_url=f"https://{parts.netloc}",
        )

    def headers_for(self, session: Any, given: Any) -> Optional[Dict[str, str]]:
        """The session's headers merged with twilio's (lower-case names, ``None`` values left
        out, each checked as ``requests`` checks it), or None for one it would refuse. The same
        on every call of a client: worked out once per distinct pair (``_MEMO_SIZE``)."""
        defaults = session.headers if session is not None else self.default_headers()
        try:
            key = (tuple(defaults.lower_items()), tuple(given.items()) if given else ())
            found = _HEADERS_MEMO.get(key, _MISSING)
        except TypeError:  # an unhashable value: no memo
            key, found = None, _MISSING
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        merged: Dict[str, Any] = dict(defaults.lower_items())  # CaseInsensitiveDict's own
        out: Optional[Dict[str, str]] = {}
        if given:
            for name, value in given.items():
                if type(name) is not str:
                    out = None
                    break
                merged[name.lower()] = value
        if out is not None:
            for name, value in merged.items():
                if value is None:
                    continue
                if type(name) is not str or type(value) is not str or not _valid_header(value):
                    out = None
                    break
                out[name] = value
        if key is not None:
            _memo_put(_HEADERS_MEMO, key, out)
        return out

    def text(self, response: Response) -> str:
        """``requests.Response.text`` for the fake's bodies (JSON: UTF-8, as ``requests``)."""
        if not response.body:
            return ""
        ctype = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
        if ctype in _ENCODING_MEMO:
            encoding = _ENCODING_MEMO[ctype]
        else:
            encoding = self.encoding_of({"content-type": ctype}) if ctype else None
            _memo_put(_ENCODING_MEMO, ctype, encoding)
        return str(response.body, encoding or "utf-8", errors="replace")


_MISSING = object()
_HEADERS_MEMO: Dict[Any, Optional[Dict[str, str]]] = {}
_BASIC_MEMO: Dict[Tuple[str, str], Optional[str]] = {}
_ENCODING_MEMO: Dict[str, Optional[str]] = {}


def _memo_put(memo: Dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value


def _basic(login: str, password: str) -> Optional[str]:
    """``requests``' ``HTTPBasicAuth`` value of ``(login, password)`` (latin-1, as it encodes
    them), or None for credentials it cannot encode so (the full path says how it fails)."""
    key = (login, password)
    found = _BASIC_MEMO.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    try:
        token = base64.b64encode(login.encode("latin1") + b":" + password.encode("latin1"))
        value: Optional[str] = "Basic " + token.strip().decode("ascii")
    except UnicodeEncodeError:
        value = None
    _memo_put(_BASIC_MEMO, key, value)
    return value


def _logs(client: Any) -> bool:
    """Would twilio's ``log_request``/``log_response`` emit anything (INFO enabled)? They build
    their lines (the response headers' ``repr`` among them) before asking the logger, so they
    are called only when a line would come out: the same records, without the cost otherwise."""
    enabled = getattr(client.logger, "isEnabledFor", None)
    return enabled is None or bool(enabled(logging.INFO))


class _Logged:
    """What twilio's ``log_response`` reads of a response: its headers."""

    __slots__ = ("headers",)

    def __init__(self, headers: Any) -> None:
        self.headers = headers


def _stock_retries(retries: Any) -> bool:
    """``HTTPAdapter()``'s own ``Retry(0, read=False)``: no retry of anything."""
    return (
        getattr(retries, "total", None) == 0
        and getattr(retries, "read", None) is False
        and getattr(retries, "connect", None) is None
        and getattr(retries, "status", None) is None
        and not getattr(retries, "status_forcelist", None)
    )


def _valid_header(value: str) -> bool:
    """``requests``' header value check: no CR/LF, no leading whitespace."""
    return "\r" not in value and "\n" not in value and not value[:1].isspace()


def _encode_params(data: Any) -> str:
    """``requests``' ``RequestEncodingMixin._encode_params`` for a mapping (twilio's params and
    form data): every value of a list, ``None`` left out, UTF-8, ``urlencode(doseq=True)``."""
    if not data:
        return ""
    if isinstance(data, str):
        return data
    result: List[Tuple[Any, Any]] = []
    for key, values in data.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        for value in values:
            if value is not None:
                result.append(
                    (
                        key.encode("utf-8") if isinstance(key, str) else key,
                        value.encode("utf-8") if isinstance(value, str) else value,
                    )
                )
    return urlencode(result, doseq=True)


# -- the async client -------------------------------------------------------------------------
class _Async(_Patch):
    """What the async patch needs (resolved once, at install; aiohttp is installed)."""

    def __init__(self) -> None:
        from aiohttp import BasicAuth, ClientSession
        from multidict import CIMultiDict
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.http.request import Request as TwilioRequest
        from twilio.http.response import Response as TwilioResponse
        from yarl import URL

        from ..clients.lazy_async import LazyAsyncTwilioHttpClient

        self.machinery = importlib.import_module(f"{__package__}.aiohttp_mock")
        self.basic_auth = BasicAuth
        self.session_class = ClientSession
        self.headers_class = CIMultiDict
        self.url_class = URL
        self.client_class = AsyncTwilioHttpClient
        self.client_classes = (AsyncTwilioHttpClient, LazyAsyncTwilioHttpClient)
        self.twilio_request = TwilioRequest
        self.twilio_response = TwilioResponse
        self.original: Callable[..., Any] = AsyncTwilioHttpClient.request
        asynchronous = self

        async def request(
            client: Any,
            method: str,
            url: str,
            params: Optional[Dict[str, object]] = None,
            data: Optional[Dict[str, object]] = None,
            headers: Optional[Dict[str, str]] = None,
            auth: Optional[Tuple[str, str]] = None,
            timeout: Optional[float] = None,
            allow_redirects: bool = False,
        ) -> Any:
            target = asynchronous.target(client, url, data, auth)
            if target is None:
                return await asynchronous.original(
                    client, method, url, params, data, headers, auth, timeout, allow_redirects
                )
            return await asynchronous.direct(
                target, client, method, url, params, data, headers, auth, timeout, allow_redirects
            )

        request.__doc__ = AsyncTwilioHttpClient.request.__doc__
        setattr(request, "_fake_trunking_direct", True)  # noqa: B010
        self.function = request

    def target(self, client: Any, url: str, data: Any, auth: Any) -> Optional[Handles]:
        if type(client) not in self.client_classes:
            return None
        target = _answering(url)
        if target is None:
            return None
        found = self.machinery.top()
        if found is None or found.target is not target or not self.machinery.answers_alone():
            return None
        if client.proxy_url or client.trace_configs:
            return None
        session = client.session
        if session is not None and (type(session) is not self.session_class or session.closed):
            return None  # a RetryClient (max_retries), or a closed session: twilio's errors
        if session is not None and getattr(session, "_raise_for_status", False):
            return None  # ClientSession(raise_for_status=...): aiohttp's own errors
        if getattr(client, "max_retries", None) is not None:  # LazyAsyncTwilioHttpClient
            return None
        if data is not None and not isinstance(data, Mapping):
            return None
        if auth is not None and not (
            isinstance(auth, tuple)
            and len(auth) == 2
            and type(auth[0]) is str
            and type(auth[1]) is str
            and ":" not in auth[0]
        ):
            return None  # twilio's BasicAuth would refuse it: let it say how
        answering: Handles = target
        return answering

    async def direct(
        self,
        target: Handles,
        client: Any,
        method: str,
        url: str,
        params: Any,
        data: Any,
        headers: Any,
        auth: Any,
        timeout: Optional[float],
        allow_redirects: bool,
    ) -> Any:
        """``AsyncTwilioHttpClient.request``, step for step, with ``handle`` where aiohttp was."""
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        basic_auth = None
        if auth is not None:
            # the ``BasicAuth(login, password)`` twilio makes, checked in ``target``; built as
            # the tuple it is, so aiohttp 3.14's deprecation of the class is not pinned on us
            basic_auth = tuple.__new__(self.basic_auth, (auth[0], auth[1], "latin1"))
        kwargs = {
            "method": method.upper(),
            "url": url,
            "params": params,
            "data": data,
            "headers": headers,
            "auth": basic_auth,
            "timeout": timeout,
            "allow_redirects": allow_redirects,
        }
        logs = _logs(client)
        if logs:
            client.log_request(kwargs)
        client._test_only_last_response = None
        client._test_only_last_request = self.twilio_request(**kwargs)
        full = self.url_class(url)
        if params:
            full = full.extend_query(params)
        request = self.machinery.to_request(client.session, kwargs["method"], full, kwargs)
        response = await self.machinery.serve(target, request)
        received: Any = self.headers_class()
        for name, value in response.headers.items():  # aioresponses puts Content-Type first
            if name.lower() == "content-type":
                received[name] = value
        for name, value in response.headers.items():
            if name.lower() != "content-type":
                received.add(name, value)
        if logs:
            client.log_response(response.status, _Logged(received))
        client._test_only_last_response = self.twilio_response(
            response.status, response.body.decode("utf-8"), received
        )
        return client._test_only_last_response


# -- the stack ---------------------------------------------------------------------------------
_patches: List[Any] = []


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _install() -> None:
    """The first fake started: patch twilio's HTTP clients (the ones installed)."""
    if not _installed("twilio"):
        return
    found: List[Any] = [_Sync()]
    if all(_installed(m) for m in ("aiohttp", "aiohttp_retry", "aioresponses")):
        found.append(_Async())
    for patch in found:
        patch.install()
    _patches[:] = found


def _uninstall() -> None:
    for patch in reversed(_patches):
        patch.uninstall()
    _patches.clear()


_STACK = intercept.Stack(_install, _uninstall)


def start(target: Handles) -> Entry:
    """Answer twilio's HTTP clients with ``target`` (the most recently started) until ``stop``."""
    return _STACK.push(target)


def stop(entry: Entry) -> None:
    """Undo ``start`` (idempotent)."""
    _STACK.remove(entry)
