"""The pytest plugin, run as real downstream suites through ``pytester``.

The downstream suites have no conftest that mentions fake-trunking: the plugin is loaded by its
``pytest11`` entry point, as after ``pip install fake-trunking``.
"""

from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from fake_trunking import FakeTrunkingService

pytest_plugins = ["pytester"]

# Plugins of the environment that these downstream suites do not use: blocking them keeps each
# in-process run fast (pytester drops the modules a run imports, so each run would import them
# again). The plugin under test is still loaded by its entry point.
UNUSED_PLUGINS = ("hypothesispytest", "faker", "anyio", "asyncio", "randomly")


@pytest.fixture(scope="module", autouse=True)
def _warm_imports() -> None:
    """Import what a started fake needs before pytester snapshots ``sys.modules``."""
    import requests_mock  # noqa: F401
    import twilio.rest  # noqa: F401

    with FakeTrunkingService() as fake:
        fake.client().trunking.v1.trunks.list()


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    blocked = [arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]
    return pytester.runpytest(*blocked, "-p", "no:cacheprovider", *args)


def _first_trunk_sid(seed: int) -> str:
    with FakeTrunkingService(seed=seed) as fake:
        return str(fake.client().trunking.v1.trunks.create(friendly_name="x").sid)


def test_autoload_fixtures_and_isolation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_downstream="""
        from twilio.rest import Client

        from fake_trunking import FakeTrunkingService

        def test_create(trunking_client, fake_trunking):
            assert isinstance(fake_trunking, FakeTrunkingService) and fake_trunking.active
            assert isinstance(trunking_client, Client)
            assert trunking_client.username == fake_trunking.default_account_sid
            trunking_client.trunking.v1.trunks.create(friendly_name="one")
            assert [t["friendly_name"] for t in fake_trunking.trunks()] == ["one"]

        def test_isolated_from_the_previous_test(trunking_client, fake_trunking):
            assert trunking_client.trunking.v1.trunks.list() == []
            fake_trunking.assert_called("GET", "/Trunks", times=1)
            assert len(fake_trunking.calls) == 1

        def test_create_again(trunking_client):
            trunking_client.trunking.v1.trunks.create(friendly_name="two")
            assert len(trunking_client.trunking.v1.trunks.list()) == 1
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3)


def test_fixtures_are_listed_with_a_description(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--fixtures")
    result.stdout.fnmatch_lines(
        [
            "*fixtures defined from fake_trunking.pytest_plugin*",
            "fake_trunking_config [[]session scope[]] -- *",
            "    Project-wide FakeTrunkingService keywords*",
            "fake_trunking -- *",
            "    A started FakeTrunkingService, fresh per test*",
            "trunking_client -- *",
            "    A twilio.rest.Client bound to the fake_trunking fixture*",
        ]
    )
    markers = run(pytester, "--markers")
    markers.stdout.fnmatch_lines(
        ["@pytest.mark.fake_trunking(**kwargs):*", "@pytest.mark.trunking_cassette(path):*"]
    )
    options = run(pytester, "--help")
    options.stdout.fnmatch_lines(
        ["*--trunking-mode={fake,replay,record,live,once}*", "*--trunking-cassette-dir=DIR*"]
    )


def test_defaults_precedence_ini_fixture_marks(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        fake_trunking_defaults =
            seed = 11
            max_trunks_per_account = 3
        """
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def fake_trunking_config():
            return {"seed": 22}
        """
    )
    pytester.makepyfile(
        test_ini_and_conftest="""
        def test_conftest_wins_over_ini(fake_trunking):
            assert fake_trunking.seed == 22
            assert fake_trunking.store.max_trunks_per_account == 3  # from the ini
        """,
        test_module_override="""
        import pytest

        @pytest.fixture
        def fake_trunking_config():
            return {"seed": 33, "max_trunks_per_account": None}

        def test_module_fixture_wins(fake_trunking):
            assert fake_trunking.seed == 33
            assert fake_trunking.store.max_trunks_per_account is None
        """,
        test_marks="""
        import pytest

        pytestmark = pytest.mark.fake_trunking(seed=44)

        def test_module_mark(fake_trunking):
            assert fake_trunking.seed == 44
            assert fake_trunking.store.max_trunks_per_account == 3

        @pytest.mark.fake_trunking(seed=55, credentials={"AC" + "1" * 32: "secret"})
        class TestClassMark:
            def test_class_mark(self, fake_trunking):
                assert fake_trunking.seed == 55
                assert fake_trunking.default_account_sid == "AC" + "1" * 32

            @pytest.mark.fake_trunking(seed=66)
            def test_function_mark_is_closest(self, fake_trunking, trunking_client):
                assert fake_trunking.seed == 66
                assert fake_trunking.credentials == {"AC" + "1" * 32: "secret"}
                assert trunking_client.password == "secret"
                trunking_client.trunking.v1.trunks.list()
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=5)


def test_bad_configuration_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.fake_trunking(sed=1)
        def test_typo(fake_trunking):
            pass

        @pytest.mark.fake_trunking(1)
        def test_positional(fake_trunking):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.fake_trunking on test_typo: unknown keyword(s) [[]'sed'[]] "
            "(did you mean 'seed'?); expected some of [[]'seed', *",
            "@pytest.mark.fake_trunking on test_positional takes keywords only, got (1,)",
        ]
    )
    pytester.makeini("[pytest]\nfake_trunking_defaults = sede = 1\n")
    usage = run(pytester)
    assert usage.ret == pytest.ExitCode.USAGE_ERROR
    usage.stderr.fnmatch_lines(
        ["*ini option fake_trunking_defaults: unknown keyword(s) [[]'sede'[]] (did you*"]
    )
    pytester.makeini("[pytest]\nfake_trunking_defaults = seed\n")
    usage = run(pytester)
    assert usage.ret == pytest.ExitCode.USAGE_ERROR
    usage.stderr.fnmatch_lines(["*fake_trunking_defaults: expected 'key = value', got 'seed'*"])


def test_seed_reproducibility(pytester: pytest.Pytester) -> None:
    expected = _first_trunk_sid(7)
    pytester.makepyfile(
        test_seeded=f"""
        import pytest

        @pytest.mark.fake_trunking(seed=7)
        @pytest.mark.parametrize("run", range(3))
        def test_same_sid_every_time(trunking_client, run):
            created = trunking_client.trunking.v1.trunks.create(friendly_name="x")
            assert created.sid == {expected!r}

        def test_unseeded_differs(trunking_client):
            created = trunking_client.trunking.v1.trunks.create(friendly_name="x")
            assert created.sid != {expected!r}
        """
    )
    run(pytester).assert_outcomes(passed=4)


def test_failure_teardown_stops_and_clears_and_reports_calls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_failing="""
        import responses
        from requests.adapters import HTTPAdapter

        SEEN = []

        def test_fails(fake_trunking, trunking_client):
            SEEN.append(fake_trunking)
            trunking_client.trunking.v1.trunks.create(friendly_name="doomed")
            assert False, "the test fails"

        def test_after_the_failure():
            fake = SEEN[0]
            assert not fake.active
            assert fake.calls == [] and fake.trunks() == []
            assert HTTPAdapter.send is responses._real_send
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*- fake-trunking calls -*", "  1. POST /v1/Trunks -> 201", "*the test fails*"]
    )


def test_faults_through_the_twilio_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_faulty="""
        import pytest
        import requests
        from twilio.base.exceptions import TwilioRestException
        from twilio.http.http_client import TwilioHttpClient

        def test_rate_limited(fake_trunking, trunking_client):
            sid = fake_trunking.seed_trunks()[0]
            fake_trunking.inject_fault(429, retry_after=30, method="GET", path=r"/Trunks/TK\\w+")
            with pytest.raises(TwilioRestException) as info:
                trunking_client.trunking.v1.trunks(sid).fetch()
            assert (info.value.status, info.value.code) == (429, 20429)
            assert fake_trunking.calls[-1].response.headers["Retry-After"] == "30"

        def test_retried_until_it_works(fake_trunking):
            client = fake_trunking.client(http_client=TwilioHttpClient(max_retries=3))
            sid = fake_trunking.seed_trunks()[0]
            fake_trunking.inject_fault(503, retry_after=0, times=2)
            fake_trunking.inject_fault(exception=requests.exceptions.ConnectionError, times=1)
            assert client.trunking.v1.trunks(sid).fetch().sid == sid
            assert [c.status for c in fake_trunking.calls] == [503, 503, 0, 200]

        def test_connection_error_without_retries(fake_trunking, trunking_client):
            fake_trunking.inject_fault(exception=requests.exceptions.ConnectionError)
            with pytest.raises(requests.exceptions.ConnectionError):
                trunking_client.trunking.v1.trunks.create(friendly_name="x")
            assert fake_trunking.trunks() == []
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_coexistence_with_the_users_own_mocks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_neighbours="""
        import pytest
        import requests
        import responses

        OTHER = "https://api.example.com/x"

        @pytest.fixture
        def users_mock():
            with responses.RequestsMock() as rsps:
                rsps.get(OTHER, body="theirs")
                yield rsps

        def test_ours_inside_theirs(users_mock, trunking_client):
            trunking_client.trunking.v1.trunks.create(friendly_name="x")
            assert requests.get(OTHER).text == "theirs"
            assert len(trunking_client.trunking.v1.trunks.list()) == 1

        def test_theirs_inside_ours(trunking_client, users_mock):
            trunking_client.trunking.v1.trunks.create(friendly_name="x")
            assert requests.get(OTHER).text == "theirs"
            assert len(trunking_client.trunking.v1.trunks.list()) == 1

        @responses.activate
        def test_responses_activate(trunking_client):
            responses.add(responses.GET, OTHER, body="activated")
            assert requests.get(OTHER).text == "activated"
            trunking_client.trunking.v1.trunks.create(friendly_name="x")

        def test_requests_mock_fixture_first(requests_mock, trunking_client):
            requests_mock.get(OTHER, text="rm")
            assert requests.get(OTHER).text == "rm"
            trunking_client.trunking.v1.trunks.create(friendly_name="x")
            assert len(trunking_client.trunking.v1.trunks.list()) == 1

        def test_requests_mock_fixture_second(trunking_client, requests_mock):
            requests_mock.get(OTHER, text="rm")
            assert requests.get(OTHER).text == "rm"
            trunking_client.trunking.v1.trunks.create(friendly_name="x")
        """
    )
    run(pytester).assert_outcomes(passed=5)


def test_decorator_on_sync_async_and_test_case(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_decorated="""
        import asyncio
        import unittest

        from fake_trunking import mock_trunking

        @mock_trunking(seed=3)
        class TrunkTests(unittest.TestCase):
            def setUp(self):
                self.client = self.fake_trunking.client()

            def test_create(self):
                self.client.trunking.v1.trunks.create(friendly_name="x")
                self.assertEqual(len(self.fake_trunking.trunks()), 1)

            def test_fresh(self):
                self.assertEqual(self.fake_trunking.trunks(), [])

        @mock_trunking(seed=3)
        def test_sync(fake_trunking):
            fake_trunking.client().trunking.v1.trunks.create(friendly_name="x")
            fake_trunking.assert_called("POST", "/Trunks", times=1)

        def test_async():
            @mock_trunking()
            async def provision(fake_trunking):
                await asyncio.sleep(0)
                return fake_trunking.client().trunking.v1.trunks.create(friendly_name="a")

            assert asyncio.run(provision()).friendly_name == "a"

        def test_context_manager():
            with mock_trunking() as fake:
                fake.client().trunking.v1.trunks.create(friendly_name="x")
            assert len(fake.trunks()) == 1 and not fake.active
        """
    )
    run(pytester).assert_outcomes(passed=5)


# -- modes: the cassette backend is another helper's; a stand-in records how it is called --


class _Backend:
    def __init__(self, mode: str, path: Path, kwargs: Dict[str, Any]) -> None:
        self.mode, self.path, self.kwargs = mode, path, kwargs
        self.default_account_sid = "AC" + "b" * 32

    def client(self) -> str:
        return f"client of {self.mode} backend"


class _StubCassetteError(Exception):
    pass


@contextmanager
def _open_backend(mode: str, path: Path, kwargs: Dict[str, Any]) -> Iterator[_Backend]:
    if path.name == "missing.yaml":
        raise _StubCassetteError(f"{path}: no such cassette")
    backend = _Backend(mode, path, kwargs)
    _OPENED.append(backend)
    yield backend
    backend.mode = "closed"


_OPENED: List[_Backend] = []


@pytest.fixture
def stub_cassettes(monkeypatch: pytest.MonkeyPatch) -> List[_Backend]:
    _OPENED.clear()
    module = types.ModuleType("fake_trunking.cassettes")
    module.open_backend = _open_backend  # type: ignore[attr-defined]
    module.CassetteError = _StubCassetteError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_trunking.cassettes", module)
    monkeypatch.delenv("FAKE_TRUNKING_MODE", raising=False)
    return _OPENED


CASSETTE_SUITE = """
import pytest

@pytest.mark.fake_trunking(seed=5)
def test_default_name(fake_trunking, trunking_client):
    assert trunking_client == "client of " + fake_trunking.mode + " backend"

class TestGrouped:
    @pytest.mark.trunking_cassette("shared/trunks.yaml")
    def test_marked(self, fake_trunking):
        pass

    @pytest.mark.parametrize("n", ["a/b"])
    def test_param(self, fake_trunking, n):
        pass
"""


def test_cassette_modes_open_the_backend(
    pytester: pytest.Pytester, stub_cassettes: List[_Backend]
) -> None:
    pytester.makepyfile(test_recorded=CASSETTE_SUITE)
    run(pytester, "--trunking-mode=replay").assert_outcomes(passed=3)
    root = pytester.path / "cassettes"
    assert [(b.path, b.kwargs) for b in stub_cassettes] == [
        (root / "test_recorded" / "test_default_name.yaml", {"seed": 5}),
        (root / "shared" / "trunks.yaml", {}),
        (root / "test_recorded" / "TestGrouped.test_param[a_b].yaml", {}),
    ]
    assert all(b.mode == "closed" for b in stub_cassettes)  # the context was left


def test_mode_from_the_environment_and_cassette_dir_option(
    pytester: pytest.Pytester, stub_cassettes: List[_Backend], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_env="""
        def test_live(fake_trunking):
            assert fake_trunking.mode == "record"
        """
    )
    monkeypatch.setenv("FAKE_TRUNKING_MODE", "record")
    run(pytester, "--trunking-cassette-dir=tapes").assert_outcomes(passed=1)
    assert stub_cassettes[0].path == pytester.path / "tapes" / "test_env" / "test_live.yaml"
    # the command line wins over the environment
    pytester.makepyfile(
        test_env="""
        def test_fake(fake_trunking):
            assert fake_trunking.mode == "fake"
        """
    )
    run(pytester, "--trunking-mode=fake").assert_outcomes(passed=1)
    monkeypatch.setenv("FAKE_TRUNKING_MODE", "replya")
    usage = run(pytester)
    assert usage.ret == pytest.ExitCode.USAGE_ERROR
    usage.stderr.fnmatch_lines(["*FAKE_TRUNKING_MODE='replya': expected one of fake, replay*"])


def test_a_cassette_error_is_one_clear_line(
    pytester: pytest.Pytester, stub_cassettes: List[_Backend]
) -> None:
    pytester.makepyfile(
        test_missing="""
        import pytest

        @pytest.mark.trunking_cassette("missing.yaml")
        def test_needs_a_cassette(trunking_client):
            pass
        """
    )
    result = run(pytester, "--trunking-mode=replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["--trunking-mode=replay: */cassettes/missing.yaml: no such cassette"]
    )
    assert "Traceback" not in result.stdout.str() and "_open_backend" not in result.stdout.str()
