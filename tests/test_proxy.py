"""Proxy mode (``serve --proxy``, ``FakeTrunkingServer(proxy=True)``): an unmodified twilio
``Client`` through ``HTTPS_PROXY``; every other ``CONNECT`` and every plain proxied request for
another host refused, nothing forwarded; the local CA name-constrained (critical), private (0600),
short-lived; page URLs that stay ``https://<the host asked for>``."""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest
import requests
from cryptography import x509

from fake_trunking import FakeTrunkingServer
from fake_trunking.core.hosts import is_served_host
from fake_trunking.server import certs
from fake_trunking.server.certs import CertificateAuthority, default_ca_dir
from fake_trunking.server.proxy import not_forwarded

from .helpers import read_line, spawn_serve, stop


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeTrunkingServer]:
    with FakeTrunkingServer(seed=3, proxy=True, ca_dir=tmp_path / "ca") as started:
        yield started


@pytest.fixture
def no_outbound(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Every connection attempted in this process to a non-loopback address (should be none)."""
    attempts: List[Any] = []
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if not (str(host).startswith("127.") or host in ("::1", "localhost")):
            attempts.append(address)
            raise OSError("the test forbids connections off this machine")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def proxied(server: FakeTrunkingServer) -> requests.Session:
    """A requests session through the proxy, trusting its CA only."""
    http = requests.Session()
    http.trust_env = False
    http.proxies = {"https": server.base_url, "http": server.base_url}
    http.verify = server.ca_file
    sid = server.fake.default_account_sid
    http.auth = (sid, server.fake.auth_token(sid))
    return http


def raw(server: FakeTrunkingServer, data: bytes) -> Tuple[int, bytes]:
    """Send ``data`` on a new connection; the status and body of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(head.split(b" ", 2)[1]), body


# -- unmodified clients ---------------------------------------------------------------------------
CLIENT_SCRIPT = """
import json
from twilio.rest import Client
client = Client()  # TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, and the proxy, from the environment
trunks = client.trunking.v1.trunks
made = [trunks.create(friendly_name=f"py-{i}") for i in range(5)]
listed = trunks.list(page_size=2)
page = trunks.page(page_size=2)
fetched = trunks(made[0].sid).fetch()
removed = trunks(made[4].sid).delete()
print(json.dumps({
    "made": [t.sid for t in made],
    "listed": [t.sid for t in listed],
    "url": fetched.url,
    "next_page_url": page.next_page_url,
    "removed": removed,
}))
"""


@pytest.mark.parametrize(
    ("edge", "host"),
    [(None, "trunking.twilio.com"), ("sydney", "trunking.sydney.au1.twilio.com")],
)
def test_an_unmodified_twilio_client_through_the_proxy(
    server: FakeTrunkingServer, tmp_path: Path, edge: Optional[str], host: str
) -> None:
    sid = server.fake.default_account_sid
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HTTPS_PROXY": server.proxy_environment()["HTTPS_PROXY"],
        "REQUESTS_CA_BUNDLE": server.proxy_environment()["REQUESTS_CA_BUNDLE"],
        "TWILIO_ACCOUNT_SID": sid,
        "TWILIO_AUTH_TOKEN": server.fake.auth_token(sid),
    }
    if edge:
        env.update(TWILIO_EDGE=edge, TWILIO_REGION="au1")
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["listed"] == seen["made"]  # three pages of 2, followed through the tunnel
    assert seen["url"] == f"https://{host}/v1/Trunks/{seen['made'][0]}"
    assert seen["next_page_url"].startswith(f"https://{host}/v1/Trunks?")
    assert seen["removed"] is True
    pages = [c.request for c in server.fake.calls if c.request.method == "GET"]
    assert [r.base_url for r in pages] == [f"https://{host}"] * len(pages)
    assert sum("PageToken=" in r.query for r in pages) == 2  # pages 2 and 3 came through us


V2010_SCRIPT = """
import json
from twilio.rest import Client
client = Client()  # an unmodified client: API v2010 on api.twilio.com, through HTTPS_PROXY
lists = client.sip.credential_lists
made = [lists.create(friendly_name=f"py-{i}") for i in range(5)]
listed = lists.list(page_size=2)
page = lists.page(page_size=2)
cred = lists(made[0].sid).credentials.create(username="pbx", password="Acme-Trunk-2026")
trunk = client.trunking.v1.trunks.create(friendly_name="both APIs")
client.trunking.v1.trunks(trunk.sid).credentials_lists.create(credential_list_sid=made[0].sid)
print(json.dumps({
    "made": [c.sid for c in made],
    "listed": [c.sid for c in listed],
    "uri": made[0].uri,
    "next_page_url": page.next_page_url,
    "credential": cred.sid,
    "associated": [c.sid for c in client.trunking.v1.trunks(trunk.sid).credentials_lists.list()],
}))
"""


def test_an_unmodified_twilio_client_reaches_api_v2010_through_the_proxy(
    server: FakeTrunkingServer, tmp_path: Path
) -> None:
    sid = server.fake.default_account_sid
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HTTPS_PROXY": server.proxy_environment()["HTTPS_PROXY"],
        "REQUESTS_CA_BUNDLE": server.proxy_environment()["REQUESTS_CA_BUNDLE"],
        "TWILIO_ACCOUNT_SID": sid,
        "TWILIO_AUTH_TOKEN": server.fake.auth_token(sid),
    }
    done = subprocess.run(
        [sys.executable, "-c", V2010_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["listed"] == seen["made"]  # three v2010 pages of 2, followed through the tunnel
    root = f"/2010-04-01/Accounts/{sid}/SIP/CredentialLists"
    assert seen["uri"] == f"{root}/{seen['made'][0]}.json"  # v2010: relative to the host
    assert seen["next_page_url"].startswith(f"https://api.twilio.com{root}.json?")
    assert seen["credential"].startswith("CR")
    assert seen["associated"] == [seen["made"][0]]  # the same store behind both hosts
    v2010 = [c.request for c in server.fake.calls if c.request.path.startswith("/2010-04-01/")]
    assert v2010 and {r.base_url for r in v2010} == {"https://api.twilio.com"}
    pages = [r for r in v2010 if r.method == "GET"]
    assert sum("PageToken=" in r.query for r in pages) == 2  # pages 2 and 3 came through us
    # every page URI the fake wrote stays on the host: followed as given, still api.twilio.com
    http = proxied(server)
    body = http.get(f"https://api.twilio.com{root}.json", params={"PageSize": 2}).json()
    for key in ("uri", "first_page_uri", "next_page_uri"):
        assert body[key].startswith(f"{root}.json?"), key
    second = http.get("https://api.twilio.com" + body["next_page_uri"]).json()
    assert second["previous_page_uri"].startswith(f"{root}.json?")
    assert [c["sid"] for c in body["credential_lists"] + second["credential_lists"]] == seen[
        "made"
    ][:4]
    assert "api.twilio.com:443" in not_forwarded("x").message


def test_page_urls_and_links_stay_on_the_host_asked_for(server: FakeTrunkingServer) -> None:
    http = proxied(server)
    base = "https://trunking.twilio.com"
    made = [http.post(f"{base}/v1/Trunks", data={"FriendlyName": str(i)}).json() for i in range(3)]
    assert all(t["url"].startswith(base + "/v1/Trunks/TK") for t in made)
    assert all(link.startswith(base + "/") for t in made for link in t["links"].values())
    first = http.get(f"{base}/v1/Trunks", params={"PageSize": 2}).json()
    meta = first["meta"]
    assert meta["url"].startswith(base + "/v1/Trunks?")
    assert meta["first_page_url"].startswith(base + "/v1/Trunks?")
    assert meta["next_page_url"].startswith(base + "/v1/Trunks?")
    second = http.get(meta["next_page_url"]).json()  # followed as given: still in the tunnel
    assert [t["sid"] for t in first["trunks"] + second["trunks"]] == [t["sid"] for t in made]
    assert second["meta"]["previous_page_url"].startswith(base + "/v1/Trunks?")
    # a sub-resource, on an edge's host
    edge = "https://trunking.dublin.ie1.twilio.com"
    created = http.post(
        f"{edge}/v1/Trunks/{made[0]['sid']}/OriginationUrls",
        data={
            "FriendlyName": "o",
            "SipUrl": "sip:o@example.com",
            "Weight": 1,
            "Priority": 1,
            "Enabled": "true",
        },
    ).json()
    assert created["url"].startswith(f"{edge}/v1/Trunks/{made[0]['sid']}/OriginationUrls/OU")
    listed = http.get(created["url"].rsplit("/", 1)[0], params={"PageSize": 1}).json()
    assert listed["meta"]["url"].startswith(f"{edge}/v1/Trunks/")


# -- nothing is forwarded -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "example.com:443",
        "www.twilio.com:443",
        "trunking.twilio.com.example.com:443",
        "trunking.twilio.com:80",
        "trunking.twilio.com:8443",
        "api.twilio.com.example.com:443",
        "api.twilio.com:80",
        "apix.twilio.com:443",
        "127.0.0.1:443",
        "[::1]:443",
        "trunking.twilio.com",
        "",
    ],
)
def test_every_other_connect_is_refused(
    server: FakeTrunkingServer, no_outbound: List[Any], target: str
) -> None:
    status, body = raw(server, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    assert status == 403 if target else status in (400, 403)
    if status == 403:
        error = json.loads(body)
        assert error["code"] == 20403 and error["status"] == 403
        assert "does not forward" in error["message"]
    assert no_outbound == []


def test_requests_sees_the_refusal(server: FakeTrunkingServer, no_outbound: List[Any]) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        proxied(server).get("https://example.com/")
    assert no_outbound == []


@pytest.mark.parametrize(
    "target", ["http://example.com/", "http://trunking.twilio.com/v1/Trunks", "https://a.b/c"]
)
def test_plain_proxied_requests_for_other_hosts_are_refused(
    server: FakeTrunkingServer, no_outbound: List[Any], target: str
) -> None:
    host = target.split("/")[2]
    status, body = raw(server, f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert status == 403
    assert "does not forward" in json.loads(body)["message"]
    assert no_outbound == []
    assert server.fake.calls == []  # never reached the fake either


def test_absolute_form_for_the_server_itself_is_served(server: FakeTrunkingServer) -> None:
    # what urllib (the admin client, curl) sends when HTTP_PROXY points at the server itself
    url = f"{server.base_url}/__fake__/"
    request = f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n"
    status, body = raw(server, request.encode())
    assert status == 200, body


def test_connect_without_proxy_mode_says_how_to_get_it() -> None:
    with FakeTrunkingServer(seed=1) as plain:
        status, body = raw(plain, b"CONNECT trunking.twilio.com:443 HTTP/1.1\r\n\r\n")
    assert status == 405
    assert "--proxy" in json.loads(body)["message"]


def test_a_client_that_does_not_trust_the_ca_is_told(
    server: FakeTrunkingServer, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    assert server.httpd is not None
    with log.open("w") as stream:
        server.httpd.log = stream
        http = proxied(server)
        http.verify = True  # the system's roots: our CA is not among them
        with pytest.raises(requests.exceptions.SSLError):
            http.get("https://trunking.twilio.com/v1/Trunks")
        deadline = time.monotonic() + 10  # the server sees the client's alert after it raised
        while "does the client trust" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
    assert f"does the client trust {server.ca_file}?" in log.read_text()


# -- the CA ---------------------------------------------------------------------------------------
def test_the_ca_is_name_constrained_to_twilio_com_critically(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path).load_or_create()
    cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    constraints = cert.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert constraints.value.permitted_subtrees == [x509.DNSName(".twilio.com")]
    excluded = {str(n.value) for n in constraints.value.excluded_subtrees or []}
    assert excluded == {"0.0.0.0/0", "::/0"}  # no certificate for an IP address either
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0


def _handshake(server_ctx: ssl.SSLContext, cafile: str, hostname: str) -> None:
    """A TLS handshake over a socket pair: ``server_ctx`` presents, a client trusting only
    ``cafile`` checks it for ``hostname``; raises what the client raises."""
    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)

    def serve() -> None:
        try:
            with server_ctx.wrap_socket(right, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        client_ctx = ssl.create_default_context(cafile=cafile)
        with client_ctx.wrap_socket(left, server_hostname=hostname):
            pass
    finally:
        right.close()
        thread.join(10)
        left.close()


def test_the_constraint_holds_in_a_real_tls_client(tmp_path: Path) -> None:
    """Even with the CA's key, a certificate for another site fails validation: OpenSSL (as
    every client) enforces the name constraint."""
    ca = CertificateAuthority(tmp_path).load_or_create()
    _handshake(ca.context_for("trunking.twilio.com"), str(ca.cert_path), "trunking.twilio.com")
    with pytest.raises(ssl.SSLCertVerificationError, match=r"(?i)name constraint|permitted"):
        _handshake(ca.context_for("example.com"), str(ca.cert_path), "example.com")


def test_the_key_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "ca"
    ca = CertificateAuthority(folder).load_or_create()
    assert stat.S_IMODE(os.stat(ca.key_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert b"PRIVATE KEY" not in ca.cert_path.read_bytes()  # what clients are given: no key


def test_a_key_readable_by_others_is_replaced(tmp_path: Path) -> None:
    first = CertificateAuthority(tmp_path).load_or_create()
    os.chmod(first.key_path, 0o644)
    second = CertificateAuthority(tmp_path).load_or_create()
    assert second.created
    assert second.certificate.serial_number != first.certificate.serial_number
    assert stat.S_IMODE(os.stat(second.key_path).st_mode) == 0o600


def test_the_ca_is_short_lived_and_reused_until_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = CertificateAuthority(tmp_path).load_or_create()
    cert = first.certificate
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=29) < life <= datetime.timedelta(days=31)
    again = CertificateAuthority(tmp_path).load_or_create()
    assert not again.created and again.certificate.serial_number == cert.serial_number
    leaf = x509.load_pem_x509_certificate(first.leaf_pem("trunking.twilio.com")[0])
    assert leaf.not_valid_after_utc <= cert.not_valid_after_utc
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["trunking.twilio.com"]
    # 24 days on, fewer than CA_RENEW_DAYS are left: the next start makes a new CA
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=24)
    monkeypatch.setattr(certs, "_now", lambda: later)
    renewed = CertificateAuthority(tmp_path).load_or_create()
    assert renewed.created and renewed.certificate.serial_number != cert.serial_number


@pytest.mark.parametrize("damage", [b"", b"not a certificate", None])
def test_a_damaged_or_foreign_ca_is_replaced(tmp_path: Path, damage: Optional[bytes]) -> None:
    first = CertificateAuthority(tmp_path).load_or_create()
    if damage is None:  # a CA without name constraints (someone else's): never used
        other = tmp_path / "other"
        made = CertificateAuthority(other).load_or_create()
        first.cert_path.write_bytes(made.cert_path.read_bytes())  # a key that does not match
    else:
        first.cert_path.write_bytes(damage)
    again = CertificateAuthority(tmp_path).load_or_create()
    assert again.created
    x509.load_pem_x509_certificate(again.cert_path.read_bytes())


def test_the_ca_folder_follows_xdg_cache_home(tmp_path: Path) -> None:
    assert default_ca_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "fake-trunking"
    assert default_ca_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache/fake-trunking"
    assert default_ca_dir({}) == Path.home() / ".cache" / "fake-trunking"


def test_the_served_hosts_have_one_owner() -> None:
    assert is_served_host("trunking.twilio.com") and is_served_host("TRUNKING.us1.twilio.com")
    assert is_served_host("trunking.sydney.au1.twilio.com")
    assert not is_served_host("trunking.twilio.com.example.com")
    assert not is_served_host("example.com") and not is_served_host("trunking.a.b.c.twilio.com")


# -- the command line -----------------------------------------------------------------------------
def test_serve_proxy_prints_the_environment_after_the_url(tmp_path: Path) -> None:
    proc = spawn_serve("--port", "0", "--proxy", "--ca-dir", str(tmp_path / "my ca"))
    try:
        url = read_line(proc).strip()
        assert proc.stdout is not None
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(5)]  # printed with the URL
    finally:
        status, _, err = stop(proc)
    assert url.startswith("http://127.0.0.1:")
    ca = tmp_path / "my ca" / "fake-trunking-ca.pem"
    assert lines == [
        f"export HTTPS_PROXY={url}",
        f"export HTTP_PROXY={url}",
        f"export NODE_EXTRA_CA_CERTS='{ca}'",
        f"export REQUESTS_CA_BUNDLE='{ca}'",
        f"export SSL_CERT_FILE='{ca}'",
    ]
    assert status == 0, err
    # a shell evaluates them
    done = subprocess.run(
        ["sh", "-c", "\n".join([*lines, 'printf %s "$SSL_CERT_FILE"'])],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    assert done.stdout == str(ca)


def test_proxy_without_cryptography_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_trunking.cli import main

    monkeypatch.setitem(sys.modules, "cryptography", None)  # import cryptography fails
    err = _capture(monkeypatch)
    assert main(["serve", "--proxy"]) == 1
    assert err.getvalue() == (
        "fake-trunking serve: --proxy needs the cryptography package: "
        "pip install 'fake-trunking[proxy]'\n"
    )


def test_ca_dir_needs_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_trunking.cli import main

    err = _capture(monkeypatch)
    assert main(["serve", "--ca-dir", "x"]) == 2
    assert err.getvalue() == "fake-trunking serve: --ca-dir needs --proxy\n"


def test_an_unusable_ca_dir_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_trunking.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    err = _capture(monkeypatch)
    assert main(["serve", "--proxy", "--ca-dir", str(blocker / "ca")]) == 1
    text = err.getvalue()
    assert text.count("\n") == 1 and f"cannot create the CA folder {blocker / 'ca'}" in text


def _capture(monkeypatch: pytest.MonkeyPatch) -> Any:
    import io

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    return err


def test_a_stalled_handshake_does_not_hold_a_connection_slot(tmp_path: Path) -> None:
    """A client that sends CONNECT and then nothing is evicted at the cap like a slow request,
    not counted as a request being answered (which is never evicted)."""
    server = FakeTrunkingServer(seed=1, proxy=True, ca_dir=tmp_path, max_connections=1)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as stalled:
        stalled.sendall(b"CONNECT trunking.twilio.com:443 HTTP/1.1\r\n\r\n")
        assert stalled.recv(65536).startswith(b"HTTP/1.1 200 ")
        status, _ = raw(server, b"GET /v1/Trunks HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert status == 401  # served: the stalled tunnel made room
        rest = stalled.recv(65536)  # and was closed by the server (after a TLS alert)
        while rest.startswith(b"\x15"):
            rest = stalled.recv(65536)
        assert rest == b""


def test_a_tunnel_evicted_while_its_socket_is_wrapped_still_makes_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wrapping the tunnel's socket in TLS detaches the plain one: an eviction landing between
    the wrap and the server noting the new socket once shut down nothing, and the stalled
    tunnel kept its slot until its deadline (seen in CI). The wrap is slowed here, so a new
    connection's eviction lands in that window every time."""
    original = ssl.SSLContext.wrap_socket

    def slow_wrap(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        wrapped = original(self, *args, **kwargs)
        time.sleep(0.3)
        return wrapped

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", slow_wrap)
    server = FakeTrunkingServer(seed=1, proxy=True, ca_dir=tmp_path, max_connections=1)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=5) as stalled:
        stalled.sendall(b"CONNECT trunking.twilio.com:443 HTTP/1.1\r\n\r\n")
        assert stalled.recv(65536).startswith(b"HTTP/1.1 200 ")
        status, _ = raw(server, b"GET /v1/Trunks HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert status == 401
        rest = stalled.recv(65536)  # closed by the server at once, not at its deadline
        while rest.startswith(b"\x15"):
            rest = stalled.recv(65536)
        assert rest == b""
