"""``python -m bench.durable_state``: what a durable write costs, and that it stays flat (issue 16).

A create over HTTP on a server with ``--state FILE.db`` (SQLite, every write committed before it
is answered) holding 10 trunks, side by side with one holding 100,000 (5,000 with ``--quick``),
measured in alternating blocks; each created trunk is deleted again outside the timing, so both
sides keep their size. For scale, the same create on a server without a state file.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List

import requests

from fake_trunking import FakeTrunkingServer

if TYPE_CHECKING:
    from bench.run import Row


def _create_times(server: FakeTrunkingServer, session: requests.Session, n: int) -> List[float]:
    account = (server.fake.default_account_sid, "x")
    url = f"{server.base_url}/v1/Trunks"
    out = []
    for i in range(n):
        started = time.perf_counter()
        answer = session.post(url, data={"FriendlyName": f"bench {i}"}, auth=account)
        out.append(time.perf_counter() - started)
        assert answer.status_code == 201, answer.text
        session.delete(f"{url}/{answer.json()['sid']}", auth=account).raise_for_status()
    return out


def measure(quick: bool) -> Dict[str, float]:
    big_n = 5_000 if quick else 100_000
    n, rounds = (30, 3) if quick else (200, 6)
    with tempfile.TemporaryDirectory() as folder:
        servers = {
            "small": FakeTrunkingServer(
                seed=1, state_file=Path(folder) / "small.db", max_trunks_per_account=None
            ),
            "big": FakeTrunkingServer(
                seed=2, state_file=Path(folder) / "big.db", max_trunks_per_account=None
            ),
            "memory": FakeTrunkingServer(seed=3, max_trunks_per_account=None),
        }
        sizes = {"small": 10, "big": big_n, "memory": 10}
        sessions = {}
        try:
            for key, server in servers.items():
                server.start()
                server.fake.seed_trunks(count=sizes[key])
                session = requests.Session()
                session.trust_env = False
                sessions[key] = session
                _create_times(server, session, 5)  # connect, warm up
            samples: Dict[str, List[float]] = {k: [] for k in servers}
            for _ in range(rounds):
                for key, server in servers.items():
                    samples[key] += _create_times(server, sessions[key], n)
            reads = _reads_while_writing(servers["big"], n * rounds)
        finally:
            for server in servers.values():
                server.stop()
    out = {k: statistics.median(v) for k, v in samples.items()}
    out["big_n"] = big_n
    ordered = sorted(reads)
    out["read_p50"] = statistics.median(ordered)
    out["read_p99"] = ordered[max(int(len(ordered) * 0.99) - 1, 0)]
    out["read_max"] = ordered[-1]
    return out


def _reads_while_writing(server: FakeTrunkingServer, n: int) -> List[float]:
    """Fetch latencies on one connection while another creates trunks as fast as it can."""
    account = (server.fake.default_account_sid, "x")
    sid = server.fake.seed_trunks(count=1)[0]
    stop = threading.Event()

    def write() -> None:
        session = requests.Session()
        session.trust_env = False
        while not stop.is_set():
            _create_times(server, session, 1)

    writer = threading.Thread(target=write)
    writer.start()
    session = requests.Session()
    session.trust_env = False
    url = f"{server.base_url}/v1/Trunks/{sid}"
    try:
        out = []
        for _ in range(n):
            started = time.perf_counter()
            session.get(url, auth=account).raise_for_status()
            out.append(time.perf_counter() - started)
        return out
    finally:
        stop.set()
        writer.join()


def rows(quick: bool) -> List[Row]:
    """The ``python -m bench`` rows: a durable create at N vs 10 trunks, and vs no state file."""
    from bench.run import Row

    t = measure(quick)
    big_n = int(t["big_n"])
    ratio = t["big"] / t["small"]
    return [
        Row(
            f"durable create (--state x.db): {big_n:,} vs 10 trunks",
            f"{ratio:.2f}",
            "<= 1.5",
            ratio <= 1.5,
            f"{t['big'] * 1e6:.0f} vs {t['small'] * 1e6:.0f} us per create over HTTP",
        ),
        Row(
            "durable create vs no state file (10 trunks)",
            f"{t['small'] / t['memory']:.2f}x",
            None,
            True,
            f"{t['small'] * 1e6:.0f} vs {t['memory'] * 1e6:.0f} us: the SQLite commit",
        ),
        Row(
            f"fetch while creates stream (--state x.db, {big_n:,} trunks)",
            f"{t['read_p99'] * 1e3:.2f} ms",
            None,
            True,
            f"p99; p50 {t['read_p50'] * 1e3:.2f} ms, max {t['read_max'] * 1e3:.1f} ms: reads never"
            " wait for a save of the state, at most for one write's commit",
        ),
    ]


def main(argv: List[str]) -> int:
    for row in rows("--quick" in argv):
        print(f"{row.name:<52} {row.value:>8}  {row.target or '':<8} {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
