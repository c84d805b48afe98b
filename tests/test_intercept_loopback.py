"""Loopback never leaves the machine (issue 12 point 8, issue 13): with ``HTTP(S)_PROXY`` /
``ALL_PROXY`` set, loopback requests made while a fake is started go straight to the local server,
never to the proxy, for ``requests`` and aiohttp; and one rule (``network.is_loopback_host``)
decides what loopback is, for both (``http://foo.localhost/`` included)."""

from __future__ import annotations

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, List, Tuple

import aiohttp
import pytest
import requests

from fake_trunking import FakeTrunkingService
from fake_trunking.intercept import network
from fake_trunking.intercept import routing as intercept

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class _Direct(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"direct"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Direct)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[Tuple[str, int]]]:
    """A local listener posing as the proxy of every proxy variable; records who connects."""
    contacted: List[Tuple[str, int]] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, peer = listener.accept()
            except OSError:
                continue
            contacted.append(peer)
            with conn:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name in PROXY_VARS:
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield contacted
    done.set()
    thread.join(5)
    listener.close()


def test_the_proxy_listener_is_used_without_a_fake(local_server: int, proxy: List[Any]) -> None:
    """The set-up itself: without a fake, requests does send loopback to the proxy."""
    response = requests.get(f"http://127.0.0.1:{local_server}/", timeout=5)
    assert response.status_code == 502 and len(proxy) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_requests_to_loopback_skip_the_proxy(
    local_server: int, proxy: List[Any], host: str
) -> None:
    with FakeTrunkingService():
        response = requests.get(f"http://{host}:{local_server}/", timeout=5)
        with requests.Session() as session:
            session.proxies = {"http": "http://127.0.0.1:1"}  # explicit proxies too
            assert session.get(f"http://{host}:{local_server}/", timeout=5).text == "direct"
    assert (response.status_code, response.text) == (200, "direct")
    assert proxy == []


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
def test_aiohttp_to_loopback_skips_the_proxy(local_server: int, proxy: List[Any]) -> None:
    async def get(url: str, **kwargs: Any) -> str:
        async with aiohttp.ClientSession(trust_env=True) as session:
            response = await session.get(url, **kwargs)
            return await response.text()

    url = f"http://127.0.0.1:{local_server}/"
    with FakeTrunkingService():
        assert asyncio.run(get(url)) == "direct"
        assert asyncio.run(get(url, proxy="http://127.0.0.1:1")) == "direct"
    assert proxy == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("foo.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("::1", True),
        ("localhost.localdomain", False),
        ("localhost.example.com", False),
        ("notlocalhost", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_one_rule_decides_loopback(host: str, loopback: bool) -> None:
    assert network.is_loopback_host(host) is loopback
    url = f"http://{host if ':' not in host or host.startswith('[') else f'[{host}]'}:8/"
    if host:
        expected = intercept.LOOPBACK if loopback else intercept.REFUSE
        assert intercept.route(url, None, hand_off=False) == expected


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
def test_a_localhost_subdomain_is_loopback_for_requests_and_aiohttp(
    local_server: int, proxy: List[Any]
) -> None:
    """``foo.localhost`` goes through for both (under the block it resolves locally, with no
    resolver call: a system resolver might ask DNS for it)."""

    async def get(url: str) -> str:
        async with aiohttp.ClientSession(trust_env=True) as session:
            response = await session.get(url)
            return await response.text()

    url = f"http://foo.localhost:{local_server}/"
    network.block()
    try:
        with FakeTrunkingService() as fake:
            assert requests.get(url, timeout=5).text == "direct"
            assert asyncio.run(get(url)) == "direct"
    finally:
        network.unblock()
    assert proxy == [] and fake.calls == []
