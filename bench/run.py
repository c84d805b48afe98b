"""The measurements behind ``python -m bench``. Each section returns ``Row``s.

Method: timings are per call (``perf_counter``), medians over many calls, and the two sides of a
ratio are measured in alternating blocks in the same process, so drift on a shared machine hits
both sides alike.
"""

from __future__ import annotations

import gc
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Set

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://trunking.twilio.com/v1"


@dataclass
class Row:
    name: str
    value: str
    target: Optional[str] = None
    met: bool = True
    note: str = ""


def _ratio_row(name: str, ratio: float, limit: float, note: str = "") -> Row:
    return Row(name, f"{ratio:.2f}", f"<= {limit}", ratio <= limit, note)


def _median_per_call(fn: Callable[[int], Any], n: int, offset: int = 0) -> List[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        fn(offset + i)
        times.append(time.perf_counter() - started)
    return times


def alternate(
    sides: Dict[str, Callable[[int], Any]],
    n: int,
    rounds: int,
    around: Optional[Dict[str, Any]] = None,
) -> Dict[str, float]:
    """Median seconds per call of each side, measured in ``rounds`` alternating blocks of ``n``."""
    samples: Dict[str, List[float]] = {k: [] for k in sides}
    for r in range(rounds):
        for key, fn in sides.items():
            ctx = (around or {}).get(key)
            if ctx is not None:
                ctx.start()
            try:
                samples[key] += _median_per_call(fn, n, offset=r * n)
            finally:
                if ctx is not None:
                    ctx.stop()
    return {k: statistics.median(v) for k, v in samples.items()}


# -- 1. per operation: direct, full path, static stub, canned HttpClient: see bench/transport.py


# -- 2. flat as the account grows --------------------------------------------------------
def section_scale(quick: bool) -> List[Row]:
    import random

    from fake_trunking import FakeTrunkingService

    big_n = 5_000 if quick else 100_000
    n, rounds = (20, 2) if quick else (300, 6)
    small = FakeTrunkingService(seed=2, max_trunks_per_account=None)
    small_sids = small.seed_trunks(count=10)
    big = FakeTrunkingService(seed=3, max_trunks_per_account=None)
    started = time.perf_counter()
    big_sids = big.seed_trunks(count=big_n)
    seed_time = time.perf_counter() - started
    rng = random.Random(0)
    sc = small.client().trunking.v1.trunks
    bc = big.client().trunking.v1.trunks
    t = alternate(
        {
            "small": lambda i: sc(rng.choice(small_sids)).fetch(),
            "big": lambda i: bc(rng.choice(big_sids)).fetch(),
        },
        n,
        rounds,
        around={"small": small, "big": big},
    )
    rows = [
        Row(f"seed_trunks({big_n:,})", f"{seed_time:.2f} s", None, True, "Faker names and domains"),
        _ratio_row(
            f"fetch: {big_n:,} vs 10 trunks",
            t["big"] / t["small"],
            1.1,
            f"{t['big'] * 1e6:.0f} vs {t['small'] * 1e6:.0f} us",
        ),
    ]
    # a 50-item page at the start vs at 90% through its PageToken
    anchor = big_sids[int(big_n * 0.9)]
    t = alternate(
        {
            "start": lambda i: bc.page(page_size=50),
            "deep": lambda i: bc.page(page_size=50, page_token=f"PA{anchor}", page_number=1),
        },
        n,
        rounds,
        around={"start": big, "deep": big},
    )
    rows.append(
        _ratio_row(
            f"page of 50: at 90% of {big_n:,} vs first",
            t["deep"] / t["start"],
            1.2,
            f"{t['deep'] * 1e6:.0f} vs {t['start'] * 1e6:.0f} us",
        )
    )
    # walking everything with list(page_size=1000): time per item, 10% vs 100% of the account.
    # Both sides serve the same number of items per round (ten walks of the small account, one
    # of the big one), so the interpreter's own periodic costs (garbage collections triggered by
    # the client's allocations) fall on both alike; the best of five rounds counts.
    tenth = FakeTrunkingService(seed=4, max_trunks_per_account=None)
    tenth.seed_trunks(count=big_n // 10)
    per_item = {}
    for label, service, count, walks in (
        ("small", tenth, big_n // 10, 10),
        ("big", big, big_n, 1),
    ):
        with service:
            walk = service.client().trunking.v1.trunks
            best = float("inf")
            for _ in range(1 if quick else 5):
                elapsed = 0.0
                for _ in range(walks):
                    # a write first: every walk starts with the render cache cold (a walk after
                    # changes, as in a test), so both sizes pay rendering for every item
                    service.seed_credential_list()
                    started = time.perf_counter()
                    seen = sum(1 for _ in walk.stream(page_size=1000))
                    elapsed += time.perf_counter() - started
                    assert seen == count
                best = min(best, elapsed / (count * walks))
            per_item[label] = best
    rows.append(
        _ratio_row(
            f"walk all, per item: {big_n:,} vs {big_n // 10:,}",
            per_item["big"] / per_item["small"],
            1.2,
            f"{per_item['big'] * 1e6:.1f} vs {per_item['small'] * 1e6:.1f} us per trunk",
        )
    )
    return rows


# -- 3. memory per stored trunk ------------------------------------------------------------
def section_memory(quick: bool) -> List[Row]:
    from fake_trunking import FakeTrunkingService

    count = 5_000 if quick else 100_000
    fake = FakeTrunkingService(seed=5, max_trunks_per_account=None)
    fake.seed_trunks(count=1)  # Faker and the account exist before measuring
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fake.seed_trunks(count=count)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per = (after - before) / count
    return [
        Row(
            f"memory per trunk at {count:,}",
            f"{per:.0f} B",
            "<= 2048 B",
            per <= 2048,
            "tracemalloc, Faker-made names and domains",
        )
    ]


# -- 4. fixture and import cost --------------------------------------------------------------
def _subprocess_seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def section_fixture(quick: bool) -> List[Row]:
    from fake_trunking import FakeTrunkingService

    n = 50 if quick else 500
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        with FakeTrunkingService():
            pass
        samples.append(time.perf_counter() - started)
    start_stop = statistics.median(samples)
    repeat = 3 if quick else 9
    empty = _subprocess_seconds("pass", repeat)
    imported = _subprocess_seconds("import fake_trunking", repeat)
    check = _subprocess_seconds(
        "import sys, fake_trunking; bad = [m for m in ('twilio', 'vcr', 'yaml', 'aiohttp', 'faker')"
        " if m in sys.modules]; assert not bad, bad",
        1,
    )
    del check
    rows = [
        Row(
            "FakeTrunkingService() start + stop",
            f"{start_stop * 1e3:.2f} ms",
            "<= 2 ms",
            start_stop <= 0.002,
        ),
        Row(
            "import fake_trunking (no twilio)",
            f"{(imported - empty) * 1e3:.0f} ms",
            "<= 150 ms",
            imported - empty <= 0.150,
            "interpreter start subtracted",
        ),
    ]
    rows.append(_pytest_fixture_row(quick))
    return rows


def _pytest_fixture_row(quick: bool) -> Row:
    """Per-test cost of the ``fake_trunking`` pytest fixture: N tests with it vs N without."""
    try:
        import fake_trunking.pytest_plugin  # noqa: F401
    except ImportError:
        return Row("pytest fixture per test", "n/a", "<= 2 ms", False, "no pytest plugin yet")
    n = 50 if quick else 400
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_with.py").write_text(
            textwrap.dedent(
                f"""
                import pytest
                @pytest.mark.parametrize("i", range({n}))
                def test_x(fake_trunking, i):
                    assert fake_trunking.default_account_sid
                """
            )
        )
        (folder / "test_without.py").write_text(
            textwrap.dedent(
                f"""
                import pytest
                @pytest.mark.parametrize("i", range({n}))
                def test_x(i):
                    assert i >= 0
                """
            )
        )
        durations = {}
        for name in ("test_with.py", "test_without.py"):
            best = float("inf")
            for _ in range(1 if quick else 3):
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
                    cwd=folder,
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    tail = done.stdout.strip().splitlines()[-1:] or ["?"]
                    return Row("pytest fixture per test", "n/a", "<= 2 ms", False, tail[0])
                best = min(best, time.perf_counter() - started)
            durations[name] = best
    per = (durations["test_with.py"] - durations["test_without.py"]) / n
    return Row("pytest fixture per test", f"{per * 1e3:.2f} ms", "<= 2 ms", per <= 0.002)


def section_ops(quick: bool) -> List[Row]:
    from .transport import ops

    return ops(quick)


def section_ops_v2010(quick: bool) -> List[Row]:
    from .transport import ops_v2010

    return ops_v2010(quick)


def section_async(quick: bool) -> List[Row]:
    from .transport import async_rows

    return async_rows(quick)


def section_suite(quick: bool) -> List[Row]:
    from .transport import suite_rows

    return suite_rows(quick)


SECTIONS: Dict[str, Callable[[bool], List[Row]]] = {
    "ops": section_ops,
    "ops-v2010": section_ops_v2010,
    "async": section_async,
    "suite": section_suite,
    "scale": section_scale,
    "memory": section_memory,
    "fixture": section_fixture,
}


def _optional_sections() -> Dict[str, Callable[[bool], List[Row]]]:
    """Sections that live beside this file and load only when their features exist."""
    found: Dict[str, Callable[[bool], List[Row]]] = {}
    for name, module in (
        ("cassette", "bench.cassette_replay"),
        ("server", "bench.server_mode"),
        ("durable", "bench.durable_state"),
    ):
        try:
            mod = __import__(module, fromlist=["rows"])
        except ImportError:
            continue
        rows_fn = getattr(mod, "rows", None)
        if rows_fn is not None:
            found[name] = rows_fn
    return found


def run_all(quick: bool, only: Set[str]) -> List[Row]:
    rows: List[Row] = []
    sections = dict(SECTIONS)
    sections.update(_optional_sections())
    for name, fn in sections.items():
        if only and name not in only:
            continue
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        rows += fn(quick)
    return rows


def _versions(names: Iterable[str]) -> str:
    out = []
    for name in names:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def render_markdown(rows: List[Row]) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Regenerate with `python3 tasks.py bench` (`python -m bench` in the venv).",
        "Ratios are what count: both sides are measured in alternating blocks in one process.",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"{_cpu_count()} cores",
        f"- Python {platform.python_version()}",
        f"- load average (1, 5, 15 min) when written: {_load()} (a shared machine: ratios are "
        "measured side by side, but a loaded machine inflates the fake's share)",
        f"- JSON encoder: {_json_encoder()}",
        "- packages: "
        + _versions(
            ["fake-trunking", "twilio", "responses", "requests", "Faker", "vcrpy", "orjson"]
        ),
        "",
        "| measurement | value | target | met | note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        met = "" if r.target is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.name} | {r.value} | {r.target or ''} | {met} | {r.note} |")
    lines += ["", NOTES]
    missed = [r.name for r in rows if r.target is not None and not r.met]
    if missed:
        lines += ["", "Targets missed in this run: " + "; ".join(missed) + "."]
    lines.append("")
    return "\n".join(lines)


NOTES = """## Where the time goes, and what was done about it

- **Three ways to the same answer** (issue 17; rows `direct`, `full path`, `canned HttpClient`).
  All go through a user-built `Client(sid, token)`. `direct` is the default transport: twilio's
  `TwilioHttpClient.request` is answered by the fake before any HTTP (docs/transport.md).
  `full path` is `transport="http"`: `requests`, urllib3's `Retry` set-up and the `responses`
  layer, as every plain `requests` call. `static stub` is a `responses` mock of one entry
  serving the fake's own bytes; `canned HttpClient` is twilio on an `HttpClient` that returns
  those bytes with no fake at all: the limit, twilio's own cost of a call.
- **API v2010 beside Trunking** (issue 15; rows `v2010 ...`, their own run, load average in the
  first row's note). The same four sides through the same `Client(sid, token)` on
  `api.twilio.com`: create, fetch, a page of 50 and a buy cost what Trunking's create, fetch,
  page and create cost, at the same ratios (Trunking's ops re-run in the same minutes: direct /
  stub 0.25-0.55, full path / stub 1.14-1.30). Before this run the direct transport took the full
  path for every v2010 call (it matched Trunking hosts only; fixed: `core.hosts.is_served_url`).
  The one outlier is the AvailablePhoneNumbers search: each number is drawn and described as it
  is found. Profiled (cProfile, issue 15 part 2), a number cost about 7 us of the fake's work
  beside its JSON, 4.5 of them seeding a Mersenne Twister per number; now a number's fields come
  from one BLAKE2b hash, each block's fixed fields (place, odds, address weights) are worked out
  once at import, and the digits are drawn without `randrange`'s call chain (the same stream:
  a seed offers the same numbers). The handler alone for a page of 20: 350 -> 160 us; this row:
  direct 452 -> 252 us (0.68 of the stub, which serves the same 20 numbers' bytes); no target is
  set for it.
- **What is left above the limit on the direct transport** (a fetch, profiled with cProfile
  and timed piece by piece, in us on this machine): twilio's own work, the whole `canned` call
  (building the call, `json.loads`, two `strptime` for the dates, the instance), about 20-35;
  the fake's `handle` about 25, of which the handler (auth, routing, one lookup, render, JSON)
  is about 14 and the rest the call log (`Call`, and `call_size`, which sums `sys.getsizeof`
  over every header of both sides for `calls_max_bytes`, even when unbounded) and the fault
  check; building the request exactly as `requests` would (session headers merged with twilio's,
  form body, `Content-Length`, Basic auth, the URL requoted) about 8; the checks that this call
  may go direct (client class, session adapters and retries, proxies, hooks, other mocks, fault
  kinds) about 6; the `CaseInsensitiveDict` of response headers and the text decode twilio's
  `last_response` holds, about 6. Hence about 4x to 5x the canned client for a fetch, and about
  0.22x to 0.28x the static stub, which spends ~250 us more in `requests` and `responses`.
  A page is bound by twilio itself (50 instances parsed: the canned client is already 0.25x
  the stub there), so `list-page: direct / static stub` stays near 0.4 however fast the fake is.
  A delete has no body to parse, so the fake's fixed cost shows most against the canned client.
- **The full path vs the stub** is what it was: the old code (5501d19) rerun side by side on
  the same loaded machine gave fetch 1.11, create 1.21, update 1.18, list-page 1.22, delete
  1.20 (and the cold page 1.98). Under a load average near 6 on 2 cores the fake's own ~30-60 us
  weigh more than on a quiet machine, where the same rows measured 1.01 to 1.10.
- **Cold pages.** A page rendered right after a write spent about 60% of its time in the JSON
  encoder (cProfile), the rest in rendering. With orjson installed (the `fast` extra) a cold
  50-trunk page is handled in about 125 us instead of about 360 us (handler alone); without it
  the standard library's public `json.JSONEncoder` encodes (the private
  `json.encoder.c_make_encoder` hook is gone). What remains per item is the render (a dict of
  18 fields, the links, the auth types: about 1.5 us) and orjson (about 0.6 us): about 100 us
  for 50 items, on top of a ~450 us page through the full path, so the cold page stays above
  1.2x the stub there; on the direct transport it costs about 0.7x the stub. Each rendered item
  is still cached as JSON text until the next write (`Store.generation`; the generation is now
  checked once per page), so repeated reads between writes serve pre-encoded items.
  `tests/test_render_cache.py` proves every kind of write shows in the next page.
- **The downstream suite** (1,000 generated tests, each a `Client`, a create and a list, run
  whole by pytest in a subprocess): the fake on the direct transport is cheaper than a static
  `responses` stub, which pays `requests` on every call and `@responses.activate` per test.
- **Flat as the account grows.** Records hold only plain values, so the garbage collector does
  not track them (a full collection at 100,000 trunks: 8 ms). The fetch row compares a 100,000-
  and a 10-trunk account through the direct transport: the fixed cost of a call is a quarter of
  what it was through `requests`, so the same few us of a bigger dict now weigh about 4x more in
  the ratio. Each walk starts after a write (cold cache).
- **Memory** is measured with `tracemalloc` around `seed_trunks`, Faker-made names included.
- **Cassettes**: replay looks requests up in an index (O(1)); vcrpy scans the cassette for every
  request. See `bench/cassette_replay.py` for the matcher alone.
- **Server mode** numbers are for `requests` keep-alive sessions on loopback; they are
  information (no target).
- **Proxy mode** (`serve --proxy`) is measured beside plain server mode in the same run: inside a
  kept-alive TLS tunnel a request costs about 1.2x a plain one (the encryption); a new connection
  costs about 2.5x (CONNECT, then a TLS handshake: clients keep the tunnel open, so they pay it
  once). Information, no target.
"""


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _load() -> str:
    import os

    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def _json_encoder() -> str:
    from fake_trunking.core import jsontext

    return jsontext.JSON_ENCODER
