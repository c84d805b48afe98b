"""Replay cost per request at 100 vs 5,000 interactions: ours (indexed) vs vcrpy's (a scan).

    python bench/cassette_replay.py            # 100 and 5,000 interactions
    python bench/cassette_replay.py --quick    # 100 and 1,000, fewer samples (a smoke run)

Each cassette is the fake's own traffic (``save_cassette``): one ``GET /v1/Trunks/TK…`` per
trunk, all different. The same sample of requests, spread evenly over the cassette (so vcrpy's
scan is measured at every depth), is replayed through the real twilio client three ways:

- ``ours, matcher``: ``Replayer.handle`` alone (the lookup, no HTTP stack);
- ``ours, client``: the twilio client through the ``responses`` adapter into ``Replayer.handle``;
- ``vcrpy, client``: the twilio client under ``vcr.use_cassette(record_mode="none",
  match_on=["method", "path", "query", "body"])``.

Numbers are medians per request; the verdict is the ratio big/small, which is what "flat" means
(absolute times on a shared machine are noise). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Tuple

from fake_trunking import FakeTrunkingService
from fake_trunking.cassettes import Replayer, read_cassette
from fake_trunking.cassettes.scrub import PLACEHOLDER_ACCOUNT
from fake_trunking.core.messages import Request
from fake_trunking.intercept import responses_mock as _adapter

if TYPE_CHECKING:
    from bench.run import Row


def make_cassette(n: int, folder: Path) -> Tuple[Path, List[str]]:
    fake = FakeTrunkingService(seed=n, max_trunks_per_account=None)
    sids = fake.seed_trunks(count=n)
    with fake:
        trunks = fake.client().trunking.v1.trunks
        for sid in sids:
            trunks(sid).fetch()
    return fake.save_cassette(folder / f"trunks-{n}.yaml"), sids


def sample(sids: List[str], k: int) -> List[str]:
    step = max(1, len(sids) // k)
    return sids[::step][:k]


def per_request(fn: Callable[[str], None], sids: List[str]) -> float:
    times = []
    for sid in sids:
        start = time.perf_counter()
        fn(sid)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(path: Path, sids: List[str], samples: int, vcr_samples: int) -> Dict[str, float]:
    import vcr
    from twilio.rest import Client

    out: Dict[str, float] = {}
    start = time.perf_counter()
    cassette = read_cassette(path)
    replayer = Replayer(cassette, str(path))
    out["ours: load + index (ms)"] = (time.perf_counter() - start) * 1000
    picked = sample(sids, samples)
    headers = {"accept": "application/json"}

    def matcher(sid: str) -> None:
        replayer.handle(Request("GET", f"/v1/Trunks/{sid}", "", b"", headers))

    out["ours, matcher (us)"] = per_request(matcher, picked) * 1e6

    replayer = Replayer(cassette, str(path))
    client = Client(PLACEHOLDER_ACCOUNT, "token")
    mock = _adapter.start(replayer)
    try:
        out["ours, client (us)"] = (
            per_request(lambda sid: client.trunking.v1.trunks(sid).fetch(), picked) * 1e6
        )
    finally:
        _adapter.stop(replayer, mock)

    recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "query", "body"])
    start = time.perf_counter()
    with recorder.use_cassette(str(path), allow_playback_repeats=True):
        out["vcrpy: load (ms)"] = (time.perf_counter() - start) * 1000
        fetch = client.trunking.v1.trunks
        out["vcrpy, client (us)"] = (
            per_request(lambda sid: fetch(sid).fetch(), sample(sids, vcr_samples)) * 1e6
        )
    return out


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 interactions")
    args = parser.parse_args(argv)
    small, big = (100, 1000) if args.quick else (100, 5000)
    samples, vcr_samples = (50, 10) if args.quick else (300, 30)
    results: Dict[int, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (small, big):
            path, sids = make_cassette(n, Path(tmp))
            measure(path, sids, 20, 3)  # warm-up: imports, connection pools, caches
            results[n] = measure(path, sids, samples, vcr_samples)
    rows = list(results[small])
    width = max(len(r) for r in rows)
    print(f"{'':<{width}}  {small:>10}  {big:>10}  {'ratio':>6}")
    for row in rows:
        a, b = results[small][row], results[big][row]
        print(f"{row:<{width}}  {a:>10.1f}  {b:>10.1f}  {b / a:>6.2f}")
    ours = results[big]["ours, client (us)"] / results[small]["ours, client (us)"]
    theirs = results[big]["vcrpy, client (us)"] / results[small]["vcrpy, client (us)"]
    print(
        f"\nper request, {small} -> {big} interactions: ours x{ours:.2f} (flat), "
        f"vcrpy x{theirs:.1f}; at {big}, vcrpy / ours = "
        f"{results[big]['vcrpy, client (us)'] / results[big]['ours, client (us)']:.0f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def rows(quick: bool) -> List[Row]:
    """The ``python -m bench`` rows: flat replay cost, and how far ahead of vcrpy we are."""
    from bench.run import Row

    small, big = (50, 300) if quick else (100, 5000)
    samples, vcr_samples = (20, 3) if quick else (300, 30)
    results: Dict[int, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (small, big):
            path, sids = make_cassette(n, Path(tmp))
            measure(path, sids, 5 if quick else 20, 1 if quick else 3)
            results[n] = measure(path, sids, samples, vcr_samples)
    flat = results[big]["ours, client (us)"] / results[small]["ours, client (us)"]
    ahead = results[big]["vcrpy, client (us)"] / results[big]["ours, client (us)"]
    return [
        Row(
            f"cassette replay per request: {big:,} vs {small} interactions",
            f"{flat:.2f}",
            "<= 1.2",
            flat <= 1.2,
            f"{results[big]['ours, client (us)']:.0f} vs "
            f"{results[small]['ours, client (us)']:.0f} us per request",
        ),
        Row(
            f"vcrpy replay / ours at {big:,} interactions",
            f"{ahead:.0f}x",
            ">= 20x",
            ahead >= 20,
            f"vcrpy {results[big]['vcrpy, client (us)'] / 1000:.1f} ms per request",
        ),
        Row(
            f"cassette load + index, {big:,} interactions",
            f"{results[big]['ours: load + index (ms)']:.0f} ms",
            None,
            True,
            f"vcrpy load {results[big]['vcrpy: load (ms)']:.0f} ms",
        ),
    ]
