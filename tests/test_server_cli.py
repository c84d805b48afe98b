"""``fake-trunking serve`` as a real process: the URL line, state across restarts, SIGTERM/SIGINT,
corrupt files, credentials; and ``fake-trunking demo --server URL``."""

from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from fake_trunking import FakeTrunkingServer, client_for
from fake_trunking.cli import main
from fake_trunking.demo import run_demo

from .helpers import read_line, spawn_serve, stop

ACCOUNT = "AC" + "1" * 32


@pytest.fixture
def started() -> Iterator[List[subprocess.Popen[str]]]:
    """Processes to clean up whatever happens in the test."""
    procs: List[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def serve(started: List[subprocess.Popen[str]], *args: str) -> Tuple[subprocess.Popen[str], str]:
    proc = spawn_serve("--port", "0", *args)
    started.append(proc)
    line = read_line(proc)
    assert line.startswith("http://127.0.0.1:") and line.endswith("\n"), line
    return proc, line.strip()


def session() -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    return http


def test_state_survives_a_restart(tmp_path: Path, started: List[Any]) -> None:
    state = tmp_path / "trunks.json"
    proc, url = serve(started, "--state", str(state), "--seed", "4")
    client = client_for(url, ACCOUNT, "any")
    trunk = client.trunking.v1.trunks.create(friendly_name="HQ", domain_name="hq.pstn.twilio.com")
    assert trunk.url == f"{url}/v1/Trunks/{trunk.sid}"
    client.trunking.v1.trunks(trunk.sid).origination_urls.create(
        weight=1, priority=1, enabled=True, friendly_name="pbx", sip_url="sip:pbx@example.com"
    )
    with session() as http:  # and with plain requests, as curl would
        made = http.post(f"{url}/v1/Trunks", data={"FriendlyName": "Branch"}, auth=(ACCOUNT, "x"))
        assert made.status_code == 201
    assert not state.exists()  # saved on shutdown, not before (no --state-sync)
    status, out, err = stop(proc, signal.SIGTERM)
    assert status == 0
    assert out == ""  # the URL line was the only output (already read)
    assert err.strip().splitlines() == [f"fake-trunking serve: stopped; state saved to {state}"]
    saved = json.loads(state.read_text())
    assert [t["friendly_name"] for t in saved["accounts"][ACCOUNT]["trunks"]] == ["HQ", "Branch"]

    proc, url2 = serve(started, "--state", str(state), "--seed", "4")
    again = client_for(url2, ACCOUNT, "any").trunking.v1.trunks
    assert [t.friendly_name for t in again.list()] == ["HQ", "Branch"]
    found = again(trunk.sid).fetch()
    assert found.domain_name == "hq.pstn.twilio.com"
    assert found.url == f"{url2}/v1/Trunks/{trunk.sid}"  # on the new server's address
    assert len(again(trunk.sid).origination_urls.list()) == 1
    newer = again.create(friendly_name="after restart")
    assert newer.sid != trunk.sid
    status, _, _ = stop(proc, signal.SIGINT)
    assert status == 0
    saved = json.loads(state.read_text())
    assert len(saved["accounts"][ACCOUNT]["trunks"]) == 3


def test_state_sync_survives_a_crash(tmp_path: Path, started: List[Any]) -> None:
    state = tmp_path / "trunks.json"
    proc, url = serve(started, "--state", str(state), "--state-sync")
    sid = client_for(url, ACCOUNT, "x").trunking.v1.trunks.create(friendly_name="synced").sid
    proc.kill()  # no clean shutdown: the write was saved when it was answered
    proc.communicate(timeout=10)
    assert [t["sid"] for t in json.loads(state.read_text())["accounts"][ACCOUNT]["trunks"]] == [sid]
    proc, url = serve(started, "--state", str(state))
    assert client_for(url, ACCOUNT, "x").trunking.v1.trunks(sid).fetch().friendly_name == "synced"
    assert stop(proc)[0] == 0


@pytest.mark.parametrize(
    "content",
    [b"{broken", b"", b'{"format": "fake-trunking-state", "version": 1, "accounts": []}'],
)
def test_corrupt_state_file_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "trunks.json"
    state.write_bytes(content)
    before = state.stat().st_mtime_ns
    done = subprocess.run(
        [sys.executable, "-m", "fake_trunking", "serve", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and str(state) in lines[0] and "Traceback" not in done.stderr
    assert state.read_bytes() == content and state.stat().st_mtime_ns == before


def test_command_line_errors_are_one_line(tmp_path: Path) -> None:
    bad_credentials = tmp_path / "creds.json"
    bad_credentials.write_text('{"not-an-account": "token"}')
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        for args, needle in (
            (["--credentials", str(bad_credentials)], str(bad_credentials)),
            (["--credentials", str(tmp_path / "missing.json")], "missing.json"),
            (["--state", str(folder)], str(folder)),
            (["--state-sync"], "--state-sync needs --state"),
            (["--port", port], f"cannot listen on 127.0.0.1:{port}"),
            (["--port", "70000"], "--port"),
            (["--timeout", "0"], "--timeout"),
        ):
            err = io.StringIO()
            with pytest.raises(SystemExit) as exited:
                sys.stderr, saved = err, sys.stderr
                try:
                    raise SystemExit(main(["serve", "--port", "0", *args]))
                finally:
                    sys.stderr = saved
            assert exited.value.code not in (0, None), args
            lines = err.getvalue().splitlines()
            assert len(lines) == 1 and needle in lines[0], (args, lines)


def test_credentials_file(tmp_path: Path, started: List[Any]) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({ACCOUNT: "right"}))
    proc, url = serve(started, "--credentials", str(creds))
    with pytest.raises(TwilioRestException) as refused:
        client_for(url, ACCOUNT, "wrong").trunking.v1.trunks.create()
    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert client_for(url, ACCOUNT, "right").trunking.v1.trunks.create().sid.startswith("TK")
    with session() as http:
        assert http.get(f"{url}/__fake__/").json()["credentials_required"] is True
        assert http.get(f"{url}/__fake__/").json()["default_account_sid"] == ACCOUNT
    assert stop(proc)[0] == 0


def test_request_logging_goes_to_stderr(started: List[Any]) -> None:
    proc, url = serve(started, "--log-requests")
    with session() as http:
        http.get(f"{url}/v1/Trunks", auth=(ACCOUNT, "secret-token"))
    status, out, err = stop(proc)
    assert status == 0 and out == ""
    assert '"GET /v1/Trunks HTTP/1.1" 200' in err and "secret-token" not in err


def test_demo_against_a_server() -> None:
    with FakeTrunkingServer(seed=8) as server:
        out = io.StringIO()
        assert run_demo(server=server.base_url, out=out) is None
        text = out.getvalue()
        assert "bought number            PN" in text  # API v2010 through the server too
        assert "associated               auth_type='CREDENTIAL_LIST,IP_ACL'" in text
        assert "handled error            HTTP 400 code 21248" in text
        assert text.rstrip().endswith(
            f"20 requests answered by the fake-trunking server at {server.base_url}; "
            "nothing left this machine."
        )
        account = text.split("account ", 1)[1].split()[0]
        client = server.client(account)
        assert client.trunking.v1.trunks.list() == []  # released everything
        assert client.sip.credential_lists.list() == []
        assert client.incoming_phone_numbers.list() == []
        assert any(c.path.startswith("/2010-04-01/") for c in server.fake.calls)
        run_demo(server=server.base_url, out=io.StringIO())  # runs again: no clash
        assert len(server.fake.dump_state()["accounts"]) == 2
        chosen = io.StringIO()
        run_demo(server=server.base_url, out=chosen, account_sid=ACCOUNT, auth_token="t")
        assert f"account {ACCOUNT}" in chosen.getvalue()


def test_demo_command_line_against_a_server(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({ACCOUNT: "right"}))
    with FakeTrunkingServer(credentials={ACCOUNT: "right"}) as server:
        assert main(["demo", "--server", server.base_url, "--account-sid", ACCOUNT,
                     "--auth-token", "right"]) == 0  # fmt: skip
        assert "requests answered by the fake-trunking server" in capsys.readouterr().out
        with pytest.raises(SystemExit, match="pass --account-sid and --auth-token"):
            main(["demo", "--server", server.base_url])
        with pytest.raises(SystemExit, match=r"walkthrough stopped: .*401"):
            main(["demo", "--server", server.base_url, "--account-sid", ACCOUNT])
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SystemExit, match="not a reachable fake-trunking server"):
        main(["demo", "--server", f"http://127.0.0.1:{port}"])
    assert time.monotonic() - started < 10
    with pytest.raises(SystemExit, match="base_url must be"):
        main(["demo", "--server", "not a url"])


def test_imports_stay_lazy() -> None:
    code = (
        "import sys, fake_trunking\n"
        "assert 'twilio' not in sys.modules and 'fake_trunking.server.http' not in sys.modules\n"
        "from fake_trunking import FakeTrunkingServer\n"
        "assert 'twilio' not in sys.modules, 'the server must not import twilio'\n"
        "from fake_trunking import client_for\n"
        "assert 'twilio' in sys.modules\n"
        "try:\n"
        "    fake_trunking.nothing_here\n"
        "except AttributeError:\n"
        "    print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout == "ok\n", done.stderr
