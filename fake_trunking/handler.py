"""The transport-neutral request handler: ``Request`` in, ``Response`` out.

Every adapter (the ``responses`` callback, the HTTP server, cassette replay/verify) builds a
``Request`` and calls ``Handler.handle``. Nothing here knows about sockets or ``requests``; nothing
resource-specific lives here either (see ``apis/``).

Two APIs, one handler: the path picks Trunking v1 (``/v1/...``, ``apis/trunking_v1``) or API
v2010 (``/2010-04-01/...``, ``apis/api_v2010``, its own wire format); resources of either are
operated alike (``Operable``).

Order of checks: a CORS preflight is answered first (200, no credentials needed), then
authentication (401; 401/20005 for an account that is not active, ``core.accounts``), route
(404; for v2010 then the path's account, 401: the caller's or its subaccount's), method (405),
parent and target existence (404), parameters (400), then the resource's own rules. Every answer
carries ``CORS_HEADERS``. A request that fails changes nothing. Any exception that is not a
``TwilioError`` is a bug in the fake and becomes a 500/20500 body.
"""

from __future__ import annotations

import logging
import random
from typing import (
    Any,
    Dict,
    FrozenSet,
    Hashable,
    Iterable,
    List,
    Mapping,
    Optional,
    Protocol,
    Tuple,
)
from urllib.parse import quote

from .apis import api_v2010 as v2010
from .apis.trunking_v1 import BY_SEGMENT, TRUNK, Resource
from .core import accounts, errors
from .core.auth import Authenticator
from .core.collection import Collection, Record
from .core.context import Context
from .core.hosts import API_V2010, TRUNKING_V1, api_of_base
from .core.jsontext import COLON, COMMA, EncodedJSON, encode_bytes
from .core.messages import Request, Response
from .core.params import Param, parse_form
from .core.store import Account, Store

log = logging.getLogger("fake_trunking")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# the list query parameters every collection accepts (spec: ListTrunk & co.)
PAGE_SIZE = Param("PageSize", "page_size", type="integer", minimum=1)
PAGE = Param("Page", "page", type="integer", minimum=0)
# not parsed by this Param: any token the fake did not issue, however long, is 400/21481
# (DECISIONS.md; ``Collection.page`` measures it before looking it up)
PAGE_TOKEN = Param("PageToken", "page_token")
LIST_PARAMS = (PAGE_SIZE, PAGE, PAGE_TOKEN)

# the order methods are listed in an ``Allow`` header
METHOD_ORDER = ("GET", "POST", "DELETE")

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


# pages kept between writes (see ``Handler.list_page``): how many, and their bytes in all
PAGE_CACHE_SIZE = 256
PAGE_CACHE_BYTES = 16 << 20
COMMA_BYTES = COMMA.encode("ascii")
META_BYTES = f']{COMMA}"meta"{COLON}'.encode("ascii")
# encoded items kept across writes, by the resource's ``render_key`` (see ``Handler._items``)
ITEM_CACHE_SIZE = 5_000


class Operable(Protocol):
    """What the handler needs of a resource, whichever API it belongs to (``apis/*/base.py``)."""

    @property
    def key(self) -> Optional[str]: ...
    @property
    def list_methods(self) -> FrozenSet[str]: ...
    @property
    def instance_methods(self) -> FrozenSet[str]: ...
    @property
    def required_on_create(self) -> Tuple[str, ...]: ...
    @property
    def required_on_update(self) -> Tuple[str, ...]: ...
    @property
    def refused_on_create(self) -> Tuple[Tuple[str, int, str], ...]: ...
    def create_params(self) -> Tuple[Param, ...]: ...
    def update_params(self) -> Tuple[Param, ...]: ...
    def collection(self, ctx: Context, parent: Optional[str]) -> Collection: ...
    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record: ...
    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record: ...
    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record: ...
    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None: ...
    def render(self, ctx: Context, record: Record) -> Dict[str, Any]: ...
    def render_key(self, ctx: Context, record: Record) -> Optional[Hashable]: ...
    @property
    def renders_secrets(self) -> bool: ...


class _Outcome:
    """What ``_dispatch`` learnt on the way, for the answer: who the caller authenticated as,
    and whether the answer may hold a secret (its resource ``renders_secrets``)."""

    __slots__ = ("account_sid", "secrets")

    def __init__(self) -> None:
        self.account_sid: Optional[str] = None
        self.secrets = False


def path_api(path: str) -> Optional[str]:
    """Which API's path tree ``path`` is in (``/v1/...`` or ``/2010-04-01/...``), or None."""
    if path.startswith("/v1/"):
        return TRUNKING_V1
    if path.startswith(v2010.wire.PREFIX + "/"):
        return API_V2010
    return None


class MethodNotAllowed(errors.TwilioError):
    """405/20004 (``errors.method_not_allowed``), with the ``Allow`` header's value."""

    def __init__(self, allowed: Iterable[str]) -> None:
        base = errors.method_not_allowed()
        super().__init__(base.status, base.code, base.message)
        methods = set(allowed)
        order = [m for m in METHOD_ORDER if m in methods] + sorted(methods - set(METHOD_ORDER))
        self.allow = ", ".join(order)


class Handler:
    def __init__(self, store: Store, auth: Authenticator) -> None:
        self.store = store
        self.auth = auth
        seed = store.seed
        self._request_ids = random.Random(seed ^ 0x5EED) if seed is not None else random.Random()
        self._pages: Dict[Tuple[Any, ...], bytes] = {}
        self._pages_bytes = 0
        self._pages_generation = -1
        self._items: Dict[Tuple[int, Hashable], bytes] = {}

    def handle(self, request: Request) -> Response:
        if is_preflight(request):
            # answered before authentication and routing: a browser sends no credentials with
            # a preflight, and the request it announces gets its own 401 or 404 (with the CORS
            # headers, so the page can read it)
            return Response(200, self.headers(), b"")
        allow: Optional[str] = None
        seen = _Outcome()
        try:
            status, payload = self._dispatch(request, seen)
        except MethodNotAllowed as exc:
            status, payload, allow = exc.status, exc.body(), exc.allow
        except errors.TwilioError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:  # a bug in the fake: report it as data, never raise
            log.exception("fake_trunking: internal error on %s %s", request.method, request.path)
            error = errors.internal(exc)
            status, payload = error.status, error.body()
        response = self.respond(status, payload)
        response.account_sid = seen.account_sid
        response.holds_secrets = seen.secrets and 200 <= status < 300
        if allow is not None:  # RFC 9110 15.5.6: a 405 lists the methods the target supports
            response.headers["Allow"] = allow
        if request.method.upper() == "HEAD":  # HTTP: a HEAD response never has a body
            response.body = b""
        return response

    def request_id(self) -> str:
        """A fresh ``Twilio-Request-Id`` (``RQ`` + 32 hex digits; reproducible under a seed).
        The one owner: the server's own answers (HTTP-layer errors, admin) carry one too."""
        return f"RQ{self._request_ids.getrandbits(128):032x}"

    def headers(self) -> Dict[str, str]:
        """The headers of every answer: a fresh ``Twilio-Request-Id`` and ``CORS_HEADERS``."""
        headers = {"Twilio-Request-Id": self.request_id()}
        headers.update(CORS_HEADERS)
        return headers

    def respond(self, status: int, payload: Any) -> Response:
        """``payload`` as JSON (none for a 204) with the headers of every answer."""
        headers = self.headers()
        if status == 204:
            return Response(status, headers, b"", holds_secrets=False)
        headers["Content-Type"] = "application/json"
        if isinstance(payload, bytes):  # already encoded (a page)
            body = payload
        elif isinstance(payload, EncodedJSON):
            body = payload.encode("utf-8")
        else:
            body = encode_bytes(payload)
        return Response(status, headers, body, holds_secrets=False)

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

    def account_of(self, request: Request) -> Optional[str]:
        """The account ``request``'s credentials authenticate as, None when they do not."""
        try:
            return self.auth.account_for(request.headers.get("authorization"))
        except errors.TwilioError:
            return None

    def _dispatch(self, request: Request, seen: _Outcome) -> Tuple[int, Any]:
        account_sid = self.auth.account_for(request.headers.get("authorization"))
        seen.account_sid = account_sid
        store = self.store
        if store.account_records:  # only a subaccount can be inactive (none: every request)
            with store.lock:
                accounts.check_active(store, account_sid)
        resource, acting, parent, sid, is_collection = self.route_request(request, account_sid)
        seen.secrets = resource.renders_secrets
        method = request.method.upper()
        allowed = resource.list_methods if is_collection else resource.instance_methods
        if method not in allowed:
            raise MethodNotAllowed(allowed)
        form = request.form() if method == "POST" else {}
        with store.lock if method == "GET" else store.writing():
            if method != "GET":
                on_account = bool(getattr(resource, "is_account", False))
                accounts.check_write(store, account_sid, acting, on_account)
            # an account is registered only by a write that succeeds: a read or a failed
            # request leaves the store exactly as it was
            account = store.accounts.get(acting) or Account(acting)
            caller = account_sid if acting != account_sid else None
            ctx = Context(store, account, request.base_url, request.path, self.auth, caller)
            try:
                return self._operate(
                    ctx, resource, parent, sid, is_collection, method, form, request
                )
            finally:
                if method != "GET" and acting not in store.accounts and not account.is_empty():
                    store.accounts.setdefault(acting, account)

    def route_request(
        self, request: Request, account_sid: str
    ) -> Tuple[Operable, str, Optional[str], Optional[str], bool]:
        """The resource a request is for: ``(resource, acting account, parent sid, item sid,
        is_collection)``.

        The path decides the API (``/v1/...`` Trunking, ``/2010-04-01/...`` API v2010), so one
        server serves both trees; on a Twilio host, the host must be that API's (Trunking's path
        on ``api.twilio.com`` is 404, as there). A v2010 path names an account: it must be the
        caller's, or (on a main account's own SID and auth token, not an API key) one of its
        subaccounts, which is then the acting account; else 401/20003 (docs/decisions.md "API
        v2010", "Subaccounts"). The Account and Keys refuse a Standard API key (one made through
        the Keys API) with 401/20003, as Twilio does.
        """
        path = request.path
        tree = path_api(path)
        host = api_of_base(request.base_url)
        if tree is None or (host is not None and host != tree):
            raise errors.not_found(path)
        if tree == TRUNKING_V1:
            resource_v1, trunk, item, listing = self.route(path)
            return resource_v1, account_sid, trunk, item, listing
        resource, path_account, parent, sid, is_collection = v2010.route(path)
        authorization = request.headers.get("authorization")
        acting = account_sid if path_account is None else path_account
        if acting != account_sid:
            with self.store.lock:
                reachable = accounts.may_reach(self.store, account_sid, acting)
            if not reachable or self.auth.is_key(authorization):
                raise errors.unauthenticated()
        if resource.main_credentials_only and self.auth.is_standard_key(authorization):
            raise errors.unauthenticated()
        return resource, acting, parent, sid, is_collection

    def _operate(
        self,
        ctx: Context,
        resource: Operable,
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
            for name, code, message in resource.refused_on_create:
                if name in form:  # a parameter Twilio refuses here with its own code
                    raise errors.TwilioError(400, code, message)
            values = parse_form(resource.create_params(), form, resource.required_on_create)
            return 201, resource.render(ctx, resource.create(ctx, parent, values))
        record = resource.get(ctx, parent, sid)
        if method == "GET":
            return 200, resource.render(ctx, record)
        if method == "POST":
            values = parse_form(resource.update_params(), form, resource.required_on_update)
            return 200, resource.render(ctx, resource.update(ctx, parent, sid, values))
        assert sid is not None
        resource.delete(ctx, parent, sid)
        return 204, None

    def list_page(
        self, ctx: Context, resource: Operable, parent: Optional[str], query: Dict[str, str]
    ) -> Any:
        """One page of ``resource``'s list in its API's envelope (Trunking's ``meta``, or v2010's
        top-level ``*_uri`` fields, see ``api_v2010.wire``), from the same paging rules.

        A page is the one answer whose cost grows with its size (50 to 1000 items), so the
        encoded page is kept until the next write: ``Store.generation`` changes on every write
        and the cache of another generation is dropped whole. Keyed by everything the page
        depends on besides state (the account, resource, parent, host, path and query), bounded
        in count and bytes. Pages a resource makes itself (``list_body``: a filtered or
        generated list) are not kept. Called under the store lock."""
        cache = self._pages
        generation = self.store.generation
        if self._pages_generation != generation:
            cache.clear()
            self._pages_bytes = 0
            self._pages_generation = generation
        cache_key = (
            ctx.account.sid, id(resource), parent, ctx.base_url, ctx.path,
            tuple(sorted(query.items())),
        )  # fmt: skip
        found = cache.get(cache_key)
        if found is not None:
            return found
        body = self._render_page(ctx, resource, parent, query)
        if isinstance(body, bytes) and not resource.renders_secrets:
            if len(cache) >= PAGE_CACHE_SIZE or self._pages_bytes + len(body) > PAGE_CACHE_BYTES:
                cache.clear()
                self._pages_bytes = 0
            cache[cache_key] = body
            self._pages_bytes += len(body)
        return body

    def _render_page(
        self, ctx: Context, resource: Operable, parent: Optional[str], query: Dict[str, str]
    ) -> Any:
        """The page ``list_page`` answers: the encoded body (bytes), or the JSON text of a page
        the resource made itself (``EncodedJSON``, not kept)."""
        filters: Dict[str, str] = {}
        if isinstance(resource, v2010.Resource) and resource.list_filters:
            values = parse_form(resource.list_filters, query)
            filters = {p.name: query[p.name] for p in resource.list_filters if p.field in values}
            items = resource.filtered(ctx, parent, values) if values else None
        else:
            items = None
        if items is None:
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
        if isinstance(resource, v2010.Resource):  # a list with filters or made on the fly
            own = resource.list_body(ctx, parent, query, size, page, token)
            if own is not None:
                return EncodedJSON(own)
        records, has_previous, has_next = items.page(size, token)
        key = resource.key
        assert key is not None
        head = f'{{"{key}"{COLON}['.encode()
        items_json = self._items_json(ctx, resource, records)
        if isinstance(resource, v2010.Resource):
            envelope = v2010.wire.list_fields(
                ctx.path, size, page, token, records, has_previous, has_next, filters
            )
            return b"".join((head, items_json, b"]", COMMA_BYTES, encode_bytes(envelope)[1:]))
        base = f"{ctx.base_url}{ctx.path}?PageSize={size}&Page="
        url = f"{base}{page}"
        if token is not None:
            url += "&PageToken=" + quote(token, safe="")
        meta = {
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
            "key": key,
        }
        return b"".join((head, items_json, META_BYTES, encode_bytes(meta), b"}"))

    def _items_json(self, ctx: Context, resource: Operable, records: List[Record]) -> bytes:
        """The page's items as JSON (``COMMA``-separated, no brackets). A resource with a
        ``render_key`` gets each item from the cache of encoded items when an item of that key
        was encoded before: the key holds everything the render reads, so a write elsewhere
        (a trunk created, another one renamed) leaves the other items' text valid. A page right
        after a write renders only what changed. Bounded (emptied when full). Called under the
        store lock."""
        render, render_key = resource.render, resource.render_key
        first = records[0] if records else None
        if first is None or render_key(ctx, first) is None:
            return COMMA_BYTES.join(encode_bytes(render(ctx, r)) for r in records)
        cache = self._items
        kind = id(resource)
        out: List[bytes] = []
        for record in records:
            item_key = (kind, render_key(ctx, record))
            try:
                text = cache.get(item_key)
            except TypeError:  # a value that cannot be hashed: render it
                out.append(encode_bytes(render(ctx, record)))
                continue
            if text is None:
                text = encode_bytes(render(ctx, record))
                if len(cache) >= ITEM_CACHE_SIZE:
                    cache.clear()
                cache[item_key] = text
            out.append(text)
        return COMMA_BYTES.join(out)
