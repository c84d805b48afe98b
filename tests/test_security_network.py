"""Loopback by default, and no network in fake and replay modes (issue 8, parts 5 and 7).

A guard replaces ``socket.socket.connect``/``connect_ex`` and ``socket.getaddrinfo`` for the test:
any attempt to reach (or even resolve) a host that is not loopback is recorded and refused before
a packet leaves. Sync and async twilio clients, pagination, other hosts and other libraries are
then driven through the fake and through replay; the guard must have seen nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import requests

from fake_trunking import FakeTrunkingServer, FakeTrunkingService
from fake_trunking.cassettes import UnmatchedRequest, open_backend
from fake_trunking.cli import build_parser

# twilio 9.13.0's async client builds aiohttp.BasicAuth, deprecated in aiohttp 3.14
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@pytest.fixture
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[Any]]:
    """Refuse (and record) every connection or name lookup that is not loopback."""
    attempts: List[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(address: Any) -> bool:
        if isinstance(address, (str, bytes)):  # AF_UNIX: a path, never the network
            return True
        return is_loopback(address[0])

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            attempts.append(("connect", address))
            raise OSError("network access refused by the test's guard")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            attempts.append(("connect_ex", address))
            raise OSError("network access refused by the test's guard")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host if isinstance(host, str) else host.decode()):
            attempts.append(("getaddrinfo", host))
            raise socket.gaierror(socket.EAI_NONAME, "name lookup refused by the test's guard")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def test_the_guard_sees_and_stops_network_access(network_guard: List[Any]) -> None:
    """The guard itself (TEST-NET-1 is never reached: the guard raises before connecting)."""
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://192.0.2.1:9/", timeout=2)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://trunking.twilio.com/v1/Trunks", timeout=2)
    with socket.socket() as sock, pytest.raises(OSError):
        sock.connect(("192.0.2.1", 9))
    assert network_guard == [
        ("getaddrinfo", "192.0.2.1"),
        ("getaddrinfo", "trunking.twilio.com"),
        ("connect", ("192.0.2.1", 9)),
    ]
    network_guard.clear()
    with FakeTrunkingServer() as server:  # loopback stays open
        assert server.client().trunking.v1.trunks.list() == []
    assert network_guard == []


def provision(client: Any) -> List[str]:
    trunks = client.trunking.v1.trunks
    sid = trunks.create(friendly_name="HQ", domain_name="guarded.pstn.twilio.com").sid
    trunks(sid).update(secure=True)
    for n in range(3):
        trunks(sid).origination_urls.create(
            weight=n, priority=n, enabled=True, friendly_name=f"o{n}", sip_url="sip:a@b"
        )
    return [o.sid for o in trunks(sid).origination_urls.list(page_size=2)]  # two pages


async def provision_async(fake: FakeTrunkingService) -> int:
    client = fake.async_client()
    try:
        trunk = await client.trunking.v1.trunks.create_async(friendly_name="async")
        fetched = await client.trunking.v1.trunks(trunk.sid).fetch_async()
        listed = await client.trunking.v1.trunks.list_async(page_size=1)
        assert fetched.sid == trunk.sid
        return len(listed)
    finally:
        await client.http_client.close()


def test_fake_mode_never_touches_the_network(network_guard: List[Any]) -> None:
    import aiohttp

    with FakeTrunkingService(seed=9) as fake:
        assert len(provision(fake.client())) == 3
        for host in ("https://trunking.sydney.au1.twilio.com", "https://trunking.twilio.com"):
            assert requests.get(f"{host}/v1/Trunks", auth=(fake.default_account_sid, "t")).ok
        # any other host is refused by the fake itself, before a connection is tried
        for url in ("https://messaging.twilio.com/v1/Services", "http://192.0.2.1/"):
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get(url, timeout=2)
        assert asyncio.run(provision_async(fake)) == 2

        async def other_host() -> None:
            async with aiohttp.ClientSession() as session:
                await session.get("https://example.com/")

        with pytest.raises(aiohttp.ClientConnectionError):
            asyncio.run(other_host())
    assert network_guard == []


def test_replay_mode_never_touches_the_network(network_guard: List[Any], tmp_path: Path) -> None:
    path = tmp_path / "tape.yaml"
    with FakeTrunkingService(seed=9) as fake:
        recorded = provision(fake.client())
    fake.save_cassette(path)
    with open_backend("replay", path, {}) as backend:
        assert provision(backend.client()) == recorded
        with pytest.raises(UnmatchedRequest):
            backend.client().trunking.v1.trunks.create(friendly_name="not recorded")
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("https://example.com/", timeout=2)
    assert network_guard == []


def test_the_server_binds_loopback_by_default() -> None:
    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.port == 0
    with FakeTrunkingServer() as server:
        assert server.httpd is not None
        host, port = server.httpd.socket.getsockname()[:2]
        assert host == "127.0.0.1" and port == server.port
        assert server.base_url == f"http://127.0.0.1:{port}"
