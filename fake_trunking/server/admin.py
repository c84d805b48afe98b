"""The admin endpoints of server mode, under ``/__fake__/`` (see ``ADMIN_ROUTES``).

``handle_admin(server, method, path, query, body)`` is the whole of it: a plain function of the
server (its fake and a few settings) and the request, returning ``(status, payload, writes)``:
a JSON-able payload (a Twilio error body when the request is refused) and whether the state
changed (the server then saves it under ``--state-sync``). No HTTP here: the server sends it.
"""

from __future__ import annotations

import json
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Protocol,
    Set,
    Tuple,
)
from urllib.parse import parse_qsl

from .._version import __version__
from ..core import errors
from ..core.calllog import CallLog
from ..core.errors import TwilioError
from ..core.ids import ACCOUNT_SID, ISO_DATE
from ..core.owned_numbers import PHONE_NUMBER_DEFAULTS
from ..core.store import DATE_FORMAT
from .files import parse_json

if TYPE_CHECKING:
    from ..core.messages import Request
    from ..faults import Fault
    from ..service import FakeTrunkingService
    from .files import StateStore

MAX_SEED_COUNT = 100_000  # trunks per admin seed request
ADMIN_PREFIX = "/__fake__"
MAX_QUERY_DIGITS = 18  # an admin query integer (limit, offset) has at most this many digits


class JSONStream:
    """An admin answer sent piece by piece (the request log): ``pieces`` yields JSON text that
    adds up to one JSON document, so no answer is ever built whole in memory."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self.pieces = pieces


class AdminHost(Protocol):
    """What the admin endpoints read of the server (``TrunkingHTTPServer`` is one)."""

    fake: FakeTrunkingService
    state_file: Optional[StateStore]
    state_sync: bool
    max_body: int


def handle_admin(
    server: AdminHost, method: str, path: str, query: str, body: bytes
) -> Tuple[int, Any, bool]:
    """``(status, JSON payload, writes)`` for an admin request; ``path`` starts with
    ``ADMIN_PREFIX``. A refused request is its Twilio error's status and body."""
    route = ADMIN_ROUTES.get(path[len(ADMIN_PREFIX) :].rstrip("/") or "/")
    try:
        if route is None:
            raise errors.not_found(path)
        action = route.get(method)
        if action is None:
            raise errors.method_not_allowed()
        if body.strip():
            try:
                data = parse_json(body)
            except (ValueError, RecursionError) as exc:
                reason = " ".join(str(exc).split())
                raise errors.bad_request(f"Invalid JSON body: {reason}") from None
        else:
            data = {}
        if not isinstance(data, dict):
            raise errors.bad_request("The JSON body must be an object")
        args = _Args(data, dict(parse_qsl(query, keep_blank_values=True)))
        return action(server, args)
    except TwilioError as exc:
        return exc.status, exc.body(), False


class _Args:
    """A JSON admin body (and query): typed getters, 400/20001 on a wrong type or unknown key."""

    def __init__(self, body: Dict[str, Any], query: Dict[str, str]) -> None:
        self.body = body
        self.query = query
        self.used: Set[str] = set()

    def get(self, key: str, kinds: Tuple[type, ...], default: Any = None) -> Any:
        self.used.add(key)
        if key not in self.body or self.body[key] is None:
            return default
        value = self.body[key]
        if isinstance(value, bool) and bool not in kinds:
            raise errors.invalid_parameter(key, f"must be {_kind_names(kinds)}")
        if not isinstance(value, kinds):
            raise errors.invalid_parameter(key, f"must be {_kind_names(kinds)}")
        return value

    def account(self, server: AdminHost) -> str:
        sid = self.get("account_sid", (str,))
        if sid is None:
            return server.fake.default_account_sid
        if not ACCOUNT_SID.match(sid):
            raise errors.invalid_parameter("account_sid", "must be an account SID (AC + 32 hex)")
        return str(sid)

    def rest(self) -> Dict[str, Any]:
        """The keys no getter asked for (consumed: ``finish`` will not complain about them)."""
        out = {k: v for k, v in self.body.items() if k not in self.used}
        self.used.update(out)
        return out

    def finish(self) -> None:
        """Every action calls this once it has read its arguments and before it acts."""
        unknown = sorted(set(self.body) - self.used)
        if unknown:
            raise errors.bad_request(f"Unknown field(s) in the JSON body: {', '.join(unknown)}")


def _kind_names(kinds: Tuple[type, ...]) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({dict: "an object", list: "a list"})
    return " or ".join(names.get(k, k.__name__) for k in kinds)


AdminAction = Callable[[AdminHost, _Args], Tuple[int, Any, bool]]


def _as_400(call: Callable[[], Any]) -> Any:
    """Run a Python-API call; its ValueError/TypeError is a 400/20001 (TwilioErrors pass)."""
    try:
        return call()
    except (ValueError, TypeError) as exc:
        raise errors.bad_request(" ".join(str(exc).split())) from None


def _admin_info(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    fake = server.fake
    return (
        200,
        {
            "name": "fake-trunking",
            "version": __version__,
            "api_base_url": "/v1",
            "default_account_sid": fake.default_account_sid,
            "credentials_required": fake.credentials is not None,
            "state_file": str(server.state_file.path) if server.state_file else None,
            "state_sync": server.state_sync,
            "max_body": server.max_body,
            "log": {  # the request log's bounds (None: unbounded)
                "limit": getattr(fake.calls, "limit", None),
                "max_bytes": getattr(fake.calls, "max_bytes", None),
                "max_body": getattr(fake.calls, "max_body", None),
            },
            "endpoints": sorted(
                f"{m} {ADMIN_PREFIX}{p}" for p, r in ADMIN_ROUTES.items() for m in r
            ),
        },
        False,
    )


def _admin_reset(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    server.fake.reset()
    return 200, {"reset": True}, True


def _admin_state(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    return 200, server.fake.dump_state(), False


def _admin_load_state(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    snapshot = args.rest()
    try:
        server.fake.load_state(snapshot)
    except (ValueError, TypeError, KeyError) as exc:
        raise errors.bad_request("Invalid state: " + " ".join(str(exc).split())) from None
    accounts = snapshot.get("accounts", {})
    trunks = sum(len(a.get("trunks", [])) for a in accounts.values())
    return 200, {"loaded": True, "accounts": len(accounts), "trunks": trunks}, True


def _admin_seed_trunks(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    account = args.account(server)
    count = args.get("count", (int,), 1)
    if not 0 <= count <= MAX_SEED_COUNT:
        raise errors.invalid_parameter("count", f"must be an integer from 0 to {MAX_SEED_COUNT}")
    fields = args.rest()
    for key, value in fields.items():
        if not isinstance(value, (str, bool, int)):
            raise errors.invalid_parameter(key, "must be a string, a boolean or an integer")
    try:
        sids = _as_400(lambda: server.fake.seed_trunks(account, count, **fields))
    except TwilioError as exc:
        if exc.code != 21244:
            raise
        limit = server.fake.store.max_trunks_per_account
        raise TwilioError(
            exc.status,
            exc.code,
            f"{exc.message}: {count} more would pass max_trunks_per_account ({limit}); start "
            "the server with --max-trunks-per-account N or none",
        ) from None
    return 201, {"account_sid": account, "sids": sids}, True


def _seed_list(method: str) -> AdminAction:
    def seed(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
        account = args.account(server)
        name = args.get("friendly_name", (str,))
        args.finish()
        sid = _as_400(lambda: getattr(server.fake, method)(account, name))
        return 201, {"account_sid": account, "sid": sid}, True

    return seed


def _admin_seed_phone_number(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    account = args.account(server)
    number = args.get("phone_number", (str,))
    name = args.get("friendly_name", (str,))
    fields = args.rest()
    for key, value in fields.items():
        _check_phone_field(key, value)
    sid = _as_400(lambda: server.fake.seed_phone_number(account, number, name, **fields))
    return 201, {"account_sid": account, "sid": sid}, True


def _check_phone_field(key: str, value: Any) -> None:
    """JSON types of the phone number fields (the names are checked by ``seed_phone_number``)."""
    if key in ("date_created", "date_updated"):
        if not (isinstance(value, str) and ISO_DATE.match(value)):
            raise errors.invalid_parameter(key, f"must be a date like {DATE_FORMAT}")
        return
    if key not in PHONE_NUMBER_DEFAULTS:
        return
    default = PHONE_NUMBER_DEFAULTS[key]
    if isinstance(default, dict):
        ok = isinstance(value, dict) and all(
            k in default and isinstance(v, bool) for k, v in value.items()
        )
        if not ok:
            raise errors.invalid_parameter(key, f"must be an object of booleans {sorted(default)}")
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise errors.invalid_parameter(key, "must be a boolean")
    elif not (value is None or isinstance(value, str)):
        raise errors.invalid_parameter(key, "must be a string or null")


def _query_int(args: _Args, name: str) -> Optional[int]:
    """A non-negative integer query parameter (ASCII digits, at most ``MAX_QUERY_DIGITS``)."""
    raw = args.query.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_QUERY_DIGITS):
        raise errors.invalid_parameter(
            name, f"must be a non-negative integer of at most {MAX_QUERY_DIGITS} digits"
        )
    return int(raw)


def _admin_requests(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    """The request log, a page at a time if asked: ``limit=N`` alone is the last N calls;
    ``offset=I`` starts at call number I (calls are numbered from 0 as they are logged, dropped
    ones included), with at most ``limit`` calls. Streamed: one call is rendered at a time."""
    limit = _query_int(args, "limit")
    offset = _query_int(args, "offset")
    args.finish()
    calls = server.fake.calls
    if isinstance(calls, CallLog):
        first, page = calls.window(offset, limit)
    else:  # a plain list put there by hand
        first, page = CallLog(calls).window(offset, limit)
    return 200, JSONStream(_stream_calls(first, page)), False


def _stream_calls(first: int, page: List[Any]) -> Iterator[str]:
    yield '{"requests": ['
    for n, call in enumerate(page):
        yield (", " if n else "") + json.dumps(_render_call(call, first + n))
    yield f'], "offset": {first}, "next_offset": {first + len(page)}}}'


def _admin_clear_requests(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    server.fake.calls.clear()
    return 200, {"cleared": True}, False


def _render_call(call: Any, index: int) -> Dict[str, Any]:
    """One logged request, without its headers (so never its Authorization) or body bytes.
    A body the log cut is said so: ``body_truncated`` with ``body_length`` (the request's),
    ``response_truncated`` with ``response_length`` (then ``response`` is null)."""
    request: Request = call.request
    try:
        params = call.params
    except (TwilioError, ValueError):
        params = {}
    request_length = getattr(call, "request_body_length", None)
    response_length = getattr(call, "response_body_length", None)
    try:
        response = call.body
    except ValueError:  # cut by the log, or not JSON
        response = None
    exception = call.exception
    return {
        "index": index,
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "params": params,
        "account_sid": getattr(call, "account_sid", None),
        "status": call.response.status,
        "request_id": call.response.headers.get("Twilio-Request-Id"),
        "duration": round(call.duration, 6),
        "response": response,
        "body_truncated": request_length is not None,
        "body_length": request_length if request_length is not None else len(request.body),
        "response_truncated": response_length is not None,
        "response_length": (
            response_length if response_length is not None else len(call.response.body)
        ),
        "fault": call.fault.describe() if call.fault is not None else None,
        "exception": type(exception).__name__ if exception is not None else None,
    }


def _admin_faults(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    return 200, {"faults": [_render_fault(f) for f in server.fake.faults]}, False


def _admin_inject_fault(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    """``fake.inject_fault`` from JSON; ``exception`` names a ``requests.exceptions`` class
    (``"ConnectionError"``, ``"ReadTimeout"``): the server then drops the connection."""
    kwargs: Dict[str, Any] = {
        "status": args.get("status", (int,)),
        "code": args.get("code", (int,)),
        "method": args.get("method", (str,)),
        "path": args.get("path", (str,)),
        "times": args.get("times", (int,), 1),
        "probability": args.get("probability", (int, float)),
        "latency": args.get("latency", (int, float)),
        "retry_after": args.get("retry_after", (int, str)),
    }
    if "times" in args.body and args.body["times"] is None:
        kwargs["times"] = None  # null: no limit
    name = args.get("exception", (str,))
    if name is not None:
        kwargs["exception"] = _exception_class(name)
    args.finish()
    fault = _as_400(lambda: server.fake.inject_fault(**kwargs))
    return 201, _render_fault(fault), False


def _admin_clear_faults(server: AdminHost, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    server.fake.clear_faults()
    return 200, {"cleared": True}, False


def _exception_class(name: str) -> type:
    import requests.exceptions

    found = getattr(requests.exceptions, name, None)
    if not (isinstance(found, type) and issubclass(found, Exception)):
        raise errors.invalid_parameter(
            "exception",
            "must name a requests.exceptions class, e.g. ConnectionError or ReadTimeout",
        )
    return found


def _render_fault(fault: Fault) -> Dict[str, Any]:
    exception = fault.exception
    if exception is not None and not isinstance(exception, type):
        exception = type(exception)
    return {
        "description": fault.describe(),
        "status": fault.status,
        "code": fault.code,
        "method": fault.method,
        "path": fault.path.pattern if fault.path is not None else None,
        "times": fault.times,
        "remaining": fault.remaining,
        "hits": fault.hits,
        "probability": fault.probability,
        "latency": fault.latency,
        "exception": exception.__name__ if exception is not None else None,
        "retry_after": fault.retry_after,
    }


ADMIN_ROUTES: Dict[str, Dict[str, AdminAction]] = {
    "/": {"GET": _admin_info},
    "/reset": {"POST": _admin_reset},
    "/state": {"GET": _admin_state, "PUT": _admin_load_state, "POST": _admin_load_state},
    "/seed/trunks": {"POST": _admin_seed_trunks},
    "/seed/credential_lists": {"POST": _seed_list("seed_credential_list")},
    "/seed/ip_access_control_lists": {"POST": _seed_list("seed_ip_access_control_list")},
    "/seed/phone_numbers": {"POST": _admin_seed_phone_number},
    "/requests": {"GET": _admin_requests, "DELETE": _admin_clear_requests},
    "/faults": {"GET": _admin_faults, "POST": _admin_inject_fault, "DELETE": _admin_clear_faults},
}


__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_ROUTES",
    "MAX_QUERY_DIGITS",
    "MAX_SEED_COUNT",
    "AdminHost",
    "JSONStream",
    "handle_admin",
]
