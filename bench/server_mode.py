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
    return out
