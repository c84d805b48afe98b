"""``mock_trunking`` as a context manager and as a decorator (function, async, TestCase)."""

from __future__ import annotations

import asyncio
import inspect
import unittest
from typing import Any, List

import pytest
from requests.adapters import HTTPAdapter
from twilio.rest import Client

import fake_trunking
from fake_trunking import FakeTrunkingService, mock_trunking

ANY_ACCOUNT = "AC" + "a" * 32


def _real_send_restored() -> bool:
    import responses

    return HTTPAdapter.send is responses._real_send


def test_context_manager_yields_a_started_fake_and_keeps_state_after() -> None:
    with mock_trunking(seed=3) as fake:
        assert isinstance(fake, FakeTrunkingService) and fake.active and fake.seed == 3
        sid = fake.client().trunking.v1.trunks.create(friendly_name="x").sid
    assert not fake.active and _real_send_restored()
    assert [t["sid"] for t in fake.trunks()] == [sid]  # still inspectable after the block
    fake.assert_called("POST", "/Trunks", times=1)


def test_start_and_stop() -> None:
    mocked = mock_trunking()
    fake = mocked.start()
    try:
        assert mocked.fake is fake and fake.active
        with pytest.raises(RuntimeError, match="already started"):
            mocked.start()
    finally:
        mocked.stop()
    assert mocked.fake is None and not fake.active and _real_send_restored()


def test_unknown_keywords_are_refused_early() -> None:
    with pytest.raises(TypeError, match=r"unknown keyword\(s\) \['sed'\]"):
        mock_trunking(sed=1)


def test_decorated_function_gets_a_fresh_fake_each_call() -> None:
    seen: List[FakeTrunkingService] = []

    @mock_trunking(seed=9)
    def provision(name: str, fake_trunking: FakeTrunkingService) -> str:
        seen.append(fake_trunking)
        assert fake_trunking.trunks() == []  # fresh each call
        return str(fake_trunking.client().trunking.v1.trunks.create(friendly_name=name).sid)

    first = provision("a")
    second = provision(name="b")
    assert first == second  # same seed, fresh state: same SID
    assert seen[0] is not seen[1]
    for fake in seen:  # stopped and cleared afterwards
        assert not fake.active and fake.trunks() == [] and fake.calls == []
    # the fake parameter is hidden, so pytest would not look for a fixture of that name
    assert list(inspect.signature(provision).parameters) == ["name"]
    assert provision.__name__ == "provision"


def test_decorated_function_without_the_parameter_uses_any_client() -> None:
    @mock_trunking()
    def provision() -> int:
        client = Client(ANY_ACCOUNT, "any token")  # any account, any token by default
        client.trunking.v1.trunks.create(friendly_name="x")
        return len(client.trunking.v1.trunks.list())

    assert provision() == 1
    assert provision() == 1  # fresh state again
    assert _real_send_restored()


def test_decorated_function_stops_the_fake_when_it_raises() -> None:
    seen: List[FakeTrunkingService] = []

    @mock_trunking()
    def broken(fake_trunking: FakeTrunkingService) -> None:
        seen.append(fake_trunking)
        fake_trunking.seed_trunks()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        broken()
    assert not seen[0].active and seen[0].trunks() == [] and _real_send_restored()


def test_decorated_async_function() -> None:
    @mock_trunking(seed=4)
    async def provision(fake_trunking: FakeTrunkingService) -> str:
        await asyncio.sleep(0)
        assert fake_trunking.active
        client = fake_trunking.client()
        return str(client.trunking.v1.trunks.create(friendly_name="async").friendly_name)

    assert inspect.iscoroutinefunction(provision)
    assert asyncio.run(provision()) == "async"
    assert _real_send_restored()


@mock_trunking(seed=5)
class DecoratedTests(unittest.TestCase):
    created: List[str] = []  # noqa: RUF012 - shared on purpose, across the two tests

    def setUp(self) -> None:
        # setUp already runs against this test's fake
        self.client = self.fake_trunking.client()  # type: ignore[attr-defined]
        self.client.trunking.v1.trunks.create(friendly_name="from setUp")

    def test_one(self) -> None:
        trunks = self.client.trunking.v1.trunks.list()
        assert [t.friendly_name for t in trunks] == ["from setUp"]
        self.created.append(trunks[0].sid)

    def test_two(self) -> None:
        self.test_one()


def test_test_case_class_gets_a_fresh_fake_per_method() -> None:
    DecoratedTests.created.clear()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(DecoratedTests)
    result = unittest.TestResult()
    suite.run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 2
    first, second = DecoratedTests.created
    assert first == second  # same seed, fresh state per method
    assert _real_send_restored()


def test_test_case_fake_is_stopped_even_when_set_up_fails() -> None:
    fakes: List[FakeTrunkingService] = []

    @mock_trunking()
    class Broken(unittest.TestCase):
        def setUp(self) -> None:
            fakes.append(self.fake_trunking)  # type: ignore[attr-defined]
            raise RuntimeError("setUp failed")

        def test_never(self) -> None:
            raise AssertionError("not reached")

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Broken).run(result)
    assert len(result.errors) == 1 and "setUp failed" in result.errors[0][1]
    assert not fakes[0].active and _real_send_restored()


def test_plain_class_test_methods_are_decorated() -> None:
    @mock_trunking()
    class Suite:
        def test_a(self, fake_trunking: FakeTrunkingService) -> bool:
            return fake_trunking.active

        def helper(self) -> str:
            return "untouched"

    assert Suite().test_a() is True  # type: ignore[call-arg]
    assert Suite().helper() == "untouched"


def test_mock_trunking_is_exported() -> None:
    assert fake_trunking.mock_trunking is mock_trunking
    assert "mock_trunking" in fake_trunking.__all__


def test_decorating_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="decorates functions and classes"):
        mock_trunking()(42)  # type: ignore[arg-type]


@mock_trunking(seed=8)
def test_works_on_a_pytest_test_function_too(fake_trunking: Any) -> None:
    """Under pytest the decorator, not the plugin fixture, supplies ``fake_trunking``."""
    assert isinstance(fake_trunking, FakeTrunkingService) and fake_trunking.seed == 8
