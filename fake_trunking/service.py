"""``FakeTrunkingService``: the fake's public face.

While started, every ``requests`` and aiohttp call to ``https://trunking.twilio.com`` (and the
edge/region forms ``trunking[.<edge>][.<region>].twilio.com``) is answered in process; see
``fake_trunking.intercept`` for the rules. Any number of fakes may be started and stopped in any
order: the most recently started one still started answers. Other hosts are refused with a
connection error naming the host, except loopback (it never leaves the machine, and skips any
proxy) and the hosts listed in ``passthrough_hosts``, which go to whatever is under the fake (the
user's vcrpy, responses, requests-mock or aioresponses mock, or the network).
A ``responses`` mock started *after* the fake (``@responses.activate`` inside the fixture) answers
its own URLs and hands Trunking URLs it does not mock to the fake.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from . import state
from .apis.trunking_v1.association import seed_list, seed_phone_number
from .apis.trunking_v1.trunk import seed_trunks
from .core import hosts
from .core.auth import DEFAULT_AUTH_TOKEN, ApiKeys, Authenticator
from .core.calllog import CallLog
from .core.messages import NO_RESPONSE, Call, Request, Response
from .core.store import Clock, Store
from .faults import Fault, FaultInjection, FaultSet, describe_unfired
from .handler import Handler
from .inspection import Inspection, describe_calls
from .intercept import aio as _async_adapter
from .intercept import responses_mock as _adapter
from .intercept import routing as intercept
from .intercept import twilio_client as _direct
from .options import checked

if TYPE_CHECKING:
    from twilio.rest import Client


HOST_RE = hosts.HOST_RE  # the Trunking hosts (defined once, in ``core.hosts``)


class FakeTrunkingService(FaultInjection, Inspection):
    """An in-memory, thread-safe, stateful fake of Twilio Elastic SIP Trunking v1.

    >>> with FakeTrunkingService(seed=1) as fake:
    ...     trunk = fake.client().trunking.v1.trunks.create(friendly_name="edge")

    Every keyword is checked up front (``fake_trunking.options``): an unknown name or a bad value
    is a ``KeywordError`` naming it, never a fake that answers 500 to every request later.
    ``calls_limit``, ``calls_max_bytes`` and ``calls_max_body`` bound ``fake.calls`` (the number
    of calls, the bytes they retain, the bytes of each body kept; see ``CallLog``). All three
    are unbounded by default: a test's own traffic is small and a test must see all of it.
    """

    mode = "fake"  # like the cassette backends' ``mode`` (the pytest plugin serves either)

    @checked("FakeTrunkingService()")  # every keyword checked up front (fake_trunking.options)
    def __init__(
        self,
        *,
        seed: Optional[int] = None,
        clock: Optional[Clock] = None,
        credentials: Optional[Mapping[str, str]] = None,
        api_keys: Optional[ApiKeys] = None,
        max_trunks_per_account: Optional[int] = 100,
        passthrough_hosts: Iterable[str] = (),
        calls_limit: Optional[int] = None,
        calls_max_bytes: Optional[int] = None,
        calls_max_body: Optional[int] = None,
        domain_reservation_days: int = 0,
        max_origination_urls_per_trunk: Optional[int] = None,
        number_hold_days: int = 0,
        transport: Optional[str] = None,
    ) -> None:
        # hosts let through to what is under the fake instead of refused (see ``intercept``)
        self.passthrough_hosts = intercept.HostRules(passthrough_hosts)
        self.seed = seed
        self.credentials = dict(credentials) if credentials is not None else None
        self.api_keys: Dict[str, Tuple[str, str]] = dict(api_keys or {})
        self.store = Store(
            seed=seed,
            clock=clock,
            max_trunks_per_account=max_trunks_per_account,
            domain_reservation_days=domain_reservation_days,
            max_origination_urls_per_trunk=max_origination_urls_per_trunk,
            number_hold_days=number_hold_days,
        )
        self.handler = Handler(
            self.store,
            Authenticator(
                self.credentials,
                self.api_keys,
                key_lookup=self.store.account_for_key,
                parent_lookup=self.store.parent_of,
            ),
        )
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
        # how twilio's own HTTP clients reach this fake (docs/transport.md): "direct" answers
        # them before any HTTP, "http" sends them through requests/aiohttp and the mocks
        self.transport: str = transport if transport is not None else _direct.default_transport()
        self._direct: Optional[intercept.Entry] = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeTrunkingService:
        """Answer Trunking requests (``requests`` and aiohttp) until ``stop``; idempotent.

        Started last, this fake answers until it stops, whatever other fakes do meanwhile.
        """
        with self._lock, intercept.LOCK:  # on both ways in at once: they agree on the top
            if self._mock is None:
                mock = _adapter.start(self)
                try:
                    self._async_mock = _async_adapter.start(self)
                except BaseException:
                    _adapter.stop(self, mock)
                    raise
                self._mock = mock
                try:
                    self._direct = _direct.start(self)
                except BaseException:
                    self._mock = None
                    _async_adapter.stop(self, self._async_mock)
                    self._async_mock = None
                    _adapter.stop(self, mock)
                    raise
        return self

    def stop(self) -> None:
        """Stop answering (idempotent); the state and ``calls`` are kept until ``reset``."""
        with self._lock, intercept.LOCK:
            if self._mock is not None:
                if self._direct is not None:
                    _direct.stop(self._direct)
                    self._direct = None
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
                who = self.handler.account_of(request)
                self.calls.append(Call(request, NO_RESPONSE, duration, fault, exc, account_sid=who))
                raise
        who = response.account_sid
        if who is None and fault is not None:  # answered by the fault, not the handler
            who = self.handler.account_of(request)
        duration = time.perf_counter() - started
        self.calls.append(Call(request, response, duration, fault, account_sid=who))
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

    # -- faults that never fired -----------------------------------------------------------
    @property
    def unfired_faults(self) -> List[Fault]:
        """Faults injected with a ``times`` limit (the default ``times=1`` too) that have not
        fired once: usually a mistyped ``path`` or ``method``, so the test never tested them."""
        return self._faults.unfired()

    def assert_all_faults_fired(self) -> None:
        """AssertionError listing every fault of ``unfired_faults`` (like ``responses``'
        ``assert_all_requests_are_fired``): a fault meant to fail a call that was never made, or
        whose pattern matches nothing, fails the test instead of passing silently."""
        unfired = self.unfired_faults
        if unfired:
            calls = list(self.calls)
            served = f"calls served ({len(calls)}):\n{describe_calls(calls)}"
            raise AssertionError(f"{describe_unfired(unfired)}\n{served}")

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
        """The auth token of ``account_sid`` (default: ``default_account_sid``): the configured
        one, a subaccount's (derived from its main account's, as its Account shows it), else
        ``DEFAULT_AUTH_TOKEN``."""
        sid = account_sid or self.default_account_sid
        token = self.handler.auth.token_for(sid)
        return token if token is not None else DEFAULT_AUTH_TOKEN

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
            from .clients.lazy_async import LazyAsyncTwilioHttpClient
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
