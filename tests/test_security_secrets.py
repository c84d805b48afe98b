"""No secret at rest, in logs or in messages (issue 8, part 5).

Canary tokens (``tests/canary.py``: an account's auth token, an API key's secret, and a wrong
token someone tried) go through every path that writes or prints: cassettes (``save_cassette``
and record mode), state files (shutdown and ``--state-sync`` saves, ``GET /__fake__/state``), the
request log (``GET /__fake__/requests``), the access log (``--log-requests``, in process and as
the real command), error bodies and exception messages, the ``fake_trunking`` logger, and the
pytest plugin's failure report. None may show a canary raw, URL-encoded, base64 (standard or
URL-safe, any alignment) or hex. A canary the traffic itself carries is refused, not written.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import textwrap
from pathlib import Path
from typing import Any, Iterator, List
from urllib.parse import quote_plus

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for
from fake_trunking.cassettes import CassetteError, LeakError, open_backend, read_cassette
from fake_trunking.clients.server_client import ServerHttpClient

from .canary import CANARIES, CANARY, CANARY_KEY_SECRET, CANARY_WRONG, assert_no_leak, leaks
from .helpers import read_line, spawn_serve, stop

ACCOUNT = "AC" + "c4" * 16
KEY = "SK" + "5e" * 16
CREDENTIALS = {ACCOUNT: CANARY}
API_KEYS = {KEY: (ACCOUNT, CANARY_KEY_SECRET)}


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_the_leak_detector_finds_every_form() -> None:
    """The detector the tests below rely on finds each encoding, alone or embedded."""
    for secret in CANARIES:
        user_pass = base64.b64encode(f"{ACCOUNT}:{secret}".encode()).decode()
        for sample in [
            secret,
            secret.upper(),
            f"x={quote_plus(secret)}&y=1",
            f"Authorization: Basic {user_pass}",
            base64.urlsafe_b64encode(b"prefix" + secret.encode()).decode(),
            secret.encode().hex(),
        ]:
            assert leaks(sample, [secret]), sample
    assert leaks("AC" + "c4" * 16 + " fake-trunking", CANARIES) == []


def key_client(base_url: str) -> Client:
    """A twilio client on the server that authenticates with the API key."""
    return Client(KEY, CANARY_KEY_SECRET, ACCOUNT, http_client=ServerHttpClient(base_url))


def drive(client: Client, key_client: Client, wrong: Client) -> str:
    """Traffic with all three credentials: creates, updates, lists, a 404 and 401s."""
    trunks = client.trunking.v1.trunks
    sid: str = trunks.create(friendly_name="HQ", domain_name="hq-canary.pstn.twilio.com").sid
    trunks(sid).update(secure=True)
    trunks(sid).origination_urls.create(
        weight=1, priority=1, enabled=True, friendly_name="pbx", sip_url="sip:pbx@example.com"
    )
    assert [t.sid for t in key_client.trunking.v1.trunks.list(page_size=1)] == [sid]
    with pytest.raises(TwilioRestException) as missing:
        trunks("TK" + "0" * 32).fetch()
    assert missing.value.status == 404
    for call in (
        lambda: wrong.trunking.v1.trunks.create(friendly_name="x"),
        wrong.trunking.v1.trunks.list,
    ):
        with pytest.raises(Exception) as refused:
            call()
        assert_no_leak(str(refused.value), "the client's error for a 401")
    return sid


# -- cassettes ---------------------------------------------------------------------------------
def test_save_cassette_writes_no_secret(tmp_path: Path) -> None:
    with FakeTrunkingService(seed=4, credentials=CREDENTIALS, api_keys=API_KEYS) as fake:
        drive(fake.client(), Client(KEY, CANARY_KEY_SECRET, ACCOUNT), Client(ACCOUNT, CANARY_WRONG))
        assert any(c.status == 401 for c in fake.calls)  # the wrong token was sent
        assert any(c.request.headers.get("authorization") for c in fake.calls)
    path = fake.save_cassette(tmp_path / "c.yaml")
    assert_no_leak(path.read_bytes(), "a saved cassette")
    cassette = read_cassette(path)  # still a usable cassette
    assert len(cassette.interactions) == len(fake.calls)
    assert all(
        "authorization" not in {k.lower() for k in it.request_headers}
        for it in cassette.interactions
    )


@pytest.mark.parametrize(
    "smuggled",
    [
        CANARY,
        base64.b64encode(CANARY.encode()).decode(),
        base64.urlsafe_b64encode(b"x" + CANARY.encode()).decode(),
        quote_plus(CANARY),
    ],
    ids=["raw", "base64", "urlsafe-base64", "url-encoded"],
)
def test_a_secret_in_the_traffic_is_refused_and_nothing_is_written(
    tmp_path: Path, smuggled: str
) -> None:
    """When the traffic itself carries the token (a body, a query), the cassette is refused:
    LeakError, a message without the token, and the previous file left as it was."""
    path = tmp_path / "c.yaml"
    path.write_text("previous cassette\n")
    with FakeTrunkingService(seed=4, credentials=CREDENTIALS) as fake:
        fake.client().trunking.v1.trunks.create(friendly_name=smuggled[:64])
    with pytest.raises(LeakError) as refused:
        fake.save_cassette(path)
    assert "nothing was written" in str(refused.value) and "\n" not in str(refused.value)
    assert_no_leak(str(refused.value), "the LeakError message")
    assert path.read_text() == "previous cassette\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # no temporary file left


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrunkingServer]:
    """A simulated Twilio on loopback with the canary credentials, and the record-mode env."""
    with FakeTrunkingServer(seed=5, credentials=CREDENTIALS, api_keys=API_KEYS) as server:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
        monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", ACCOUNT)
        monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", server.base_url)
        yield server


@pytest.mark.parametrize("credential", ["auth token", "api key"])
def test_record_mode_writes_no_secret(
    twilio: FakeTrunkingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credential: str
) -> None:
    if credential == "auth token":
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", CANARY)
    else:
        monkeypatch.setenv("TWILIO_API_KEY", KEY)
        monkeypatch.setenv("TWILIO_API_SECRET", CANARY_KEY_SECRET)
    path = tmp_path / "recorded.yaml"
    with open_backend("record", path, {}) as backend:
        trunks = backend.client().trunking.v1.trunks
        sid = trunks.create(friendly_name="rec").sid
        trunks(sid).update(cnam_lookup_enabled=True)
        trunks.list()
    assert len(twilio.fake.calls) == 3  # the requests did go out, with the canary credentials
    assert_no_leak(repr(backend.__dict__), "the record backend's repr")
    assert_no_leak(path.read_bytes(), "a recorded cassette")
    assert [it.status for it in read_cassette(path).interactions] == [201, 200, 200]


# -- state files and the server's own outputs ---------------------------------------------------
def test_state_files_and_state_dumps_hold_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    server = FakeTrunkingServer(
        seed=6, state_file=path, state_sync=True, credentials=CREDENTIALS, api_keys=API_KEYS
    )
    with server:
        base = server.base_url
        drive(
            client_for(base, ACCOUNT, CANARY),
            key_client(base),
            client_for(base, ACCOUNT, CANARY_WRONG),
        )
        synced = path.read_bytes()  # written by --state-sync after the last write
        dumped = requests.get(f"{base}/__fake__/state", timeout=10).text
    assert_no_leak(synced, "a --state-sync save")
    assert_no_leak(path.read_bytes(), "the shutdown save")
    assert_no_leak(dumped, "GET /__fake__/state")
    assert_no_leak(json.dumps(server.fake.dump_state()), "dump_state()")
    assert ACCOUNT in dumped  # the state itself is there: only the secrets are not


def test_request_log_access_log_and_error_bodies_hold_no_secret() -> None:
    with FakeTrunkingServer(
        seed=7, credentials=CREDENTIALS, api_keys=API_KEYS, log_requests=True
    ) as server:
        assert server.httpd is not None
        server.httpd.log = access_log = io.StringIO()
        base = server.base_url
        drive(
            client_for(base, ACCOUNT, CANARY),
            key_client(base),
            client_for(base, ACCOUNT, CANARY_WRONG),
        )
        bodies: List[str] = []
        with requests.Session() as http:
            for headers in (
                {"Authorization": basic(ACCOUNT, CANARY_WRONG)},
                {"Authorization": basic(KEY, CANARY_WRONG)},
                {"Authorization": "Bearer " + CANARY_WRONG},
                {"Authorization": "Basic " + CANARY_WRONG},  # not even base64
                {"Proxy-Authorization": basic(ACCOUNT, CANARY), "Cookie": f"t={CANARY}"},
            ):
                answer = http.get(f"{base}/v1/Trunks", headers=headers, timeout=10)
                assert answer.status_code == 401
                bodies.append(answer.text)
            logged = http.get(f"{base}/__fake__/requests", timeout=10).text
        # an HTTP-level refusal (a bad Content-Length) with the token in the headers
        raw = (
            f"POST /v1/Trunks HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(ACCOUNT, CANARY)}\r\n"
            "Content-Length: -1\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(raw)
            answer_bytes = b""
            while chunk := sock.recv(65536):
                answer_bytes += chunk
        head, _, body = answer_bytes.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400")
        bodies.append(body.decode())
    assert len(json.loads(logged)["requests"]) >= 12
    assert ACCOUNT in logged  # the account is logged, its secret never
    assert_no_leak(logged, "GET /__fake__/requests")
    assert access_log.getvalue().count("\n") >= 12
    assert_no_leak(access_log.getvalue(), "the --log-requests access log")
    for body in bodies:
        assert json.loads(body)["code"] in (20001, 20003)
        assert_no_leak(body, "an error body")


def test_the_serve_command_with_log_requests_prints_no_secret(tmp_path: Path) -> None:
    """The real ``fake-trunking serve --log-requests --credentials FILE``: stdout, stderr."""
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps(CREDENTIALS))
    proc = spawn_serve("--log-requests", "--credentials", str(creds))
    try:
        base = read_line(proc).strip()
        trunks = client_for(base, ACCOUNT, CANARY).trunking.v1.trunks
        trunks(trunks.create(friendly_name="logged").sid).delete()
        with pytest.raises(TwilioRestException):
            client_for(base, ACCOUNT, CANARY_WRONG).trunking.v1.trunks.create()
        _status, out, err = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert err.count("POST /v1/Trunks") == 2, err  # one access-log line per request
    assert_no_leak(base + out + err, "the serve command's output")


# -- messages and logs -------------------------------------------------------------------------
def test_error_messages_hold_no_secret(tmp_path: Path) -> None:
    """Exceptions the fake raises, for bad credentials files and cassettes holding a secret."""
    messages: List[str] = []
    from fake_trunking.server.http import load_credentials

    for content in (
        json.dumps({ACCOUNT: CANARY, "ACnot-a-sid": CANARY_WRONG}),
        json.dumps({ACCOUNT: [CANARY]}),
        '{"' + ACCOUNT + '": "' + CANARY + '"',  # truncated JSON
        '{"' + ACCOUNT + '": "' + CANARY + '\\x"}',  # a bad escape right after the token
    ):
        path = tmp_path / "creds.json"
        path.write_text(content)
        with pytest.raises(ValueError) as refused:
            load_credentials(path)
        messages.append(str(refused.value))
    fake = FakeTrunkingService(credentials=CREDENTIALS, api_keys=API_KEYS)
    for user, secret in ((ACCOUNT, CANARY_WRONG), (KEY, CANARY_WRONG), (ACCOUNT, "")):
        answer = fake.handle_url(
            "GET",
            "https://trunking.twilio.com/v1/Trunks",
            headers={"Authorization": basic(user, secret)},
        )
        assert answer.status == 401
        messages.append(answer.body.decode())
    cassette = tmp_path / "c.yaml"
    cassette.write_text(f"version: 1\ninteractions: [{CANARY!r}]\n")
    with pytest.raises(CassetteError) as bad:
        read_cassette(cassette)
    messages.append(str(bad.value))
    for message in messages:
        assert "\n" not in message.strip()
        assert_no_leak(message, "an error message")


def test_the_fake_trunking_logger_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    """Everything the ``fake_trunking`` loggers emit at any level, an internal error included
    (logged with its traceback), for requests carrying every canary."""
    from fake_trunking.apis.trunking_v1 import trunk as trunk_module

    caplog.set_level(logging.DEBUG)
    with FakeTrunkingServer(seed=8, credentials=CREDENTIALS, api_keys=API_KEYS) as server:
        base = server.base_url
        sid = drive(
            client_for(base, ACCOUNT, CANARY),
            key_client(base),
            client_for(base, ACCOUNT, CANARY_WRONG),
        )
        original = trunk_module.Trunk.render

        def broken(self: Any, ctx: Any, record: Any) -> Any:
            raise RuntimeError("render failed")

        trunk_module.Trunk.render = broken  # type: ignore[method-assign]
        try:
            answer = requests.get(
                f"{base}/v1/Trunks/{sid}",
                headers={"Authorization": basic(ACCOUNT, CANARY)},
                timeout=10,
            )
        finally:
            trunk_module.Trunk.render = original  # type: ignore[method-assign]
    assert answer.status_code == 500 and answer.json()["code"] == 20500
    assert_no_leak(answer.text, "a 500 body")
    ours = [r for r in caplog.records if r.name.startswith("fake_trunking")]
    assert any(r.exc_info for r in ours), "the internal error was not logged"
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    text = "\n".join(handler.format(r) for r in ours)
    assert "RuntimeError: render failed" in text
    assert_no_leak(text, "the fake_trunking logger")


PLUGIN_TEST = """
import os

import pytest
from twilio.rest import Client

ACCOUNT = os.environ["CANARY_ACCOUNT"]


@pytest.mark.fake_trunking(credentials={ACCOUNT: os.environ["CANARY_TOKEN"]})
def test_fails_after_traffic(fake_trunking, trunking_client):
    trunks = trunking_client.trunking.v1.trunks
    trunks.create(friendly_name="reported")
    try:
        Client(ACCOUNT, os.environ["CANARY_WRONG"]).trunking.v1.trunks.create()
    except Exception:
        pass
    trunks.list(page_size=2)
    assert len(fake_trunking.calls) == 0
"""


def test_the_plugin_failure_report_shows_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANARY_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("CANARY_TOKEN", CANARY)
    monkeypatch.setenv("CANARY_WRONG", CANARY_WRONG)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_downstream=textwrap.dedent(PLUGIN_TEST))
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA", "--tb=long", "-vv")
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "fake-trunking calls" in output and "POST /v1/Trunks -> 401" in output
    assert_no_leak(output, "the pytest failure report")


# -- pytest's own assertion diffs (issue 12, item 6) -------------------------------------------
ASSERTION_DIFFS = """
import base64
import os

import pytest

from fake_trunking import FakeTrunkingService, Request

ACCOUNT = os.environ["CANARY_ACCOUNT"]


def basic(secret):
    return "Basic " + base64.b64encode(f"{ACCOUNT}:{secret}".encode()).decode()


@pytest.fixture
def fake():
    fake = FakeTrunkingService(credentials={ACCOUNT: os.environ["CANARY_TOKEN"]})
    for secret in (os.environ["CANARY_TOKEN"], os.environ["CANARY_WRONG"]):
        fake.handle_url(
            "POST",
            "https://trunking.twilio.com/v1/Trunks",
            b"FriendlyName=x",
            {"Authorization": basic(secret), "Content-Type": "application/x-www-form-urlencoded"},
        )
    return fake


def expected(secret, path="/v1/Trunks/"):
    return Request(
        "POST",
        path,
        body=b"FriendlyName=y",
        headers={"authorization": basic(secret), "cookie": secret},
    )


def test_request_against_an_expected_one(fake):
    assert fake.calls[0].request == expected(os.environ["CANARY_WRONG"])


def test_two_logged_requests(fake):
    assert fake.calls[0].request == fake.calls[1].request


def test_two_calls(fake):
    assert fake.calls[0] == fake.calls[1]


def test_lists_of_requests(fake):
    assert [c.request for c in fake.calls] == [expected(os.environ["CANARY_TOKEN"])] * 2


def test_dicts_of_calls(fake):
    assert {"first": fake.calls[0]} == {"first": fake.calls[1]}


def test_live_credentials(fake):
    from fake_trunking.cassettes.record import LiveCredentials

    def creds(account, secret):
        return LiveCredentials(account, account, secret, (secret,))

    other = "AC" + "0" * 32
    assert creds(ACCOUNT, os.environ["CANARY_TOKEN"]) == creds(other, os.environ["CANARY_WRONG"])


def test_only_the_token_differs(fake):
    left = fake.calls[0].request
    from dataclasses import replace
    headers = dict(left.headers, authorization=basic(os.environ["CANARY_WRONG"]))
    assert left == replace(left, headers=headers)
"""


@pytest.mark.parametrize("verbosity", [[], ["-vv"]], ids=["default", "vv"])
def test_pytests_assertion_diffs_of_requests_and_calls_show_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, verbosity: List[str]
) -> None:
    """``assert call.request == Request(...)`` and friends: pytest prints the compared fields
    of a dataclass (at ``-vv`` and with ``CI=true``, untruncated): none may hold a token."""
    monkeypatch.setenv("CANARY_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("CANARY_TOKEN", CANARY)
    monkeypatch.setenv("CANARY_WRONG", CANARY_WRONG)
    monkeypatch.setenv("CI", "true")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_diffs=textwrap.dedent(ASSERTION_DIFFS))
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:fake_trunking", *verbosity)
    result.assert_outcomes(failed=7)
    output = result.stdout.str() + result.stderr.str()
    assert_no_leak(output, f"pytest's assertion diff ({' '.join(verbosity) or 'default'})")
    assert "Differing attributes" in output and "<redacted>" in output  # the diff is there
    assert "redacted_headers" in output


def test_requests_still_tell_a_wrong_token_from_the_right_one() -> None:
    from fake_trunking import Request

    def request(secret: str) -> Request:
        return Request("GET", "/v1/Trunks", headers={"authorization": basic(ACCOUNT, secret)})

    assert request(CANARY) == request(CANARY)
    assert request(CANARY) != request(CANARY_WRONG)
    assert request(CANARY).headers["authorization"] == basic(ACCOUNT, CANARY)  # the handler's
    assert_no_leak(repr(request(CANARY)), "repr(Request)")
    fake = FakeTrunkingService(credentials=CREDENTIALS)
    assert fake.handle(request(CANARY)).status == 200
    assert fake.handle(request(CANARY_WRONG)).status == 401


def test_the_leak_check_of_cassettes_finds_hex_encoded_secrets(tmp_path: Path) -> None:
    """SECURITY.md: the leak check looks for every secret in play plain, URL-encoded, base64
    and hex (either letter case); a cassette holding one is refused and nothing is written."""
    from fake_trunking.cassettes.scrub import find_leaks

    for secret in CANARIES:
        hexed = secret.encode().hex()
        for text in (f"body: {hexed}\n", f"x-trace: {hexed.upper()}\n"):
            assert find_leaks(text, [secret]) == ["a secret hex-encoded"], text
    fake = FakeTrunkingService(credentials=CREDENTIALS)
    fake.handle_url(
        "POST",
        "https://trunking.twilio.com/v1/Trunks",
        b"FriendlyName=" + CANARY.encode().hex().encode(),
        {"Authorization": basic(ACCOUNT, CANARY)},
    )
    path = tmp_path / "trunks.yaml"
    with pytest.raises(LeakError, match="hex-encoded"):
        fake.save_cassette(path)
    assert not path.exists()
