"""``--trunking-block-network`` and the ini key ``trunking_block_network`` (issue 13, point 3),
through real pytest runs (``pytester``): a connection to a non-loopback host fails naming it,
with no name lookup; loopback and the fake keep working; the Twilio Trunking hosts resolve only
in the modes that reach Twilio."""

from __future__ import annotations

import os
import socket
from typing import Any, Iterator, List

import pytest

from fake_trunking.core.hosts import is_loopback_host
from fake_trunking.intercept import network

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

INNER = """
import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest
import requests

from fake_trunking.intercept.network import NetworkBlockedError


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        pass


def test_a_remote_host_fails_naming_it():
    with pytest.raises(NetworkBlockedError, match="blocked.example.invalid"):
        requests.get("http://blocked.example.invalid/", timeout=2)
    with pytest.raises(NetworkBlockedError, match="192.0.2.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=2)
    with socket.socket() as sock, pytest.raises(NetworkBlockedError, match="192.0.2.2"):
        sock.connect(("192.0.2.2", 80))


def test_aiohttp_fails_naming_the_host():
    async def get():
        async with aiohttp.ClientSession() as session:
            await session.get("http://aio.example.invalid/")

    with pytest.raises(NetworkBlockedError, match="aio.example.invalid"):
        asyncio.run(get())


def test_loopback_still_works():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        for host in ("127.0.0.1", "localhost", "app.localhost"):
            assert requests.get(f"http://{host}:{port}/", timeout=5).text == "hello"
    finally:
        server.shutdown()
        server.server_close()


def test_fake_mode_still_works(trunking_client, fake_trunking):
    trunking_client.trunking.v1.trunks.create(friendly_name="blocked run")
    assert [t.friendly_name for t in trunking_client.trunking.v1.trunks.list()] == ["blocked run"]
    with pytest.raises(requests.exceptions.ConnectionError, match="passthrough_hosts"):
        requests.get("https://api.example.com/")  # the fake refuses it first, as always
"""

TWILIO_HOSTS = """
import socket
import pytest
from fake_trunking.intercept.network import NetworkBlockedError


def test_trunking_hosts_resolve_and_others_do_not():
    assert socket.getaddrinfo("trunking.twilio.com", 443)[0][4][0] == "192.0.2.10"
    with pytest.raises(NetworkBlockedError, match="messaging.twilio.com"):
        socket.getaddrinfo("messaging.twilio.com", 443)
"""

TRUNKING_BLOCKED = """
import socket
import pytest
from fake_trunking.intercept.network import NetworkBlockedError


def test_trunking_hosts_are_blocked_too():
    with pytest.raises(NetworkBlockedError, match="trunking.twilio.com"):
        socket.getaddrinfo("trunking.twilio.com", 443)
"""


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[Any]]:
    """A spy under the block (installed before the inner run): every name it is asked for.

    It answers for ``trunking.twilio.com`` itself and refuses every other remote name, so
    nothing is ever resolved for real."""
    seen: List[Any] = []
    real = socket.getaddrinfo

    def spy(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(host)
        if host is None or is_loopback_host(str(host)):
            return real(host, port, *args, **kwargs)
        if host == "trunking.twilio.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.10", port))]
        raise AssertionError(f"a real lookup of {host!r} would have happened")

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    yield seen
    assert not network.blocked()


INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def remote(seen: List[Any]) -> List[Any]:
    return [h for h in seen if h is not None and not is_loopback_host(str(h))]


def test_block_network_option(pytester: pytest.Pytester, lookups: List[Any]) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("--trunking-block-network", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert remote(lookups) == []  # no lookup ever reached the resolver for a blocked host
    assert socket.getaddrinfo is not network._getaddrinfo


def test_block_network_ini_key(pytester: pytest.Pytester, lookups: List[Any]) -> None:
    pytester.makeini(INI + "trunking_block_network = true\n")
    pytester.makepyfile(test_inner=INNER)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)
    assert remote(lookups) == []


def test_without_the_option_nothing_is_blocked(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_inner="""
from fake_trunking.intercept import network

def test_not_blocked():
    assert not network.blocked()
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("mode", ["record", "live"])
def test_trunking_hosts_pass_in_record_and_live(
    pytester: pytest.Pytester, lookups: List[Any], mode: str
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=TWILIO_HOSTS)
    result = pytester.runpytest(
        "--trunking-block-network", f"--trunking-mode={mode}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    assert remote(lookups) == ["trunking.twilio.com"]


@pytest.mark.parametrize("mode", ["fake", "replay"])
def test_trunking_hosts_are_blocked_in_fake_and_replay(
    pytester: pytest.Pytester, lookups: List[Any], mode: str
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=TRUNKING_BLOCKED)
    result = pytester.runpytest(
        "--trunking-block-network", f"--trunking-mode={mode}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    assert remote(lookups) == []


@pytest.mark.skipif(
    os.environ.get("FAKE_TRUNKING_LONG") != "1",
    reason="starts an xdist run in a subprocess (~15 s); set FAKE_TRUNKING_LONG=1",
)
def test_xdist_workers_are_blocked_too(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_inner="""
import os
import pytest
from fake_trunking.intercept.network import NetworkBlockedError, blocked

@pytest.mark.parametrize("n", range(2))
def test_in_a_worker(n):
    assert os.environ.get("PYTEST_XDIST_WORKER") and blocked()
    with pytest.raises(NetworkBlockedError, match="remote.example.invalid"):
        __import__("socket").getaddrinfo("remote.example.invalid", 80)
"""
    )
    result = pytester.runpytest_subprocess(
        "-n", "2", "--trunking-block-network", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)
