"""Issue 13, the plugin's part: the marker alone starts the fake, cassette paths are unique and
stay in the cassette dir, tests are portable across modes (``fake_only``), faults that never fire
are reported, and every service keyword is checked up front, naming where it came from.

Downstream suites run through ``pytester`` in process; the network guard of
``test_security_network`` refuses (and records) any non-loopback connection or name lookup, so a
test that would reach the network fails instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, mock_trunking
from fake_trunking.options import KEYWORDS, KeywordError, keyword_names

from .test_plugin import run
from .test_security_network import network_guard  # noqa: F401 (a fixture)

ACCOUNT = "AC" + "5" * 32
EMPTY_CASSETTE = "version: 1\ninteractions: []\n"


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import what a started fake needs before pytester snapshots ``sys.modules``."""
    import requests_mock  # noqa: F401
    import twilio.rest  # noqa: F401
    import yaml  # noqa: F401

    with FakeTrunkingService() as fake:
        fake.client().trunking.v1.trunks.list()


# -- item 2: the marker alone ------------------------------------------------------------------
MARKER_ONLY = f"""
import pytest
from twilio.rest import Client

ACCOUNT = {ACCOUNT!r}


def create(name):
    return Client(ACCOUNT, "any token").trunking.v1.trunks.create(friendly_name=name)


@pytest.mark.fake_trunking(seed=7)
def test_function_marker(request):
    trunk = create("by marker")
    fake = request.getfixturevalue("fake_trunking")  # the fake the marker started
    assert fake.active and fake.seed == 7
    assert [t["sid"] for t in fake.trunks(ACCOUNT)] == [trunk.sid]


@pytest.mark.fake_trunking(max_trunks_per_account=1)
class TestClassMarker:
    def test_method(self, request):
        create("one")
        assert request.getfixturevalue("fake_trunking").store.max_trunks_per_account == 1


@pytest.mark.trunking_cassette("marked.yaml")
def test_cassette_marker_alone_is_enough_too():
    assert create("x").friendly_name == "x"


def test_isolated_from_the_marked_tests(fake_trunking):
    assert fake_trunking.trunks(ACCOUNT) == []
"""

MODULE_MARKER = """
import pytest
from twilio.rest import Client

pytestmark = pytest.mark.fake_trunking(seed=3)


def test_module_marker(request):
    Client("AC" + "6" * 32, "t").trunking.v1.trunks.list()
    assert request.getfixturevalue("fake_trunking").calls[0].status == 200
"""


def test_the_marker_alone_runs_the_test_against_a_started_fake(
    pytester: pytest.Pytester,
    network_guard: List[Any],  # noqa: F811
) -> None:
    pytester.makepyfile(test_marker_only=MARKER_ONLY, test_module_marker=MODULE_MARKER)
    run(pytester).assert_outcomes(passed=5)
    assert network_guard == []  # nothing tried the network
    assert not (pytester.path / "cassettes").exists()  # mode fake writes nothing


# -- item 6: cassette paths --------------------------------------------------------------------
SAME_NAME = """
import pytest


def test_t(fake_trunking):
    assert fake_trunking.replayer.path.endswith({expected!r})


class TestGrouped:
    def test_t(self, fake_trunking):
        assert fake_trunking.replayer.path.endswith({grouped!r})
"""


def _tape(root: Path, *parts: str) -> None:
    path = root.joinpath("cassettes", *parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EMPTY_CASSETTE)


def test_default_cassette_paths_follow_the_module_path_so_they_never_collide(
    pytester: pytest.Pytester,
) -> None:
    for folder in ("a", "b"):
        package = pytester.path / "suite" / folder  # not "tests": this suite's own package
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        expected = f"cassettes/suite/{folder}/test_x/test_t.yaml"
        grouped = f"cassettes/suite/{folder}/test_x/TestGrouped.test_t.yaml"
        (package / "test_x.py").write_text(SAME_NAME.format(expected=expected, grouped=grouped))
        _tape(pytester.path, "suite", folder, "test_x", "test_t.yaml")
        _tape(pytester.path, "suite", folder, "test_x", "TestGrouped.test_t.yaml")
    (pytester.path / "suite" / "__init__.py").write_text("")
    run(pytester, "--trunking-mode=replay").assert_outcomes(passed=4)


def test_the_trunking_cassette_path_fixture_chooses_the_path(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pathlib import Path

        import pytest

        @pytest.fixture
        def trunking_cassette_path(request):
            return Path("by-name", request.node.name + ".yaml")  # relative: in the cassette dir
        """
    )
    pytester.makepyfile(
        test_chosen="""
        def test_one(fake_trunking):
            assert fake_trunking.replayer.path.endswith("cassettes/by-name/test_one.yaml")
        """
    )
    _tape(pytester.path, "by-name", "test_one.yaml")
    run(pytester, "--trunking-mode=replay").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/etc/tape.yaml", "the path must be relative to the cassette dir"),
        ("../outside.yaml", "the path leaves the cassette dir"),
        ("ok/../../outside.yaml", "the path leaves the cassette dir"),
        ("..", "the path leaves the cassette dir"),
    ],
)
def test_a_marker_path_outside_the_cassette_dir_is_a_usage_error(
    pytester: pytest.Pytester, path: str, problem: str
) -> None:
    pytester.makepyfile(
        test_escape=f"""
        import pytest

        @pytest.mark.trunking_cassette({path!r})
        def test_escapes(fake_trunking):
            pass
        """
    )
    for mode in ("fake", "replay"):
        result = run(pytester, f"--trunking-mode={mode}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [f"*test_escape.py::test_escapes: @pytest.mark.trunking_cassette({path!r}): {problem}*"]
        )
    assert not (pytester.path / "cassettes").exists()
    assert not (pytester.path.parent / "outside.yaml").exists()


# -- item 7: mode-portable tests ---------------------------------------------------------------
PORTABLE = """
import pytest


def test_portable(fake_trunking, trunking_client):
    trunking_client.trunking.v1.trunks.list()
    fake_trunking.assert_called("GET", "/Trunks", times=1)
    assert [c.status for c in fake_trunking.calls] == [200]


@pytest.mark.fake_only
def test_needs_the_fake(fake_trunking):
    fake_trunking.seed_trunks(count=2)
    assert len(fake_trunking.trunks()) == 2


def test_forgot_the_marker(fake_trunking):
    fake_trunking.inject_fault(503)
"""


def test_fake_only_tests_are_skipped_and_fake_only_attributes_name_the_marker(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_portable=PORTABLE)
    run(pytester).assert_outcomes(passed=3)  # mode fake: everything runs
    with FakeTrunkingService() as fake:
        fake.client().trunking.v1.trunks.list()
    fake.save_cassette(pytester.path / "cassettes" / "test_portable" / "test_portable.yaml")
    _tape(pytester.path, "test_portable", "test_forgot_the_marker.yaml")
    result = run(pytester, "--trunking-mode=replay", "-rs")
    result.assert_outcomes(passed=1, skipped=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FakeOnlyError: fake_trunking.inject_fault needs the in-memory fake "
            "(--trunking-mode=fake); this test runs in replay mode. Mark the test "
            "@pytest.mark.fake_only to skip it outside fake mode*",
            "SKIPPED*test_portable.py:*fake_only: needs the in-memory fake; "
            "this run is --trunking-mode=replay",
        ]
    )
    markers = run(pytester, "--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.fake_only: the test needs the in-memory fake*"])


# -- item 8: faults that never fire ------------------------------------------------------------
def test_assert_all_faults_fired_lists_the_faults_that_never_fired() -> None:
    with FakeTrunkingService(seed=1) as fake:
        client = fake.client()
        fake.inject_fault(503, method="GET", path=r"/Trunkz")  # the typo
        fake.inject_fault(429, method="POST", times=2)
        fake.inject_fault(500, path=r"/Trunks", times=None)  # no limit: a background fault
        fake.inject_fault(latency=0, path=r"/Trunks/TK\w+", times=1)
        client.trunking.v1.trunks(fake.seed_trunks()[0]).fetch()  # fires the latency one
        assert [f.describe() for f in fake.unfired_faults] == [
            "503/20503 on GET /Trunkz",
            "429/20429 on POST .*",
        ]
        with pytest.raises(AssertionError) as info:
            fake.assert_all_faults_fired()
        assert str(info.value).splitlines()[:3] == [
            "2 injected fault(s) never fired (check their method and path):",
            "  - 503/20503 on GET /Trunkz (times=1)",
            "  - 429/20429 on POST .* (times=2)",
        ]
        assert "1. GET /v1/Trunks/TK" in str(info.value)  # what was served instead
        fake.clear_faults()
        fake.assert_all_faults_fired()  # nothing left: passes


UNFIRED = r"""
def test_mistyped_fault(fake_trunking, trunking_client):
    fake_trunking.inject_fault(503, method="GET", path=r"/Trunkz/TK\w+")
    trunking_client.trunking.v1.trunks.list()


def test_fired_fault(fake_trunking, trunking_client):
    fake_trunking.inject_fault(503, method="GET", times=1)
    try:
        trunking_client.trunking.v1.trunks.list()
    except Exception:
        pass
"""


def test_unfired_faults_are_a_warning_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unfired=UNFIRED)
    result = run(pytester)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*test_unfired.py::test_mistyped_fault*",
            "*UnfiredFaultWarning: 1 injected fault(s) never fired (check their method and path):",
            r"*  - 503/20503 on GET /Trunkz/TK\w+ (times=1) (fake.assert_all_faults_fired() *",
        ]
    )
    strict = run(pytester, "-W", "error::fake_trunking.faults.UnfiredFaultWarning")
    strict.assert_outcomes(passed=2, errors=1)


# -- item 10: keywords are checked up front ----------------------------------------------------
BAD_KEYWORDS = [
    ({"seed": "abc"}, "seed: got 'abc'; expected an integer or None"),
    ({"seed": True}, "seed: got True; expected an integer or None"),
    ({"clock": 5}, "clock: got 5; expected a callable returning an aware datetime, or None"),
    (
        {"max_trunks_per_account": -1},
        "max_trunks_per_account: got -1; expected an integer >= 0, or None (no limit)",
    ),
    (
        {"credentials": {}},
        "credentials: got an empty mapping, which would refuse every request (None accepts any)",
    ),
    (
        {"credentials": {"XY" + "1" * 32: "s3cret-token"}},
        "credentials: the key 'XY11111111111111111111111111111111' is not an account SID",
    ),
    ({"credentials": [ACCOUNT]}, "credentials: got a list;"),
    ({"credentials": {ACCOUNT: ""}}, f"credentials: the auth token of {ACCOUNT} is not a"),
    ({"api_keys": {"SK1": "s3cret-token"}}, "api_keys: the value of SK1 is not an (account"),
    ({"api_keys": {"SK1": ("nope", "s3cret-token")}}, "api_keys: the account of SK1 is not"),
    ({"api_keys": {"SK1": (ACCOUNT, 7)}}, "api_keys: the secret of SK1 is not a non-empty"),
    ({"sed": 1}, "unknown keyword(s) ['sed'] (did you mean 'seed'?); expected some of"),
    ({"clok": 1, "zzz": 2}, "unknown keyword(s) ['clok', 'zzz'] (did you mean 'clock' for 'clok'"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_KEYWORDS)
def test_bad_keywords_are_one_clear_error_from_every_constructor(
    kwargs: Dict[str, Any], message: str
) -> None:
    for source, build in (
        ("FakeTrunkingService()", lambda: FakeTrunkingService(**kwargs)),
        ("mock_trunking()", lambda: mock_trunking(**kwargs)),
        ("FakeTrunkingService()", lambda: FakeTrunkingServer(**kwargs)),
    ):
        with pytest.raises(KeywordError) as info:
            build()
        text = str(info.value)
        assert text.startswith(f"{source}: {message}"), text
        assert "s3cret-token" not in text and "\n" not in text
        assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


def test_good_keywords_pass() -> None:
    FakeTrunkingService(
        seed=-3,
        clock=None,
        credentials={ACCOUNT: "t"},
        api_keys={"SK" + "1" * 32: [ACCOUNT, "secret"]},  # a list, as JSON gives it
        max_trunks_per_account=0,
    )
    FakeTrunkingService(seed=None, max_trunks_per_account=None, credentials=None, api_keys=None)


def test_every_constructor_keyword_has_a_check() -> None:
    """Adding a keyword to FakeTrunkingService is one line in fake_trunking.options.KEYWORDS."""
    assert sorted(KEYWORDS) == sorted(keyword_names(FakeTrunkingService.__init__))


def test_bad_keywords_from_the_marker_and_the_fixture_name_their_source(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_fixture_source="""
        import pytest

        @pytest.fixture
        def fake_trunking_config():
            return {"clock": 5}

        def test_from_the_fixture(fake_trunking):
            pass
        """,
        test_marker_source="""
        import pytest

        @pytest.mark.fake_trunking(seed="abc")
        class TestMarked:
            def test_marked(self, fake_trunking):
                pass

        @pytest.mark.fake_trunking(max_trunk_per_account=3)
        def test_near_miss():  # the marker alone: checked all the same
            pass
        """,
    )
    result = run(pytester)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "fixture fake_trunking_config: clock: got 5; expected a callable*",
            "@pytest.mark.fake_trunking on TestMarked: seed: got 'abc'; expected an integer*",
            "@pytest.mark.fake_trunking on test_near_miss: unknown keyword(s) "
            "[[]'max_trunk_per_account'[]] (did you mean 'max_trunks_per_account'?)*",
        ]
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("seed = abc", "seed: got 'abc'; expected an integer or None"),
        ('seed = "1234"', "seed: got '1234'; expected an integer or None"),
        ("max_trunks_per_account = -1", "max_trunks_per_account: got -1; expected an integer >= 0"),
        ("clock = 5", "clock: got 5; expected a callable"),
        ("credentials = {}", "credentials: got an empty mapping"),
        ('credentials = {"AC1": "tok3n"', "credentials: not valid JSON (Expecting ',' delimiter"),
        ("seed = 12a", "seed: not valid JSON (Extra data at column 3)"),
        (
            "max_trunks_per_acount = 3",
            "unknown keyword(s) ['max_trunks_per_acount'] (did you mean 'max_trunks_per_account'?)",
        ),
    ],
)
def test_bad_ini_keywords_are_a_usage_error(
    pytester: pytest.Pytester, line: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\nfake_trunking_defaults =\n    {line}\n")
    pytester.makepyfile(test_any="def test_any(fake_trunking):\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ERROR: ini option fake_trunking_defaults: {message}" in result.stderr.str()
    assert "tok3n" not in result.stderr.str()


def test_good_ini_keywords_reach_the_fake(pytester: pytest.Pytester) -> None:
    credentials = json.dumps({ACCOUNT: "tok"})
    pytester.makeini(
        f"[pytest]\nfake_trunking_defaults =\n    seed = 5\n    credentials = {credentials}\n"
    )
    pytester.makepyfile(
        test_ini=f"""
        def test_ini(fake_trunking, trunking_client):
            assert fake_trunking.seed == 5
            assert fake_trunking.default_account_sid == {ACCOUNT!r}
            assert trunking_client.trunking.v1.trunks.list() == []
        """
    )
    run(pytester).assert_outcomes(passed=1)
