"""The async client in downstream suites (issue 9): the ``trunking_async_client`` fixture under
pytest-asyncio (strict and auto mode) and anyio, and ``mock_trunking`` on ``async def`` functions
and ``IsolatedAsyncioTestCase`` classes."""

from __future__ import annotations

import asyncio
import io
import unittest
from typing import Any, Tuple

import anyio
import pytest

# imported before pytester's in-process runs snapshot sys.modules, so that those runs do not
# leave a second generation of aiohttp/yarl behind for the tests after them
from fake_trunking import FakeTrunkingService, mock_trunking

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
filterwarnings =
    error::ResourceWarning
    ignore:BasicAuth is deprecated:DeprecationWarning
"""

DOWNSTREAM = """
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"  # aiohttp runs on asyncio only


@pytest.mark.asyncio
async def test_asyncio_style(trunking_async_client, trunking_client, fake_trunking):
    trunk = await trunking_async_client.trunking.v1.trunks.create_async(friendly_name="a")
    assert trunking_client.trunking.v1.trunks(trunk.sid).fetch().friendly_name == "a"
    assert trunking_async_client.username == fake_trunking.default_account_sid
    assert trunking_async_client.http_client.is_async
    assert [c.method for c in fake_trunking.calls] == ["POST", "GET"]


@pytest.mark.anyio
async def test_anyio_style(trunking_async_client, fake_trunking):
    trunks = trunking_async_client.trunking.v1.trunks
    trunk = await trunks.create_async(friendly_name="b")
    assert [t.sid for t in await trunks.list_async()] == [trunk.sid]


@pytest.mark.anyio
async def test_each_test_has_a_fresh_fake(trunking_async_client):
    assert await trunking_async_client.trunking.v1.trunks.list_async() == []


@pytest.mark.fake_trunking(seed=7)
@pytest.mark.asyncio
async def test_marker_keywords(trunking_async_client, fake_trunking):
    assert fake_trunking.seed == 7
    await trunking_async_client.trunking.v1.trunks.create_async()


@pytest.mark.asyncio
async def test_closing_it_yourself_is_fine(trunking_async_client):
    await trunking_async_client.trunking.v1.trunks.list_async()
    await trunking_async_client.http_client.close()
    await trunking_async_client.trunking.v1.trunks.list_async()  # opens a new session


@pytest.mark.asyncio
async def test_failure_shows_the_calls(trunking_async_client):
    await trunking_async_client.trunking.v1.trunks.create_async(friendly_name="seen")
    assert False, "on purpose"
"""


def test_fixture_with_pytest_asyncio_and_anyio(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*fake-trunking calls*", "*POST*/v1/Trunks*201*"])
    assert "Unclosed" not in result.stdout.str() + result.stderr.str()


def test_fixture_in_pytest_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "asyncio_mode = auto\n")
    pytester.makepyfile(
        test_auto="""
async def test_unmarked(trunking_async_client, fake_trunking):
    trunk = await trunking_async_client.trunking.v1.trunks.create_async()
    fetched = await trunking_async_client.trunking.v1.trunks(trunk.sid).fetch_async()
    assert fetched.sid == trunk.sid and len(fake_trunking.calls) == 2
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@mock_trunking(seed=3)
async def _decorated(fake_trunking: FakeTrunkingService) -> Tuple[str, FakeTrunkingService]:
    client = fake_trunking.async_client()
    try:
        trunk = await client.trunking.v1.trunks.create_async(friendly_name="decorated")
        assert fake_trunking.active
        return trunk.sid, fake_trunking
    finally:
        await client.http_client.close()


def test_mock_trunking_wraps_async_def() -> None:
    sid, fake = asyncio.run(_decorated())
    assert sid.startswith("TK")
    assert not fake.active and fake.calls == []  # stopped and cleared after the call
    again, _ = anyio.run(_decorated)  # a fresh fake per call: the same seeded SID
    assert again == sid


def test_mock_trunking_on_an_isolated_asyncio_test_case() -> None:
    seen: list[Any] = []

    @mock_trunking(seed=1)
    class AsyncTrunkTests(unittest.IsolatedAsyncioTestCase):
        fake_trunking: FakeTrunkingService

        async def test_create(self) -> None:
            client = self.fake_trunking.async_client()
            try:
                trunk = await client.trunking.v1.trunks.create_async(friendly_name="tc")
                fetched = await client.trunking.v1.trunks(trunk.sid).fetch_async()
            finally:
                await client.http_client.close()
            self.assertEqual(fetched.friendly_name, "tc")
            seen.append(self.fake_trunking)

        async def test_fresh(self) -> None:
            client = self.fake_trunking.async_client()
            try:
                self.assertEqual(await client.trunking.v1.trunks.list_async(), [])
            finally:
                await client.http_client.close()
            seen.append(self.fake_trunking)

    suite = unittest.defaultTestLoader.loadTestsFromTestCase(AsyncTrunkTests)
    outcome = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
    assert outcome.wasSuccessful(), outcome.failures + outcome.errors
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert not any(f.active for f in seen)


def test_fixture_replays_a_cassette(pytester: pytest.Pytester) -> None:
    with FakeTrunkingService(seed=11) as fake:  # the cassette: made offline by the fake
        trunks = fake.client().trunking.v1.trunks
        sid = trunks.create(friendly_name="replayed").sid
        trunks(sid).fetch()
        fake.save_cassette(pytester.path / "cassettes" / "test_replay" / "test_it.yaml")
    pytester.makeini(INI)
    pytester.makepyfile(
        test_replay=f"""
import pytest


@pytest.mark.asyncio
async def test_it(trunking_async_client, fake_trunking):
    assert fake_trunking.mode == "replay"
    trunks = trunking_async_client.trunking.v1.trunks
    trunk = await trunks.create_async(friendly_name="replayed")
    assert trunk.sid == "{sid}"
    assert (await trunks(trunk.sid).fetch_async()).friendly_name == "replayed"
    assert len(fake_trunking.calls) == 2
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--trunking-mode=replay")
    result.assert_outcomes(passed=1)


def test_one_lazy_client_across_event_loops_leaves_no_session_open(
    fake: FakeTrunkingService,
) -> None:
    import gc
    import warnings

    client = fake.async_client()

    async def create() -> str:
        sid: str = (await client.trunking.v1.trunks.create_async()).sid
        return sid

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = asyncio.run(create())  # the session opened in this loop ...
        second = anyio.run(create)  # ... is closed when the next loop needs its own
        client.http_client.close_sync()
        client.http_client.close_sync()  # idempotent
        gc.collect()
    assert [t.sid for t in fake.client().trunking.v1.trunks.list()] == [first, second]
    assert not [w for w in caught if "Unclosed" in str(w.message)]
