"""The transport-neutral request handler: ``Request`` in, ``Response`` out.

Every adapter (the ``responses`` callback, the HTTP server, cassette replay/verify) builds a
``Request`` and calls ``Handler.handle``. Nothing here knows about sockets or ``requests``; nothing
resource-specific lives here either (see ``resources/``).

Order of checks: a CORS preflight is answered first (200, no credentials needed), then
authentication (401), route (404), method (405), parent and target existence (404), parameters
(400), then the resource's own rules. Every answer carries ``CORS_HEADERS``. A request that fails
changes nothing. Any exception that is not a ``TwilioError`` is a bug in the fake and becomes a
500/20500 body.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, quote

from . import errors
from .collection import Record
from .params import Param, parse_form
from .resources import BY_SEGMENT, TRUNK, Context, Resource
from .store import Account, Store

log = logging.getLogger("fake_trunking")

DEFAULT_BASE_URL = "https://trunking.twilio.com"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# the list query parameters every collection accepts (spec: ListTrunk & co.)
PAGE_SIZE = Param("PageSize", "page_size", type="integer", minimum=1)
PAGE = Param("Page", "page", type="integer", minimum=0)
PAGE_TOKEN = Param("PageToken", "page_token")
LIST_PARAMS = (PAGE_SIZE, PAGE, PAGE_TOKEN)

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}\Z")

ApiKeys = Mapping[str, Tuple[str, str]]

# request headers whose values are never shown nor held in a compared field (``Request``)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})

# The CORS headers Twilio's API sends on every response (recorded from api.twilio.com in 2020 and
# 2023, success and error alike); the Trunking spec declares these five on its success responses.
# A browser page may call the fake (server mode) with its own Authorization header: ``*`` allows
# any origin for requests that carry no cookies, which is how Twilio's API is called.
CORS_HEADERS: Mapping[str, str] = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": (
        "Accept, Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, "
        "If-Unmodified-Since, Idempotency-Key"
    ),
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Allow-Credentials": "true",
}


def is_preflight(request: Request) -> bool:
    """A CORS preflight: ``OPTIONS`` with ``Access-Control-Request-Method`` (Fetch standard)."""
    return request.method.upper() == "OPTIONS" and "access-control-request-method" in (
        request.headers
    )


FRAGMENT_CACHE_SIZE = 20_000  # rendered items kept between writes (see Handler._encoded)


def _make_encoder() -> Callable[[Any], str]:
    """``json.dumps`` with its defaults, minus the per-call set-up: the C encoder is made once
    (a page encodes up to 1,000 items one by one, see ``Handler._encoded``)."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (e.g. PyPy)
        return json.JSONEncoder(check_circular=False).encode
    chunks = make(None, None, encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    return lambda payload: "".join(chunks(payload, 0))


_encode = _make_encoder()


class EncodedJSON(str):
    """A payload that is already JSON text (a page assembled from cached items)."""


class Redacted:
    """A secret header value as ``Request`` compares and shows it: equal when the values are,
    shown as ``<redacted>``. Not a string, not a container: pytest's assertion diff, ``repr``
    and ``pprint`` have nothing to print but that placeholder."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Redacted):
            return NotImplemented
        return hmac.compare_digest(self._value.encode("utf-8"), other._value.encode("utf-8"))

    def __hash__(self) -> int:
        return hash((Redacted, self._value))

    def __repr__(self) -> str:
        return "<redacted>"


def _redacted(headers: Mapping[str, str]) -> Dict[str, Any]:
    return {k: Redacted(v) if k.lower() in SECRET_HEADERS else v for k, v in headers.items()}


@dataclass(frozen=True)
class Request:
    """One HTTP request, as any transport sees it. ``headers`` keys are lower-case.

    ``headers`` holds every header, credentials included (the handler authenticates with
    ``headers["authorization"]``), but it is neither compared nor shown: requests compare by
    ``redacted_headers``, the same headers with each secret value (``SECRET_HEADERS``) wrapped in
    ``Redacted``. So ``assert call.request == Request(...)`` still tells a wrong token from the
    right one, yet nothing pytest prints for a failed comparison (it shows the compared fields,
    at any verbosity) or ``repr`` can hold a token: ``fake.calls`` ends up in failure reports.
    """

    method: str
    path: str
    query: str = ""
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    base_url: str = DEFAULT_BASE_URL
    redacted_headers: Mapping[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "redacted_headers", _redacted(self.headers))

    def __repr__(self) -> str:
        return (
            f"Request(method={self.method!r}, path={self.path!r}, query={self.query!r}, "
            f"body={self.body!r}, headers={self.redacted_headers!r}, base_url={self.base_url!r})"
        )

    def form(self) -> Dict[str, str]:
        """The form body (first value of a repeated key wins); 400 when it is not UTF-8."""
        if not self.body:
            return {}
        ctype = self.headers.get("content-type", "")
        if ctype and not ctype.lower().startswith("application/x-www-form-urlencoded"):
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.bad_request("Invalid request body: not UTF-8") from None
        return _first_values(text)

    def params(self) -> Dict[str, str]:
        return _first_values(self.query)


def _first_values(text: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(key, value)
    return out


@dataclass
class Response:
    status: int
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Authenticator:
    """Basic auth -> account SID (DECISIONS.md "Accounts and auth")."""

    def __init__(
        self, credentials: Optional[Mapping[str, str]] = None, api_keys: Optional[ApiKeys] = None
    ) -> None:
        self.credentials = dict(credentials) if credentials is not None else None
        self.api_keys = dict(api_keys or {})

    def account_for(self, authorization: Optional[str]) -> str:
        if not authorization or authorization[:6].lower() != "basic ":
            raise errors.unauthenticated()
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise errors.unauthenticated() from None
        user, sep, secret = decoded.partition(":")
        if not sep:
            raise errors.unauthenticated()
        if _ACCOUNT_SID.match(user):
            if self.credentials is None:
                return user
            expected = self.credentials.get(user)
            if expected is not None and hmac.compare_digest(expected, secret):
                return user
        elif user in self.api_keys:
            account, key_secret = self.api_keys[user]
            if hmac.compare_digest(key_secret, secret):
                return account
        raise errors.unauthenticated()


class Handler:
    def __init__(self, store: Store, auth: Authenticator) -> None:
        self.store = store
        self.auth = auth
        seed = store.seed
        self._request_ids = random.Random(seed ^ 0x5EED) if seed is not None else random.Random()
        self._fragments: Dict[Tuple[int, str], str] = {}
        self._fragments_generation = -1

    def handle(self, request: Request) -> Response:
        if is_preflight(request):
            # answered before authentication and routing: a browser sends no credentials with
            # a preflight, and the request it announces gets its own 401 or 404 (with the CORS
            # headers, so the page can read it)
            return Response(200, self.headers(), b"")
        try:
            status, payload = self._dispatch(request)
        except errors.TwilioError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:  # a bug in the fake: report it as data, never raise
            log.exception("fake_trunking: internal error on %s %s", request.method, request.path)
            error = errors.internal(exc)
            status, payload = error.status, error.body()
        response = self.respond(status, payload)
        if request.method.upper() == "HEAD":  # HTTP: a HEAD response never has a body
            response.body = b""
        return response

    def headers(self) -> Dict[str, str]:
        """The headers of every answer: a fresh ``Twilio-Request-Id`` and ``CORS_HEADERS``."""
        headers = {"Twilio-Request-Id": f"RQ{self._request_ids.getrandbits(128):032x}"}
        headers.update(CORS_HEADERS)
        return headers

    def respond(self, status: int, payload: Any) -> Response:
        """``payload`` as JSON (none for a 204) with the headers of every answer."""
        headers = self.headers()
        if status == 204:
            return Response(status, headers, b"")
        headers["Content-Type"] = "application/json"
        text = payload if isinstance(payload, EncodedJSON) else _encode(payload)
        return Response(status, headers, text.encode("utf-8"))

    def _encoded(self, ctx: Context, resource: Resource, record: Record) -> str:
        """``record`` rendered and JSON-encoded, from the cache when state has not changed.

        Pages are the one place where rendering dominates (50 to 1000 items a request), so each
        item's JSON is kept until the next write: ``Store.generation`` changes on every write, and
        a cache from another generation is dropped whole. Bounded, so a walk over a huge account
        cannot grow it without limit. Called under the store lock.
        """
        cache = self._fragments
        generation = self.store.generation
        if self._fragments_generation != generation or len(cache) >= FRAGMENT_CACHE_SIZE:
            cache.clear()
            self._fragments_generation = generation
        key = (id(record), ctx.base_url)
        text = cache.get(key)
        if text is None:
            text = cache[key] = _encode(resource.render(ctx, record))
        return text

    # -- routing -------------------------------------------------------------------------
    @staticmethod
    def route(path: str) -> Tuple[Resource, Optional[str], Optional[str], bool]:
        """``(resource, trunk sid or None, item sid or None, is_collection)`` or 404."""
        parts = path.split("/")
        n = len(parts)
        if n >= 3 and parts[0] == "" and parts[1] == "v1" and parts[2] == "Trunks":
            if n == 3:
                return TRUNK, None, None, True
            trunk_sid = parts[3]
            if TRUNK.valid_sid(trunk_sid):
                if n == 4:
                    return TRUNK, None, trunk_sid, False
                sub = BY_SEGMENT.get(parts[4])
                if sub is not None:
                    if n == 5:
                        return sub, trunk_sid, None, sub.key is not None
                    if n == 6 and sub.key is not None and sub.valid_sid(parts[5]):
                        return sub, trunk_sid, parts[5], False
        raise errors.not_found(path)

    def _dispatch(self, request: Request) -> Tuple[int, Any]:
        account_sid = self.auth.account_for(request.headers.get("authorization"))
        resource, parent, sid, is_collection = self.route(request.path)
        method = request.method.upper()
        allowed = resource.list_methods if is_collection else resource.instance_methods
        if method not in allowed:
            raise errors.method_not_allowed()
        form = request.form() if method == "POST" else {}
        store = self.store
        with store.lock if method == "GET" else store.writing():
            # an account is registered only by a write that succeeds: a read or a failed
            # request leaves the store exactly as it was
            account = store.accounts.get(account_sid) or Account(account_sid)
            ctx = Context(store, account, request.base_url, request.path)
            try:
                return self._operate(
                    ctx, resource, parent, sid, is_collection, method, form, request
                )
            finally:
                if method != "GET" and (len(account.trunks) or account.children):
                    store.accounts.setdefault(account_sid, account)

    def _operate(
        self,
        ctx: Context,
        resource: Resource,
        parent: Optional[str],
        sid: Optional[str],
        is_collection: bool,
        method: str,
        form: Dict[str, str],
        request: Request,
    ) -> Tuple[int, Any]:
        if is_collection:
            if method == "GET":
                return 200, self.list_page(ctx, resource, parent, request.params())
            resource.collection(ctx, parent)  # 404 for a missing trunk before a 400
            values = parse_form(resource.create_params(), form, resource.required_on_create)
            return 201, resource.render(ctx, resource.create(ctx, parent, values))
        record = resource.get(ctx, parent, sid)
        if method == "GET":
            return 200, resource.render(ctx, record)
        if method == "POST":
            values = parse_form(resource.update_params(), form)
            return 200, resource.render(ctx, resource.update(ctx, parent, sid, values))
        assert sid is not None
        resource.delete(ctx, parent, sid)
        return 204, None

    def list_page(
        self, ctx: Context, resource: Resource, parent: Optional[str], query: Dict[str, str]
    ) -> EncodedJSON:
        items = resource.collection(ctx, parent)
        raw_size = query.get("PageSize")
        size = (
            DEFAULT_PAGE_SIZE if raw_size is None else min(PAGE_SIZE.parse(raw_size), MAX_PAGE_SIZE)
        )
        raw_page = query.get("Page")
        page = 0 if raw_page is None else PAGE.parse(raw_page)
        token = query.get("PageToken") or None
        if page > 0 and token is None:
            raise errors.page_token_required()
        records, has_previous, has_next = items.page(size, token)
        base = f"{ctx.base_url}{ctx.path}?PageSize={size}&Page="
        url = f"{base}{page}"
        if token is not None:
            url += "&PageToken=" + quote(token, safe="")
        assert resource.key is not None
        items_json = ", ".join([self._encoded(ctx, resource, r) for r in records])
        meta = _encode(
            {
                "page": page,
                "page_size": size,
                "first_page_url": f"{base}0",
                "previous_page_url": (
                    f"{base}{max(page - 1, 0)}&PageToken=PB{records[0]['sid']}"
                    if has_previous
                    else None
                ),
                "url": url,
                "next_page_url": (
                    f"{base}{page + 1}&PageToken=PA{records[-1]['sid']}" if has_next else None
                ),
                "key": resource.key,
            }
        )
        return EncodedJSON(f'{{"{resource.key}": [{items_json}], "meta": {meta}}}')
