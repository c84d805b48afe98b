"""The four modes behind one fixture: ``fake``, ``replay``, ``record``, ``live``.

``open_backend(mode, cassette_path, service_kwargs)`` is a context manager yielding a backend with
``.client(account_sid=None)`` (a ``twilio.rest.Client``), ``.default_account_sid`` and ``.mode``:

- ``fake``: a started ``FakeTrunkingService(**service_kwargs)`` itself;
- ``replay``: answers only from the cassette, through the fake's ``responses`` adapter with a
  ``Replayer`` as the target: no network, no fake. A missing cassette is an error;
- ``record``: real requests to Twilio, through vcrpy beneath a ``responses`` pass-through that lets
  only Trunking hosts through (anything else is refused); on exit the cassette is written scrubbed,
  leak-checked and atomically, with ``source: live`` metadata;
- ``live``: the same real requests, nothing written.

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
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from .format import (
    Cassette,
    CassetteError,
    Interaction,
    PathLike,
    body_text,
    metadata,
    read_cassette,
    reason_phrase,
    write_cassette,
)
from .replay import Replayer
from .scrub import ACCOUNT_SID, PLACEHOLDER_ACCOUNT, Hook

if TYPE_CHECKING:
    from twilio.rest import Client

    from ..service import Call


MODES = ("fake", "replay", "record", "live")
REAL_BASE_URL = "https://trunking.twilio.com"
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class RecordingRefused(CassetteError):
    """Record or live mode was asked for without credentials or for an unlisted account."""


class ReplayBackend:
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


class LiveBackend:
    """``record`` and ``live`` modes: a client on the real account from the environment."""

    def __init__(self, mode: str, credentials: LiveCredentials, base_url: Optional[str]) -> None:
        self.mode = mode
        self.default_account_sid = credentials.account_sid
        self._credentials = credentials
        self._base_url = base_url

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        from twilio.rest import Client

        if account_sid not in (None, self.default_account_sid):
            raise RecordingRefused(
                f"{self.mode} mode uses the account from TWILIO_ACCOUNT_SID only, not {account_sid}"
            )
        creds = self._credentials
        client = Client(creds.username, creds.password, account_sid=creds.account_sid, **kwargs)
        if self._base_url is not None:
            client.trunking.base_url = self._base_url
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
    from ..service import HOST_RE

    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or parts.path or not host:
        raise RecordingRefused("FAKE_TRUNKING_BASE_URL must be scheme://host[:port], no path")
    if not (host in _LOOPBACK or HOST_RE.match(raw + "/")):
        raise RecordingRefused(
            "FAKE_TRUNKING_BASE_URL must be a trunking*.twilio.com host or a loopback address"
        )
    return raw


@contextmanager
def _pass_through(base_url: Optional[str]) -> Iterator[None]:
    """Only Trunking requests (and ``base_url``'s) leave the process; any other is refused."""
    import responses

    from .. import _async_adapter
    from ..service import HOST_RE

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
    """vcrpy's persister seam: it only hands the recording over. The cassette is written after
    vcrpy has exited (and unpatched everything), by ``write_cassette``: scrubbed, leak-checked,
    atomically; vcrpy's own (unscrubbed) writer never runs, and a refusal cannot leave vcrpy
    patched in the process."""

    def __init__(self) -> None:
        self.recorded: List[Tuple[Any, Dict[str, Any]]] = []

    def load_cassette(self, cassette_path: str, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError

        raise CassetteNotFoundError()  # record mode always records afresh

    def save_cassette(
        self, cassette_path: str, cassette_dict: Dict[str, Any], serializer: Any
    ) -> None:
        self.recorded = list(zip(cassette_dict["requests"], cassette_dict["responses"]))


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
    """``base_url`` -> ``https://trunking.twilio.com`` in the URI, bodies and header values."""

    def sub(text: str) -> str:
        return text.replace(base_url, REAL_BASE_URL)

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
    if mode == "fake":
        from ..service import FakeTrunkingService

        with FakeTrunkingService(**dict(service_kwargs or {})) as fake:
            yield fake  # its ``mode`` is "fake"
        return
    if mode == "replay":
        from .. import _adapter, _async_adapter

        if not path.is_file():
            raise CassetteError(
                f"{path}: no such cassette to replay; record it with --trunking-mode=record "
                "(or write it with fake.save_cassette)"
            )
        replayer = Replayer(read_cassette(path), str(path))
        mock = _adapter.start(replayer)
        async_mock = _async_adapter.start(replayer)  # the async twilio client replays too
        try:
            yield ReplayBackend(replayer)
        finally:
            _async_adapter.stop(replayer, async_mock)
            _adapter.stop(replayer, mock)
        return
    credentials = live_credentials(mode)
    base_url = real_base_url()
    backend = LiveBackend(mode, credentials, base_url)
    if mode == "live":
        with _pass_through(base_url):
            yield backend
        return
    import vcr

    persister = _Persister()
    recorder = vcr.VCR(record_mode="all", decode_compressed_response=True)
    recorder.register_persister(persister)
    try:
        with recorder.use_cassette(str(path)), _pass_through(base_url):
            yield backend
    finally:  # also with no request: an empty cassette replays (as nothing)
        interactions = [
            _from_vcr(req, resp, credentials.account_sid) for req, resp in persister.recorded
        ]
        if base_url is not None:  # shown as made to Twilio, so the cassette is portable
            interactions = [_rebase(it, base_url) for it in interactions]
        stamp = metadata("live", last_verified=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
        write_cassette(
            path,
            Cassette(interactions, stamp),
            secrets=credentials.secrets,
            before_save=before_save,
        )
