"""The five modes behind one fixture: ``fake``, ``replay``, ``record``, ``live``, ``once``.

``open_backend(mode, cassette_path, service_kwargs)`` is a context manager yielding a backend with
``.client(account_sid=None)`` (a ``twilio.rest.Client``), ``.async_client()``,
``.default_account_sid``, ``.mode``, ``.calls`` and ``.assert_called(...)`` in every mode, so the
same test runs in all of them:

- ``fake``: a started ``FakeTrunkingService(**service_kwargs)`` itself;
- ``replay``: answers only from the cassette, through the fake's ``responses`` adapter with a
  ``Replayer`` as the target: no network, no fake. A missing cassette is an error;
- ``record``: real requests to Twilio, through vcrpy beneath a ``responses`` pass-through that lets
  only Trunking hosts through (anything else is refused). On a clean exit, and only when at least
  one interaction was recorded and nobody called ``backend.keep_cassette(reason)`` (the pytest
  plugin does when the test did not pass), the cassette is written scrubbed, leak-checked and
  atomically, with ``source: live`` metadata. Otherwise the previous cassette is left byte for byte
  and ``backend.cassette_note`` says why: a failed or offline run never destroys a good recording;
- ``live``: the same real requests, nothing written;
- ``once`` (pytest-recording's and vcrpy's default): ``replay`` when the cassette exists, else
  ``record`` (the backend's ``mode`` says which it became).

What only the in-memory fake can do (seeding, faults, state snapshots, ``store``...) raises
``FakeOnlyError`` on a cassette backend, naming the mode and the ``fake_only`` marker, instead of
a bare ``AttributeError``.

Record and live need ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` (or ``TWILIO_API_KEY`` and
``TWILIO_API_SECRET`` with the account SID), and refuse unless that account is listed in
``FAKE_TRUNKING_RECORD_ACCOUNTS`` (comma or space separated): nobody records against production by
accident. ``FAKE_TRUNKING_BASE_URL`` sends the real requests to another Trunking host or to a
loopback address (a proxy, or a simulated Twilio in tests; nothing else is accepted); the cassette
still shows them as made to ``https://trunking.twilio.com``, so it replays like any other.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from ..core.errors import reason_phrase
from ..core.hosts import is_loopback_host
from ..inspection import Inspection
from ..modes import MODES
from .format import (
    Cassette,
    CassetteError,
    Interaction,
    PathLike,
    body_text,
    metadata,
    read_cassette,
)
from .replay import Replayer, response_of
from .save import write_cassette
from .scrub import ACCOUNT_SID, PLACEHOLDER_ACCOUNT, Hook

if TYPE_CHECKING:
    from twilio.rest import Client

    from ..core.messages import Call


REAL_BASE_URL = "https://trunking.twilio.com"


class RecordingRefused(CassetteError):
    """Record or live mode was asked for without credentials or for an unlisted account."""


class FakeOnlyError(AttributeError):
    """What only the in-memory fake has, asked of a replay, record or live backend."""


# what every backend has; any other public name of FakeTrunkingService is fake-only
PORTABLE = frozenset(
    {"mode", "default_account_sid", "client", "async_client", "calls", "assert_called"}
)
# instance attributes of the fake (not seen on its class)
_FAKE_ATTRIBUTES = frozenset({"store", "handler", "seed", "credentials", "api_keys"})


def fake_only_names() -> FrozenSet[str]:
    """The public names of ``FakeTrunkingService`` a cassette backend does not have."""
    from ..service import FakeTrunkingService

    public = {n for n in dir(FakeTrunkingService) if not n.startswith("_")}
    return frozenset((public | _FAKE_ATTRIBUTES) - PORTABLE)


class Backend:
    """What the replay, record and live backends share: ``calls``, ``assert_called``,
    ``async_client``, and a clear error for what only the fake can do."""

    mode: str
    default_account_sid: str
    cassette_note: Optional[str] = None  # what happened to the cassette (record mode)

    @property
    def calls(self) -> List[Call]:  # pragma: no cover - every backend defines it
        raise NotImplementedError

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        raise NotImplementedError  # pragma: no cover - every backend defines it

    def assert_called(self, method: str, path: Any, times: Optional[int] = None) -> List[Call]:
        """The fake's ``assert_called`` over this backend's ``calls`` (see ``Inspection``)."""
        checked: List[Call] = Inspection.assert_called(self, method, path, times)  # type: ignore[arg-type]
        return checked

    def async_client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        """A ``Client`` on twilio's async HTTP client (``LazyAsyncTwilioHttpClient``)."""
        from ..clients.lazy_async import LazyAsyncTwilioHttpClient

        kwargs.setdefault("http_client", LazyAsyncTwilioHttpClient())
        return self.client(account_sid, **kwargs)

    def keep_cassette(self, reason: str) -> None:
        """Record mode: do not write the recording at exit (``reason`` goes in the note)."""

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name in fake_only_names():
            raise FakeOnlyError(
                f"fake_trunking.{name} needs the in-memory fake (--trunking-mode=fake); this "
                f"test runs in {self.mode} mode. Mark the test @pytest.mark.fake_only to skip it "
                "outside fake mode (calls and assert_called work in every mode)"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ReplayBackend(Backend):
    """``replay`` mode: every Trunking request is answered from the cassette."""

    mode = "replay"
    token = "fake-trunking-replay"

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer
        accounts = replayer.cassette.accounts
        self.default_account_sid = accounts[0] if accounts else PLACEHOLDER_ACCOUNT

    @property
    def calls(self) -> List[Call]:
        return self.replayer.calls

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        from twilio.rest import Client

        return Client(account_sid or self.default_account_sid, self.token, **kwargs)


@dataclass(frozen=True)
class LiveCredentials:
    account_sid: str
    username: str  # the account SID, or the API key SID
    # the auth token, or the API key secret; never shown, nor compared (pytest's assertion diff
    # prints every compared field of a dataclass, whatever its repr)
    password: str = field(repr=False, compare=False)
    secrets: Tuple[str, ...] = field(repr=False, compare=False)  # what the leak check looks for


class _Recording:
    """vcrpy's cassette and what was read from it. The interactions still carry the
    ``Authorization`` header (scrubbed only when written), so the ``repr`` shows none of it."""

    def __init__(self) -> None:
        self.tape: Any = None  # vcrpy's cassette while the backend is open
        self.interactions: List[Interaction] = []
        self.calls: List[Call] = []

    def __repr__(self) -> str:
        return f"<recording of {len(self.interactions)} interaction(s)>"


class LiveBackend(Backend):
    """``record`` and ``live`` modes: a client on the real account from the environment.

    ``calls`` are the requests vcrpy saw (sync and async), as the fake logs its own."""

    def __init__(self, mode: str, credentials: LiveCredentials, base_url: Optional[str]) -> None:
        self.mode = mode
        self.default_account_sid = credentials.account_sid
        self._credentials = credentials
        self._base_url = base_url
        self._recording = _Recording()
        self._keep_reason: Optional[str] = None

    def recorded(self) -> List[Interaction]:
        """What vcrpy recorded so far, as ``Interaction`` objects (shown as made to Twilio)."""
        rec = self._recording
        data = list(rec.tape.data) if rec.tape is not None else []
        for req, resp in data[len(rec.interactions) :]:
            it = _from_vcr(req, resp, self._credentials.account_sid)
            if self._base_url is not None:  # shown as made to Twilio, so the cassette is portable
                it = _rebase(it, self._base_url)
            rec.interactions.append(it)
        return list(rec.interactions)

    @property
    def calls(self) -> List[Call]:
        from ..core.messages import Call

        recorded = self.recorded()
        done = self._recording.calls
        done.extend(Call(it.request(), response_of(it), 0.0) for it in recorded[len(done) :])
        return list(done)

    def keep_cassette(self, reason: str) -> None:
        self._keep_reason = reason

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        from twilio.rest import Client

        if account_sid not in (None, self.default_account_sid):
            raise RecordingRefused(
                f"{self.mode} mode uses the account from TWILIO_ACCOUNT_SID only, not {account_sid}"
            )
        creds = self._credentials
        client = Client(creds.username, creds.password, account_sid=creds.account_sid, **kwargs)
        base = self._base_url
        if base is not None:
            # a loopback simulation serves both APIs; a Twilio host only its own
            from ..core.hosts import API_V2010, TRUNKING_V1, api_of

            api = api_of(base + "/")
            if api in (None, TRUNKING_V1):
                client.trunking.base_url = base
            if api in (None, API_V2010):
                client.api.base_url = base
        return client


def live_credentials(mode: str, env: Optional[Mapping[str, str]] = None) -> LiveCredentials:
    """The real account's credentials, or ``RecordingRefused`` (the interlock)."""
    env = os.environ if env is None else env
    account = env.get("TWILIO_ACCOUNT_SID", "").strip()
    token = env.get("TWILIO_AUTH_TOKEN", "").strip()
    key, secret = env.get("TWILIO_API_KEY", "").strip(), env.get("TWILIO_API_SECRET", "").strip()
    if not account or not (token or (key and secret)):
        raise RecordingRefused(
            f"{mode} mode needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
            "TWILIO_API_SECRET) in the environment"
        )
    if not ACCOUNT_SID.fullmatch(account):
        raise RecordingRefused(f"{mode} mode: TWILIO_ACCOUNT_SID is not an account SID (AC…)")
    allowed = set(re.split(r"[\s,]+", env.get("FAKE_TRUNKING_RECORD_ACCOUNTS", "").strip())) - {""}
    if account not in allowed:
        raise RecordingRefused(
            f"refusing {mode} mode against account {account}: it is not listed in "
            "FAKE_TRUNKING_RECORD_ACCOUNTS (list only test accounts there)"
        )
    secrets = tuple(s for s in (token, secret) if s)
    if key and secret:
        return LiveCredentials(account, key, secret, secrets)
    return LiveCredentials(account, account, token, secrets)


def real_base_url(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """``FAKE_TRUNKING_BASE_URL`` if set: a Trunking host or a loopback address, else refused."""
    env = os.environ if env is None else env
    raw = env.get("FAKE_TRUNKING_BASE_URL", "").strip().rstrip("/")
    if not raw:
        return None
    from ..core.hosts import HOST_RE

    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or parts.path or not host:
        raise RecordingRefused("FAKE_TRUNKING_BASE_URL must be scheme://host[:port], no path")
    if not (is_loopback_host(host) or HOST_RE.match(raw + "/")):
        raise RecordingRefused(
            "FAKE_TRUNKING_BASE_URL must be a trunking*.twilio.com host or a loopback address"
        )
    return raw


@contextmanager
def _pass_through(base_url: Optional[str]) -> Iterator[None]:
    """Only Trunking requests (and ``base_url``'s) leave the process; any other is refused."""
    import responses

    from ..core.hosts import HOST_RE
    from ..intercept import aio as _async_adapter

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_passthru(HOST_RE)
    if base_url is not None:
        mock.add_passthru(base_url + "/")

    def allowed(url: str) -> bool:  # the same rule for aiohttp (the async twilio client)
        return bool(HOST_RE.match(url)) or (base_url is not None and url.startswith(base_url + "/"))

    mock.start()
    try:
        with _async_adapter.pass_through(allowed):
            yield
    finally:
        mock.stop(allow_assert=False)


class _Persister:
    """vcrpy's persister seam: it reads nothing and writes nothing. The recording is read from
    vcrpy's cassette object (``LiveBackend.recorded``) and written after vcrpy has exited (and
    unpatched everything), by ``write_cassette``: scrubbed, leak-checked, atomically; vcrpy's own
    (unscrubbed) writer never runs, and a refusal cannot leave vcrpy patched in the process."""

    def load_cassette(self, cassette_path: str, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError

        raise CassetteNotFoundError()  # record mode always records afresh

    def save_cassette(
        self, cassette_path: str, cassette_dict: Dict[str, Any], serializer: Any
    ) -> None:
        pass  # written (or kept) by open_backend, not by vcrpy


def _from_vcr(request: Any, response: Dict[str, Any], account: str) -> Interaction:
    """One vcrpy (request, response) pair as an ``Interaction``."""
    status = response.get("status") or {}
    code = int(status.get("code", 0))
    body = request.body if not hasattr(request, "body_bytes") else request.body_bytes
    if isinstance(body, Mapping):  # aiohttp's data= dict, kept as given by vcrpy: the form sent
        body = urlencode(list(body.items()), doseq=True)
    return Interaction(
        method=request.method.upper(),
        uri=request.uri,
        request_headers={k: [str(v)] for k, v in request.headers.items()},
        request_body=body_text(body) or None,
        status=code,
        reason=str(status.get("message") or reason_phrase(code)),
        response_headers={
            k: [str(x) for x in (v if isinstance(v, list) else [v])]
            for k, v in (response.get("headers") or {}).items()
        },
        response_body=body_text((response.get("body") or {}).get("string")) or "",
        account=account,
    )


def _rebase(it: Interaction, base_url: str) -> Interaction:
    """``base_url`` -> the real host of the interaction's API in the URI, bodies and header
    values: ``https://trunking.twilio.com``, or ``https://api.twilio.com`` for a
    ``/2010-04-01/...`` path (each host serves only its own tree)."""
    from ..core.hosts import V2010_BASE_URL

    real = V2010_BASE_URL if it.path.startswith("/2010-04-01/") else REAL_BASE_URL

    def sub(text: str) -> str:
        return text.replace(base_url, real)

    return replace(
        it,
        uri=sub(it.uri),
        request_headers={k: [sub(v) for v in vs] for k, vs in it.request_headers.items()},
        request_body=None if it.request_body is None else sub(it.request_body),
        response_headers={k: [sub(v) for v in vs] for k, vs in it.response_headers.items()},
        response_body=sub(it.response_body),
    )


@contextmanager
def open_backend(
    mode: str,
    cassette_path: PathLike,
    service_kwargs: Optional[Mapping[str, Any]] = None,
    *,
    before_save: Optional[Hook] = None,
) -> Iterator[Any]:
    """Yield the backend for ``mode`` (see the module doc); clean up on exit."""
    if mode not in MODES:
        raise CassetteError(f"unknown trunking mode {mode!r}; expected one of {', '.join(MODES)}")
    path = Path(cassette_path)
    if mode == "once":  # pytest-recording's "once": replay what exists, record what is missing
        mode = "replay" if path.is_file() else "record"
    if mode == "fake":
        from ..service import FakeTrunkingService

        with FakeTrunkingService(**dict(service_kwargs or {})) as fake:
            yield fake  # its ``mode`` is "fake"
        return
    if mode == "replay":
        from ..intercept import aio as _async_adapter
        from ..intercept import responses_mock as _adapter

        if not path.is_file():
            raise CassetteError(
                f"{path}: no such cassette to replay; record it with --trunking-mode=record "
                "(or write it with fake.save_cassette)"
            )
        from ..intercept.routing import HostRules

        replayer = Replayer(read_cassette(path), str(path))
        # the hosts the test lets through in fake mode are let through in replay too
        passthrough = HostRules((service_kwargs or {}).get("passthrough_hosts", ()))
        mock = _adapter.start(replayer, passthrough)
        async_mock = _async_adapter.start(replayer, passthrough)  # the async client replays too
        try:
            yield ReplayBackend(replayer)
        finally:
            _async_adapter.stop(replayer, async_mock)
            _adapter.stop(replayer, mock)
        return
    credentials = live_credentials(mode)
    base_url = real_base_url()
    backend = LiveBackend(mode, credentials, base_url)
    import vcr

    persister = _Persister()
    recorder = vcr.VCR(record_mode="all", decode_compressed_response=True)
    recorder.register_persister(persister)
    with recorder.use_cassette(str(path)) as tape, _pass_through(base_url):
        backend._recording.tape = tape
        yield backend
    # reached only when the block did not raise: an exception leaves the old cassette as it was
    if mode == "live":
        return
    interactions = backend.recorded()
    reason = backend._keep_reason
    if reason is None and not interactions:
        reason = "no interaction was recorded"
    if reason is not None:
        backend.cassette_note = (
            f"kept {path} unchanged ({reason})"
            if path.exists()
            else f"wrote no cassette to {path} ({reason})"
        )
        return
    stamp = metadata("live", last_verified=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    write_cassette(
        path,
        Cassette(interactions, stamp),
        secrets=credentials.secrets,
        before_save=before_save,
    )
    backend.cassette_note = f"recorded {len(interactions)} interaction(s) to {path}"
