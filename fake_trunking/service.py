"""``FakeTrunkingService``: the fake's public face, and its ``responses`` adapter.

While started, every ``requests`` call to ``https://trunking.twilio.com`` (and the edge/region forms
``trunking[.<edge>][.<region>].twilio.com``) is answered by the fake through its own private
``responses.RequestsMock``. Any other host is refused with ``requests.exceptions.ConnectionError``
naming the URL (loopback excepted: it never leaves the machine), unless another ``responses`` mock
was already active when the fake started: then other hosts go to that mock. A ``responses`` mock
started *after* the fake (``@responses.activate`` inside the fixture) answers its own URLs and
hands Trunking URLs it does not mock to the fake.
Stop mocks in the reverse order of starting them (as with any ``mock.patch``).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from . import _adapter, _async_adapter, state
from .calllog import CallLog
from .faults import Fault, FaultInjection, FaultSet
from .handler import ApiKeys, Authenticator, Handler, Request, Response
from .inspection import Inspection
from .resources.association import seed_list, seed_phone_number
from .resources.trunk import seed_trunks
from .store import Clock, Store

if TYPE_CHECKING:
    from twilio.rest import Client

DEFAULT_AUTH_TOKEN = "fake-trunking-auth-token"

HOST_RE = re.compile(
    r"https?://trunking(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com(?::[0-9]+)?(?:[/?#]|\Z)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
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


class FakeTrunkingService(FaultInjection, Inspection):
    """An in-memory, thread-safe, stateful fake of Twilio Elastic SIP Trunking v1.

    >>> with FakeTrunkingService(seed=1) as fake:
    ...     trunk = fake.client().trunking.v1.trunks.create(friendly_name="edge")

    ``calls_limit``, ``calls_max_bytes`` and ``calls_max_body`` bound ``fake.calls`` (the number
    of calls, the bytes they retain, the bytes of each body kept; see ``CallLog``). All three
    are unbounded by default: a test's own traffic is small and a test must see all of it.
    """

    mode = "fake"  # like the cassette backends' ``mode`` (the pytest plugin serves either)

    def __init__(
        self,
        *,
        seed: Optional[int] = None,
        clock: Optional[Clock] = None,
        credentials: Optional[Mapping[str, str]] = None,
        api_keys: Optional[ApiKeys] = None,
        max_trunks_per_account: Optional[int] = 100,
        calls_limit: Optional[int] = None,
        calls_max_bytes: Optional[int] = None,
        calls_max_body: Optional[int] = None,
    ) -> None:
        self.seed = seed
        self.credentials = dict(credentials) if credentials is not None else None
        self.api_keys: Dict[str, Tuple[str, str]] = dict(api_keys or {})
        self.store = Store(seed=seed, clock=clock, max_trunks_per_account=max_trunks_per_account)
        self.handler = Handler(self.store, Authenticator(self.credentials, self.api_keys))
        if self.credentials:
            self.default_account_sid = next(iter(self.credentials))
        else:
            rng = random.Random(f"account:{seed}") if seed is not None else random.Random()
            self.default_account_sid = f"AC{rng.getrandbits(128):032x}"
        self._mock: Optional[Any] = None
        self._async_mock: Optional[Any] = None  # the aiohttp adapter, when aiohttp is installed
        self._lock = threading.Lock()
        # every request served, oldest first; unbounded unless asked (see fake_trunking.calllog)
        try:
            self.calls: CallLog = CallLog(
                limit=calls_limit, max_bytes=calls_max_bytes, max_body=calls_max_body
            )
        except ValueError as exc:  # named as the keyword: calls_limit, calls_max_bytes...
            raise ValueError(f"calls_{exc}") from None
        self._faults = FaultSet(seed)  # see fake_trunking.faults

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeTrunkingService:
        with self._lock:
            if self._mock is None:
                self._mock = _adapter.start(self)
                self._async_mock = _async_adapter.start(self)
        return self

    def stop(self) -> None:
        with self._lock:
            if self._mock is not None:
                try:
                    _async_adapter.stop(self, self._async_mock)
                finally:
                    self._async_mock = None
                    _adapter.stop(self, self._mock)
                    self._mock = None

    @property
    def active(self) -> bool:
        return self._mock is not None

    def __enter__(self) -> FakeTrunkingService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Clear all state (every account, trunk, sub-resource and registry object), calls and
        injected faults."""
        self.store.reset()
        self.calls.clear()
        self._faults.reset()

    # -- the one entry point every adapter uses --------------------------------------------
    def handle(self, request: Request) -> Response:
        """Answer one request and log it in ``calls``. Every adapter goes through here.

        An injected fault that matches is applied first (``inject_fault``): it may delay the
        call, answer it with an error, or raise its exception from here (logged all the same).
        """
        started = time.perf_counter()
        fault = self._faults.select(request)
        if fault is None:
            response = self.handler.handle(request)
        else:
            try:
                response = fault.serve(request, self.handler)
            except Exception as exc:
                duration = time.perf_counter() - started
                self.calls.append(Call(request, NO_RESPONSE, duration, fault, exc))
                raise
        self.calls.append(Call(request, response, time.perf_counter() - started, fault))
        return response

    def handle_url(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        headers: Optional[Mapping[str, str]] = None,
    ) -> Response:
        """Answer ``method url`` (absolute) with ``headers`` (any case) and a form ``body``."""
        parts = urlsplit(url)
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        return self.handle(
            Request(
                method=method.upper(),
                path=parts.path,
                query=parts.query,
                body=body,
                headers=lowered,
                base_url=f"{parts.scheme}://{parts.netloc}",
            )
        )

    # -- state snapshots -------------------------------------------------------------------
    def dump_state(self) -> Dict[str, Any]:
        """All state as JSON-ready data (see ``fake_trunking.state`` for the format)."""
        return state.dump(self.store)

    def load_state(self, snapshot: Mapping[str, Any]) -> None:
        """Replace all state with ``snapshot``; a bad one raises ValueError and changes nothing."""
        state.load(self.store, snapshot)

    # -- cassettes (fake_trunking.cassettes; yaml is imported only when used) -------------
    def save_cassette(self, path: Union[str, os.PathLike[str]], **options: Any) -> Path:
        """Write the traffic served so far (``calls``) as a vcrpy cassette (``source: fake``).

        Scrubbed (no Authorization header; account SIDs become placeholders) and leak-checked
        (``LeakError``, nothing written, if a token is still in it); written atomically. Option:
        ``before_save=hook(interaction) -> interaction or None``.
        """
        from .cassettes.save import save_calls

        return save_calls(self, path, **options)

    def load_cassette(
        self, path: Union[str, os.PathLike[str]], account_sid: Optional[str] = None
    ) -> None:
        """Replace all state with the final state the cassette shows (its account becomes
        ``account_sid``, default ``default_account_sid``); a bad file is a ``CassetteError``."""
        from .cassettes.seed import load_into

        load_into(self, path, account_sid)

    # -- clients -------------------------------------------------------------------------
    def auth_token(self, account_sid: Optional[str] = None) -> str:
        sid = account_sid or self.default_account_sid
        if self.credentials is not None and sid in self.credentials:
            return self.credentials[sid]
        return DEFAULT_AUTH_TOKEN

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        """A ``twilio.rest.Client`` for ``account_sid`` (default: ``default_account_sid``).

        It talks to the fake while the fake is started. Extra keywords go to ``Client``.
        """
        from twilio.rest import Client

        sid = account_sid or self.default_account_sid
        return Client(sid, self.auth_token(sid), **kwargs)

    def async_client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        """A ``Client`` on twilio's async HTTP client, for the ``*_async`` methods.

        Its ``http_client`` is a ``LazyAsyncTwilioHttpClient`` (an ``AsyncTwilioHttpClient`` that
        opens its aiohttp session in the running loop on first use), so it can be made in sync
        code; ``await client.http_client.close()`` or ``.close_sync()`` closes it. Needs the
        ``async`` extra. Extra keywords go to ``Client``.
        """
        try:
            from .async_client import LazyAsyncTwilioHttpClient
        except ImportError as exc:
            raise ImportError(
                "async_client() needs the 'async' extra "
                f"(pip install 'fake-trunking[async]'): {exc}"
            ) from exc
        kwargs.setdefault("http_client", LazyAsyncTwilioHttpClient())
        return self.client(account_sid, **kwargs)

    # -- seeding (Python API, no HTTP) ---------------------------------------------------
    def seed_trunks(
        self, account_sid: Optional[str] = None, count: int = 1, **fields: Any
    ) -> List[str]:
        """Create ``count`` trunks in ``account_sid`` directly; returns their SIDs."""
        return seed_trunks(self.store, account_sid or self.default_account_sid, count, fields)

    def seed_credential_list(
        self, account_sid: Optional[str] = None, friendly_name: Optional[str] = None
    ) -> str:
        """Add a credential list (``CL…``) to the account, ready to associate with a trunk."""
        return seed_list(self.store, account_sid or self.default_account_sid, "CL", friendly_name)

    def seed_ip_access_control_list(
        self, account_sid: Optional[str] = None, friendly_name: Optional[str] = None
    ) -> str:
        """Add an IP access control list (``AL…``) to the account."""
        return seed_list(self.store, account_sid or self.default_account_sid, "AL", friendly_name)

    def seed_phone_number(
        self,
        account_sid: Optional[str] = None,
        phone_number: Optional[str] = None,
        friendly_name: Optional[str] = None,
        **fields: Any,
    ) -> str:
        """Add an incoming phone number (``PN…``) to the account; Faker fills what is missing."""
        return seed_phone_number(
            self.store, account_sid or self.default_account_sid, phone_number, friendly_name, fields
        )
