"""Decorator habits (issue 13, point 9): bare ``@mock_trunking`` is ``@mock_trunking()``, on
functions, async functions and classes; a test using the decorator and the ``fake_trunking``
fixture is a clear error at setup (pytester), while the decorator's own ``fake_trunking`` argument
is one fake."""

from __future__ import annotations

import asyncio
import io
import unittest
from typing import Any, List

import pytest

from fake_trunking import FakeTrunkingService, mock_trunking
from fake_trunking.mock import is_decorated

from .intercept_helpers import unpatched

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


def test_bare_decorator_on_a_function() -> None:
    seen: List[FakeTrunkingService] = []

    @mock_trunking
    def with_fake(fake_trunking: FakeTrunkingService) -> str:
        assert fake_trunking.active
        seen.append(fake_trunking)
        sid: str = fake_trunking.client().trunking.v1.trunks.create().sid
        return sid

    @mock_trunking
    def without_fake() -> int:
        from twilio.rest import Client

        return len(Client("AC" + "a" * 32, "t").trunking.v1.trunks.list())

    assert with_fake().startswith("TK") and without_fake() == 0
    assert is_decorated(with_fake) and with_fake.__name__ == "with_fake"
    assert not seen[0].active and unpatched()


def test_bare_decorator_on_an_async_function() -> None:
    @mock_trunking
    async def check(fake_trunking: FakeTrunkingService) -> int:
        client = fake_trunking.async_client()
        try:
            await client.trunking.v1.trunks.create_async(friendly_name="async")
            return len(await client.trunking.v1.trunks.list_async())
        finally:
            await client.http_client.close()

    assert asyncio.run(check()) == 1 and unpatched()


def test_bare_decorator_on_classes() -> None:
    @mock_trunking
    class Plain:
        def test_one(self, fake_trunking: FakeTrunkingService) -> bool:
            return fake_trunking.active

    @mock_trunking
    class Case(unittest.TestCase):
        def test_one(self) -> None:
            self.assertTrue(self.fake_trunking.active)  # type: ignore[attr-defined]

    assert Plain().test_one() is True
    result = unittest.TextTestRunner(stream=io.StringIO()).run(Case("test_one"))
    assert result.wasSuccessful() and is_decorated(Case) and unpatched()


@pytest.mark.parametrize(
    "call",
    [lambda: mock_trunking(3), lambda: mock_trunking(print, seed=1), lambda: mock_trunking("x")],
)
def test_positional_arguments_other_than_the_target_are_refused(call: Any) -> None:
    with pytest.raises(TypeError, match="mock_trunking takes keywords only"):
        call()


def test_the_decorator_and_the_fixture_in_one_test_is_a_clear_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_inner="""
from fake_trunking import mock_trunking


@mock_trunking
def test_both(trunking_client):
    pass


@mock_trunking(seed=1)
def test_decorator_fake_is_the_argument(fake_trunking):
    fake_trunking.client().trunking.v1.trunks.create()
    assert len(fake_trunking.calls) == 1 and fake_trunking.seed == 1


@mock_trunking
class TestGrouped:
    def test_method_with_the_fixture(self, fake_trunking_config, trunking_client):
        pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rE")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_inner.py::test_both: @mock_trunking and the fake_trunking fixture*",
            "*test_inner.py::TestGrouped::test_method_with_the_fixture: @mock_trunking*",
        ]
    )
