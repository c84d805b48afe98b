"""Issue 17: the direct transport, the full path, a static stub and the limit, side by side.

For each operation, four sides are measured in alternating blocks in one process, all through a
user-built ``twilio.rest.Client(sid, token)``:

- ``direct``: the fake started with ``transport="direct"`` (twilio's HTTP client answered before
  any HTTP);
- ``http``: the same fake with ``transport="http"`` (``requests`` + the ``responses`` layer);
- ``stub``: a static ``responses`` stub (one registry entry returning the fake's own bytes);
- ``canned``: the twilio client on a canned ``HttpClient`` returning the same bytes, no HTTP and
  no fake: the limit (twilio's own cost of building, parsing and returning the call).

Then the async client both ways, and a 1,000-test downstream pytest suite (each test creates a
trunk and lists) timed whole with the fake vs with a static stub.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .run import BASE, Row, alternate

DIRECT_LIMIT = 0.25  # direct / static stub
HTTP_LIMIT = 1.1  # full path / static stub
COLD_LIMIT = 1.2  # a page rendered right after a write, full path / static stub


class _Side:
    """Start/stop around a block: the fake on one transport, or nothing (stub, canned)."""

    def __init__(self, fake: Any, transport: str) -> None:
        self.fake = fake
        self.transport = transport

    def start(self) -> None:
        # a test's call log is small: one that grew over thousands of bench calls (page bodies
        # included) would bill the fake for memory and garbage collections a test never sees
        self.fake.calls.clear()
        self.fake.transport = self.transport
        self.fake.start()

    def stop(self) -> None:
        self.fake.stop()


class _Intercepted(_Side):
    """The fake on the full path with its ``handle`` replaced by the recorded answer: what the
    interception alone costs (``responses`` callback, the request built for the fake), so the
    full path's rest is the fake's own work."""

    def __init__(self, fake: Any, answer: Any) -> None:
        super().__init__(fake, "http")
        self.answer = answer

    def start(self) -> None:
        answer = self.answer
        self.fake.handle = lambda request: answer
        super().start()

    def stop(self) -> None:
        super().stop()
        del self.fake.handle


class _Nothing:
    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def _headers(call: Any) -> Dict[str, str]:
    """The headers of the fake's answer but ``Content-Type`` (``responses`` sets that one)."""
    return {k: v for k, v in call.response.headers.items() if k.lower() != "content-type"}


def _stub(method: str, url: Any, status: int, body: bytes, headers: Dict[str, str]) -> Any:
    """A static ``responses`` stub of one entry serving the fake's very answer: its status,
    body and headers (the request id and the CORS headers Twilio sends), so that both sides
    give the client the same answer to parse and only the fake's own work differs."""
    import responses

    stub = responses.RequestsMock(assert_all_requests_are_fired=False)
    stub.add(
        method, url, body=body, status=status, content_type="application/json", headers=headers
    )
    return stub


def _canned_client(sid: str, token: str, status: int, body: bytes, headers: Dict[str, str]) -> Any:
    from twilio.http import HttpClient
    from twilio.http.response import Response
    from twilio.rest import Client

    text = body.decode("utf-8")
    answer_headers = {"Content-Type": "application/json", **headers}

    class Canned(HttpClient):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(None, False)

        def request(self, *args: Any, **kwargs: Any) -> Any:
            return Response(status, text, answer_headers)

    return Client(sid, token, http_client=Canned())


def _invalidate(fake: Any) -> None:
    with fake.store.writing():  # a new write generation: the next page renders every item
        pass


def ops(quick: bool) -> List[Row]:
    from twilio.rest import Client

    from fake_trunking import FakeTrunkingService

    n, rounds = (20, 2) if quick else (300, 6)
    fake = FakeTrunkingService(seed=1, max_trunks_per_account=None)
    (keep,) = fake.seed_trunks(count=1, friendly_name="bench")
    fake.seed_trunks(count=60)
    doomed = fake.seed_trunks(count=5 * n * rounds + 1)
    sid, token = fake.default_account_sid, fake.auth_token()
    client = Client(sid, token)  # as a user builds it
    trunks = client.trunking.v1.trunks

    with fake:  # the fake's own answers, so the stub and the canned client serve the same bytes
        fake.calls.clear()
        trunks(keep).fetch()
        trunks.create(friendly_name="x")
        trunks(keep).update(friendly_name="bench")
        trunks.page(page_size=50)
        trunks(doomed.pop()).delete()
        answers = [(c.response.status, c.response.body, _headers(c)) for c in fake.calls]
        kept = [c.response for c in fake.calls]
    responses_of = dict(
        zip(("fetch", "create", "update", "list-page", "delete"), kept)
    )  # the fake's own answers, for the interception-alone side
    responses_of["list-page, cold"] = responses_of["list-page"]

    canned = {
        "fetch": ("GET", f"{BASE}/Trunks/{keep}", answers[0]),
        "create": ("POST", f"{BASE}/Trunks", answers[1]),
        "update": ("POST", f"{BASE}/Trunks/{keep}", answers[2]),
        "list-page": ("GET", f"{BASE}/Trunks", answers[3]),
        "list-page, cold": ("GET", f"{BASE}/Trunks", answers[3]),
        "delete": ("DELETE", re.compile(f"{BASE}/Trunks/TK[0-9a-f]+"), answers[4]),
    }

    def operation(op: str, trunks: Any, pool: List[str]) -> Callable[[int], Any]:
        if op == "fetch":
            return lambda i: trunks(keep).fetch()
        if op == "create":
            return lambda i: trunks.create(friendly_name="x")
        if op == "update":
            return lambda i: trunks(keep).update(friendly_name="bench")
        if op == "list-page":
            return lambda i: trunks.page(page_size=50)
        if op == "list-page, cold":
            return lambda i: (_invalidate(fake), trunks.page(page_size=50))
        return lambda i: trunks(pool.pop()).delete()

    rows: List[Row] = []
    fifth = len(doomed) // 5
    for op, (method, url, (status, body, headers)) in canned.items():
        stub = _stub(method, url, status, body, headers)
        limit = _canned_client(sid, token, status, body, headers).trunking.v1.trunks
        pools = [list(doomed[k * fifth : (k + 1) * fifth]) for k in range(5)]
        sides = {
            "direct": operation(op, trunks, pools[0]),
            "http": operation(op, trunks, pools[1]),
            "stub": operation(op, trunks, pools[2]),
            "canned": operation(op, limit, pools[3]),
            "intercepted": operation(op, trunks, pools[4]),
        }
        around = {
            "direct": _Side(fake, "direct"),
            "http": _Side(fake, "http"),
            "stub": stub,
            "canned": _Nothing(),
            "intercepted": _Intercepted(fake, responses_of[op]),
        }
        t = alternate(sides, n, rounds, around=around)
        us = {k: v * 1e6 for k, v in t.items()}
        note = (
            f"direct {us['direct']:.0f} us, full path {us['http']:.0f} us, "
            f"stub {us['stub']:.0f} us, canned HttpClient {us['canned']:.0f} us; the full "
            f"path with the fake's work replaced by its answer {us['intercepted']:.0f} us "
            f"(the fake's own work in place: {us['http'] - us['intercepted']:.0f} us)"
        )
        cold = op.endswith("cold")
        direct_limit = None if cold else DIRECT_LIMIT
        rows.append(
            _row(f"{op}: direct / static stub", t["direct"] / t["stub"], direct_limit, note)
        )
        rows.append(
            _row(f"{op}: direct / canned HttpClient (the limit)", t["direct"] / t["canned"])
        )
        rows.append(
            _row(
                f"{op}: full path / static stub",
                t["http"] / t["stub"],
                COLD_LIMIT if cold else HTTP_LIMIT,
            )
        )
        rows.append(
            _row(
                f"{op}: full path, the fake's work replaced by its answer / static stub",
                t["intercepted"] / t["stub"],
            )
        )
    # the delete stub matches by pattern (every delete names another trunk): responses matches a
    # pattern cheaper than a URL string, so that row's stub is cheaper than the others'
    status, body, headers = canned["fetch"][2]
    by_pattern = re.compile(f"{BASE}/Trunks/TK[0-9a-f]+")
    stubs = {
        "string": _stub("GET", f"{BASE}/Trunks/{keep}", status, body, headers),
        "pattern": _stub("GET", by_pattern, status, body, headers),
    }
    fetch = operation("fetch", trunks, [])
    t = alternate({k: fetch for k in stubs}, n, rounds, around=stubs)
    rows.append(
        _row(
            "fetch: static stub matching the URL string / one matching a pattern",
            t["string"] / t["pattern"],
            None,
            f"string {t['string'] * 1e6:.0f} us, pattern {t['pattern'] * 1e6:.0f} us",
        )
    )
    fake.transport = "direct"
    return rows


# -- the same four sides for API v2010 (issue 15) ------------------------------------------------
V2010_OPS = (
    "credential list create",
    "credential list fetch",
    "credential list page",
    "available numbers search",
    "incoming number buy",
)


def ops_v2010(quick: bool) -> List[Row]:
    """API v2010's provisioning calls beside Trunking's, measured the same way as ``ops``."""
    from twilio.rest import Client

    from fake_trunking import FakeTrunkingService

    n, rounds = (20, 2) if quick else (300, 6)
    fake = FakeTrunkingService(seed=1)
    sid, token = fake.default_account_sid, fake.auth_token()
    keep = fake.seed_credential_list(friendly_name="bench")
    for k in range(59):
        fake.seed_credential_list(friendly_name=f"list {k}")
    client = Client(sid, token)  # as a user builds it
    root = f"https://api.twilio.com/2010-04-01/Accounts/{sid}"
    # every buy is a different number, for sale (a valid US local number nobody owns)
    numbers = iter(f"+1415{2000000 + k:07d}" for k in range(10**6))

    def operation(op: str, c: Any) -> Callable[[int], Any]:
        lists = c.sip.credential_lists
        if op == "credential list create":
            return lambda i: lists.create(friendly_name="x")
        if op == "credential list fetch":
            return lambda i: lists(keep).fetch()
        if op == "credential list page":
            return lambda i: lists.page(page_size=50)
        if op == "available numbers search":
            local = c.available_phone_numbers("US").local
            return lambda i: local.page(area_code=415, page_size=20)
        return lambda i: c.incoming_phone_numbers.create(phone_number=next(numbers))

    with fake:  # the fake's own answers, so the stub and the canned client serve the same bytes
        fake.calls.clear()
        for op in V2010_OPS:
            operation(op, client)(0)
        answers = [(c.response.status, c.response.body, _headers(c)) for c in fake.calls]
    urls = {
        "credential list create": ("POST", f"{root}/SIP/CredentialLists.json"),
        "credential list fetch": ("GET", f"{root}/SIP/CredentialLists/{keep}.json"),
        "credential list page": ("GET", f"{root}/SIP/CredentialLists.json"),
        "available numbers search": ("GET", f"{root}/AvailablePhoneNumbers/US/Local.json"),
        "incoming number buy": ("POST", f"{root}/IncomingPhoneNumbers.json"),
    }
    targets = {
        "credential list create": (DIRECT_LIMIT, HTTP_LIMIT),
        "credential list fetch": (DIRECT_LIMIT, HTTP_LIMIT),
        "credential list page": (DIRECT_LIMIT, HTTP_LIMIT),
        "available numbers search": (None, None),  # numbers are described as they are found
        "incoming number buy": (DIRECT_LIMIT, HTTP_LIMIT),
    }
    rows: List[Row] = []
    for op, (status, body, headers) in zip(V2010_OPS, answers):
        method, url = urls[op]
        stub = _stub(method, url, status, body, headers)
        canned = _canned_client(sid, token, status, body, headers)
        sides = {
            "direct": operation(op, client),
            "http": operation(op, client),
            "stub": operation(op, client),
            "canned": operation(op, canned),
        }
        around = {
            "direct": _Side(fake, "direct"),
            "http": _Side(fake, "http"),
            "stub": stub,
            "canned": _Nothing(),
        }
        t = alternate(sides, n, rounds, around=around)
        us = {k: v * 1e6 for k, v in t.items()}
        note = (
            f"direct {us['direct']:.0f} us, full path {us['http']:.0f} us, "
            f"stub {us['stub']:.0f} us, canned HttpClient {us['canned']:.0f} us"
        )
        direct_limit, http_limit = targets[op]
        name = f"v2010 {op}"
        rows.append(
            _row(f"{name}: direct / static stub", t["direct"] / t["stub"], direct_limit, note)
        )
        rows.append(
            _row(f"{name}: direct / canned HttpClient (the limit)", t["direct"] / t["canned"])
        )
        rows.append(_row(f"{name}: full path / static stub", t["http"] / t["stub"], http_limit))
    fake.transport = "direct"
    return rows


def _row(name: str, ratio: float, limit: Optional[float] = None, note: str = "") -> Row:
    if limit is None:
        return Row(name, f"{ratio:.2f}", None, True, note)
    return Row(name, f"{ratio:.2f}", f"<= {limit}", ratio <= limit, note)


# -- the async client both ways -------------------------------------------------------------------
def async_rows(quick: bool) -> List[Row]:
    from fake_trunking import FakeTrunkingService

    n, rounds = (20, 2) if quick else (300, 6)
    fake = FakeTrunkingService(seed=2, max_trunks_per_account=None)
    (keep,) = fake.seed_trunks(count=1)
    fake.seed_trunks(count=60)

    async def measure() -> Dict[str, Dict[str, float]]:
        client = fake.async_client()
        trunks = client.trunking.v1.trunks
        calls: Dict[str, Callable[[], Any]] = {
            "fetch": lambda: trunks(keep).fetch_async(),
            "create": lambda: trunks.create_async(friendly_name="x"),
            "list-page": lambda: trunks.page_async(page_size=50),
        }
        out: Dict[str, Dict[str, float]] = {}
        for op, call in calls.items():
            samples: Dict[str, List[float]] = {"direct": [], "http": []}
            for _ in range(rounds):
                for transport in samples:
                    side = _Side(fake, transport)
                    side.start()
                    try:
                        for _ in range(n):
                            started = time.perf_counter()
                            await call()
                            samples[transport].append(time.perf_counter() - started)
                    finally:
                        side.stop()
            out[op] = {k: statistics.median(v) for k, v in samples.items()}
        await client.http_client.close()
        return out

    found = asyncio.run(measure())
    fake.transport = "direct"
    rows = []
    for op, t in found.items():
        note = f"direct {t['direct'] * 1e6:.0f} us, aiohttp path {t['http'] * 1e6:.0f} us"
        rows.append(_row(f"async {op}: direct / full path", t["direct"] / t["http"], None, note))
    return rows


# -- a downstream suite ---------------------------------------------------------------------------
SUITE_FAKE = """
import pytest
from twilio.rest import Client


@pytest.mark.parametrize("i", range({n}))
def test_trunk(fake_trunking, i):
    client = Client(fake_trunking.default_account_sid, fake_trunking.auth_token())
    trunks = client.trunking.v1.trunks
    created = trunks.create(friendly_name=f"t{{i}}")
    assert [t.sid for t in trunks.list()] == [created.sid]
"""

SUITE_STUB = """
import pytest
import responses
from twilio.rest import Client

CREATED = {created!r}
LISTED = {listed!r}
HEADERS = {headers!r}
SID = {sid!r}
BASE = "https://trunking.twilio.com/v1/Trunks"


@pytest.mark.parametrize("i", range({n}))
@responses.activate
def test_trunk(i):
    responses.add(
        "POST", BASE, body=CREATED, status=201, content_type="application/json", headers=HEADERS
    )
    responses.add(
        "GET", BASE, body=LISTED, status=200, content_type="application/json", headers=HEADERS
    )
    client = Client(SID, "token")
    trunks = client.trunking.v1.trunks
    created = trunks.create(friendly_name=f"t{{i}}")
    assert [t.sid for t in trunks.list()] == [created.sid]
"""


def suite_rows(quick: bool) -> List[Row]:
    from fake_trunking import FakeTrunkingService

    n = 20 if quick else 1000
    fake = FakeTrunkingService(seed=3)
    with fake:
        client = fake.client()
        client.trunking.v1.trunks.create(friendly_name="t0")
        client.trunking.v1.trunks.list()
        created, listed = (c.response.body.decode("utf-8") for c in fake.calls)
        headers = _headers(fake.calls[0])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_with_fake.py").write_text(SUITE_FAKE.format(n=n))
        (folder / "test_with_stub.py").write_text(
            SUITE_STUB.format(
                n=n,
                created=created,
                listed=listed,
                headers=headers,
                sid=fake.default_account_sid,
            )
        )
        (folder / "test_empty.py").write_text(
            textwrap.dedent(
                f"""
                import pytest
                @pytest.mark.parametrize("i", range({n}))
                def test_trunk(i):
                    assert i >= 0
                """
            )
        )
        runs = {
            "fake": ("test_with_fake.py", {}),
            "fake-http": ("test_with_fake.py", {"FAKE_TRUNKING_TRANSPORT": "http"}),
            "stub": ("test_with_stub.py", {}),
            "empty": ("test_empty.py", {}),
        }
        best: Dict[str, float] = {k: float("inf") for k in runs}
        for _ in range(1 if quick else 3):
            for key, (name, env) in runs.items():
                elapsed = _pytest_seconds(folder, name, env)
                if elapsed is None:
                    return [Row(f"downstream suite of {n:,} tests", "n/a", None, True, key)]
                best[key] = min(best[key], elapsed)
    per = {k: (v - best["empty"]) / n * 1e3 for k, v in best.items()}
    note = (
        f"whole run: fake {best['fake']:.2f} s, fake on transport=http {best['fake-http']:.2f} s, "
        f"stub {best['stub']:.2f} s, the same tests empty {best['empty']:.2f} s; per test "
        f"(empty run subtracted): fake {per['fake']:.2f} ms, http {per['fake-http']:.2f} ms, "
        f"stub {per['stub']:.2f} ms"
    )
    return [
        _row(
            f"downstream suite of {n:,} tests: fake / static stub",
            best["fake"] / best["stub"],
            None,
            note,
        ),
        _row(
            f"downstream suite of {n:,} tests: fake on transport=http / static stub",
            best["fake-http"] / best["stub"],
        ),
    ]


def _pytest_seconds(folder: Path, name: str, env: Dict[str, str]) -> Optional[float]:
    import os

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if done.returncode != 0:
        print(done.stdout[-2000:], file=sys.stderr)
        return None
    return time.perf_counter() - started


def rows(quick: bool) -> List[Row]:
    return ops(quick) + ops_v2010(quick) + async_rows(quick) + suite_rows(quick)
