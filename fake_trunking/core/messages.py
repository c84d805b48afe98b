"""The messages every way in exchanges with the handler: ``Request``, ``Response``, ``Call``.

Transport-neutral: a ``Request`` is what the responses callback, the aiohttp patch, the HTTP server
and cassette replay all build; a ``Response`` is what the handler answers; a ``Call`` is one of
them as the fake's call log keeps it. Credentials never reach a compared or printed field.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional
from urllib.parse import parse_qsl, unquote_plus

from . import errors
from .hosts import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from ..faults import Fault

# request headers whose values are never shown nor held in a compared field (``Request``)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


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
    if "".join(headers).islower() or not headers:  # lower-case names, as every adapter makes
        out: Dict[str, Any] = dict(headers)
        for name in SECRET_HEADERS.intersection(out):
            out[name] = Redacted(out[name])
        return out
    return {k: Redacted(v) if k.lower() in SECRET_HEADERS else v for k, v in headers.items()}


@dataclass(frozen=True, init=False)
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

    def __init__(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes = b"",
        headers: Optional[Mapping[str, str]] = None,
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        # every request makes one: the fields in one step, not one frozen ``__setattr__`` each
        if headers is None:
            headers = {}
        self.__dict__.update(
            method=method,
            path=path,
            query=query,
            body=body,
            headers=headers,
            base_url=base_url,
            redacted_headers=_redacted(headers),
        )

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


# Percent-decoding costs about a microsecond an escape in the stdlib (``unquote``), so a 1 MiB
# value of ``%25`` escapes once took most of a second. A part of a query or form longer than this
# is kept as sent, undecoded: decoding shrinks text at most 3 times, so it is still longer than
# any parameter allows (``params.MAX_TEXT``) and is refused by its length all the same.
DECODE_LIMIT = 1 << 16


def _decode(part: str) -> str:
    return part if len(part) > DECODE_LIMIT else unquote_plus(part)


def _first_values(text: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    if len(text) <= DECODE_LIMIT:  # the common case: the stdlib's parser
        for key, value in parse_qsl(text, keep_blank_values=True):
            out.setdefault(key, value)
        return out
    for pair in text.split("&"):  # what ``parse_qsl`` does, each part measured first
        if pair:
            key, _, value = pair.partition("=")
            out.setdefault(_decode(key), _decode(value))
    return out


@dataclass
class Response:
    status: int
    headers: Dict[str, str]
    body: bytes
    # the account the request's credentials authenticated as (set by the handler; None when
    # they did not, or for an answer the handler did not make): see ``Call.account_sid``
    account_sid: Optional[str] = field(default=None, compare=False, repr=False)
    # may the body hold a secret field (``core.redact.SECRET_BODY_FIELDS``)? The handler knows
    # (only a resource that renders one can: ``renders_secrets``) and says False for the rest, so
    # the call log scans only those; None (an answer the handler did not make): scan it
    holds_secrets: Optional[bool] = field(default=None, compare=False, repr=False)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, init=False)
class Call:
    """One request the fake served, as the handler saw it."""

    request: Request
    response: Response  # for a call that raised: status 0, empty body
    duration: float  # seconds spent in the fake
    fault: Optional[Fault] = None  # the injected fault that answered or delayed it
    exception: Optional[BaseException] = None  # what an exception fault raised
    # the original length of a body the log cut (``CallLog.max_body``); None: kept whole
    request_body_length: Optional[int] = None
    response_body_length: Optional[int] = None
    # the account that made the call: the one its credentials authenticated as (an auth token
    # or an API key), None when they did not. The one owner of "which account made this call"
    # for the request log (``/__fake__/requests``) and saved cassettes
    account_sid: Optional[str] = None

    def __init__(
        self,
        request: Request,
        response: Response,
        duration: float,
        fault: Optional[Fault] = None,
        exception: Optional[BaseException] = None,
        request_body_length: Optional[int] = None,
        response_body_length: Optional[int] = None,
        account_sid: Optional[str] = None,
    ) -> None:
        # every request logs one: the fields in one step, not one frozen ``__setattr__`` each
        self.__dict__.update(
            request=request,
            response=response,
            duration=duration,
            fault=fault,
            exception=exception,
            request_body_length=request_body_length,
            response_body_length=response_body_length,
            account_sid=account_sid,
        )

    @property
    def truncated(self) -> bool:
        """Whether the log cut (or, for a refused request, dropped) a body of this call."""
        return self.request_body_length is not None or self.response_body_length is not None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def url(self) -> str:
        query = f"?{self.request.query}" if self.request.query else ""
        return f"{self.request.base_url}{self.request.path}{query}"

    @property
    def params(self) -> Dict[str, str]:
        """The query parameters of a GET, or the form parameters of a POST (a ValueError when
        the log cut the form body: its parameters are not all there)."""
        if self.request.method == "POST" and self.request_body_length is not None:
            raise ValueError(
                f"the request body ({self.request_body_length} bytes) was cut in the call log"
            )
        return self.request.form() if self.request.method == "POST" else self.request.params()

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def body(self) -> Any:
        """The parsed JSON body of the response (None for a 204; a ValueError when the log cut
        it)."""
        if self.response_body_length is not None:
            raise ValueError(
                f"the response body ({self.response_body_length} bytes) was cut in the call log"
            )
        return self.response.json()


NO_RESPONSE = Response(0, {}, b"")  # the ``response`` of a call that raised
