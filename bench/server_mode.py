"""``python -m bench.server_mode``: what server mode costs per request, on loopback (issue 6).

Prints requests per second and latency percentiles for: the twilio client through ``client_for``,
plain ``requests`` on one keep-alive session, many concurrent clients, and the in-process
``responses`` adapter for comparison. Absolute numbers depend on the machine; compare side by side.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, List

import requests

from fake_trunking import FakeTrunkingServer, FakeTrunkingService

if TYPE_CHECKING:
    from bench.run import Row


def timed(n: int, call: Callable[[], object]) -> List[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def report(name: str, samples: List[float], wall: float) -> None:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<44} {len(samples) / wall:>8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")


def main(argv: List[str]) -> int:
    n = 200 if "--quick" in argv else 2000
    with FakeTrunkingServer(seed=1, max_trunks_per_account=None) as server:
        sid = server.fake.seed_trunks(count=1)[0]
        trunks = server.client().trunking.v1.trunks
        for label, call in (
            ("client_for: fetch a trunk", lambda: trunks(sid).fetch()),
            ("client_for: create a trunk", lambda: trunks.create(friendly_name="b")),
        ):
            started = time.perf_counter()
            samples = timed(n, call)
            report(label, samples, time.perf_counter() - started)

        http = requests.Session()
        http.trust_env = False
        url = f"{server.base_url}/v1/Trunks/{sid}"
        account = (server.fake.default_account_sid, "x")
        started = time.perf_counter()
        samples = timed(n, lambda: http.get(url, auth=account))
        report("requests, one keep-alive session: fetch", samples, time.perf_counter() - started)

        def worker(_: int) -> List[float]:
            session = requests.Session()
            session.trust_env = False
            return timed(n // 32, lambda: session.get(url, auth=account))

        started = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            merged = [s for chunk in pool.map(worker, range(32)) for s in chunk]
        report("requests, 32 concurrent clients: fetch", merged, time.perf_counter() - started)

    with FakeTrunkingService(seed=1) as fake:
        sid = fake.seed_trunks(count=1)[0]
        trunks = fake.client().trunking.v1.trunks
        started = time.perf_counter()
        samples = timed(n, lambda: trunks(sid).fetch())
        report("in process (responses adapter): fetch", samples, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def rows(quick: bool) -> List[Row]:
    """The ``python -m bench`` rows: throughput and latency with 1 and 8 concurrent clients."""
    from bench.run import Row

    n = 200 if quick else 2000
    out = []
    with FakeTrunkingServer(seed=1, max_trunks_per_account=None) as server:
        sid = server.fake.seed_trunks(count=1)[0]
        url = f"{server.base_url}/v1/Trunks/{sid}"
        account = (server.fake.default_account_sid, "x")

        def worker(count: int) -> List[float]:
            session = requests.Session()
            session.trust_env = False
            session.get(url, auth=account)  # connect outside the measurement
            return timed(count, lambda: session.get(url, auth=account))

        for clients in (1, 8):
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                merged = [s for chunk in pool.map(worker, [n // clients] * clients) for s in chunk]
            wall = time.perf_counter() - started
            ordered = sorted(merged)
            p50 = statistics.median(ordered) * 1000
            p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000
            out.append(
                Row(
                    f"server mode, {clients} concurrent client{'s' if clients > 1 else ''}: fetch",
                    f"{len(merged) / wall:.0f} req/s",
                    None,
                    True,
                    f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (requests keep-alive, loopback)",
                )
            )
    out += proxy_rows(quick)
    return out


def proxy_rows(quick: bool) -> List[Row]:
    """Proxy mode (``serve --proxy``) beside plain server mode, in one run, alternating blocks:
    a fetch on a kept-alive connection (inside the TLS tunnel vs plain HTTP), and a fetch on a
    new connection each time (CONNECT + TLS handshake vs a TCP connect)."""
    import tempfile

    from bench.run import Row, alternate

    n, rounds = (20, 2) if quick else (300, 6)
    with (
        tempfile.TemporaryDirectory() as ca_dir,
        FakeTrunkingServer(seed=1, proxy=True, ca_dir=ca_dir) as server,
    ):
        sid = server.fake.seed_trunks(count=1)[0]
        account = (server.fake.default_account_sid, "x")
        plain_url = f"{server.base_url}/v1/Trunks/{sid}"
        tunnel_url = f"https://trunking.twilio.com/v1/Trunks/{sid}"

        def session(proxied: bool) -> requests.Session:
            http = requests.Session()
            http.trust_env = False
            if proxied:
                http.proxies = {"https": server.base_url}
                http.verify = server.ca_file
            return http

        plain, tunnel = session(False), session(True)
        plain.get(plain_url, auth=account)  # connect (and mint the certificate) outside
        tunnel.get(tunnel_url, auth=account)

        def fresh(proxied: bool, url: str) -> Callable[[int], object]:
            def call(_: int) -> object:
                with session(proxied) as http:
                    return http.get(url, auth=account)

            return call

        kept = alternate(
            {
                "plain": lambda _: plain.get(plain_url, auth=account),
                "proxy": lambda _: tunnel.get(tunnel_url, auth=account),
            },
            n,
            rounds,
        )
        new = alternate(
            {"plain": fresh(False, plain_url), "proxy": fresh(True, tunnel_url)},
            max(n // 4, 5),
            rounds,
        )
    rows = []
    for label, medians in (("kept-alive connection", kept), ("new connection each", new)):
        ratio = medians["proxy"] / medians["plain"]
        rows.append(
            Row(
                f"proxy mode / server mode: fetch, {label}",
                f"{ratio:.2f}",
                None,
                True,
                f"median {medians['proxy'] * 1000:.2f} ms vs {medians['plain'] * 1000:.2f} ms "
                "(requests, loopback; proxy: CONNECT + TLS inside)",
            )
        )
    return rows
