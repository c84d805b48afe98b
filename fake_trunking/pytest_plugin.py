"""The pytest plugin, active wherever fake-trunking is installed (entry point ``pytest11``).

Fixtures:
- ``fake_trunking``: a started ``FakeTrunkingService``, fresh for every test, stopped and cleared
  after it (also when it fails). Under ``--trunking-mode replay|record|live|once`` it is the
  cassette backend of ``fake_trunking.cassettes.open_backend`` instead: ``client()``,
  ``async_client()``, ``default_account_sid``, ``mode``, ``calls`` and ``assert_called`` work in
  every mode; what only the fake can do raises ``FakeOnlyError`` naming the ``fake_only`` marker.
- ``trunking_client``: ``fake_trunking.client()``, a ``twilio.rest.Client`` bound to it.
- ``trunking_async_client``: the same on twilio's ``AsyncTwilioHttpClient`` (``*_async`` methods;
  needs the ``async`` extra); works in pytest-asyncio and anyio tests.
- ``fake_trunking_config``: project-wide service keywords (``{}``); override it at any scope.
- ``trunking_cassette_path``: this test's cassette outside mode fake; override it to choose.

Markers: ``@pytest.mark.fake_trunking(**kwargs)`` (alone, without the fixture, it is enough: the
test runs against a started fake, like pytest-recording's ``@pytest.mark.vcr``),
``@pytest.mark.trunking_cassette(path)`` (relative to the cassette dir, never outside it) and
``@pytest.mark.fake_only`` (skipped outside mode fake).

Service keywords, broadest first (a later source wins key by key): the ini option
``fake_trunking_defaults`` (lines of ``key = JSON value``), the ``fake_trunking_config`` fixture
(the narrowest override pytest finds), then ``@pytest.mark.fake_trunking(**kwargs)`` marks from
module to class to function, like pytest-recording's ``vcr_config`` and ``@pytest.mark.vcr``.
Each source is checked on its own (``fake_trunking.options``), so an error names it.

Record mode never destroys a cassette: the recording replaces it only when the test passed and
recorded at least one interaction; otherwise the old file stays byte for byte, and the test report
and the terminal summary say so. Faults injected with ``times`` that never fired are reported at
teardown (``UnfiredFaultWarning``).

Nothing heavy is imported here: this module loads in every pytest run of the environment.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import warnings
from pathlib import Path, PurePath
from typing import Any, Dict, Iterator, List

import pytest

from .faults import UnfiredFaultWarning, describe_unfired
from .inspection import describe_calls
from .mock import check_keywords
from .modes import MODES, RECORDING_MODES
from .service import FakeTrunkingService

MODE_ENV = "FAKE_TRUNKING_MODE"
INI_DEFAULTS = "fake_trunking_defaults"
INI_SOURCE = f"ini option {INI_DEFAULTS}"
FIXTURE_SOURCE = "fixture fake_trunking_config"
MARKER_SOURCE = "@pytest.mark.fake_trunking"
CASSETTE_PROPERTY = "fake_trunking_cassette"  # user_properties entry: what became of the cassette

_defaults_key = pytest.StashKey[Dict[str, Any]]()
_mode_key = pytest.StashKey[str]()
_cassette_dir_key = pytest.StashKey[Path]()
_backend_key = pytest.StashKey[Any]()  # item -> the fake or backend it ran against
_outcome_key = pytest.StashKey[str]()  # item -> its call phase: "passed", "failed", ...

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_JSON_START = re.compile(r'[\[{"0-9-]')  # a value meant as JSON (anything else may be text)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fake-trunking", "fake Twilio Elastic SIP Trunking (fake-trunking)")
    group.addoption(
        "--trunking-mode",
        dest="trunking_mode",
        choices=MODES,
        default=None,
        help=f"what the fake_trunking fixture is: the in-memory fake, or a cassette backend "
        f"replaying, recording, going live, or once: replaying the cassettes that exist and "
        f"recording the missing ones (env {MODE_ENV}; default: fake)",
    )
    group.addoption(
        "--trunking-cassette-dir",
        dest="trunking_cassette_dir",
        default=None,
        metavar="DIR",
        help="where cassettes live (default: <rootdir>/cassettes)",
    )
    parser.addini(
        INI_DEFAULTS,
        type="linelist",
        default=[],
        help="project-wide FakeTrunkingService keywords, one 'key = value' a line; values are "
        "JSON (seed = 1234, max_trunks_per_account = null), anything else a string",
    )
    # ---- block network (issue 13): the option and ini key; the hooks are at the end ----
    group.addoption(
        "--trunking-block-network",
        dest="trunking_block_network",
        action="store_true",
        default=None,
        help="fail every connection (and name lookup) to a non-loopback host for the whole run, "
        "except the Twilio Trunking hosts in record and live modes (ini: trunking_block_network)",
    )
    parser.addini(
        "trunking_block_network",
        type="bool",
        default=False,
        help="as --trunking-block-network, for every run of the project",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_trunking(**kwargs): FakeTrunkingService keywords for this test's fake "
        "(over the ini defaults and the fake_trunking_config fixture); alone, it starts the fake",
    )
    config.addinivalue_line(
        "markers",
        "trunking_cassette(path): this test's cassette outside --trunking-mode=fake, relative to "
        "--trunking-cassette-dir (default: <module path>/<test>.yaml there)",
    )
    config.addinivalue_line(
        "markers",
        "fake_only: the test needs the in-memory fake (seeding, faults, state snapshots): "
        "skipped in --trunking-mode replay, record, live and once",
    )
    config.stash[_defaults_key] = parse_defaults(config.getini(INI_DEFAULTS))
    mode = config.getoption("trunking_mode") or os.environ.get(MODE_ENV, "").strip() or "fake"
    if mode not in MODES:
        raise pytest.UsageError(f"{MODE_ENV}={mode!r}: expected one of {', '.join(MODES)}")
    config.stash[_mode_key] = mode
    directory = config.getoption("trunking_cassette_dir")
    config.stash[_cassette_dir_key] = (
        Path(config.invocation_params.dir, directory)
        if directory
        else Path(config.rootpath, "cassettes")
    )
    config.pluginmanager.register(_CassetteNotes(), "fake-trunking-cassette-notes")


def parse_defaults(lines: List[str]) -> Dict[str, Any]:
    """``["seed = 1", "max_trunks_per_account = null"]`` -> keywords; UsageError when wrong.

    A value is JSON; one that does not start like JSON (``{``, ``[``, ``"``, a digit, ``-``) is
    taken as text. A value that starts like JSON but is not is an error naming its key (never
    the value: it may hold a token)."""
    out: Dict[str, Any] = {}
    for line in lines:
        key, sep, raw = line.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise pytest.UsageError(f"{INI_SOURCE}: expected 'key = value', got {line!r}")
        try:
            out[key] = json.loads(raw)
        except ValueError as exc:
            if _JSON_START.match(raw):
                where = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                column = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                raise pytest.UsageError(
                    f"{INI_SOURCE}: {key}: not valid JSON ({where}{column})"
                ) from None
            out[key] = raw
    try:
        check_keywords(out, INI_SOURCE)
    except TypeError as exc:
        raise pytest.UsageError(str(exc)) from None
    return out


def service_kwargs(request: pytest.FixtureRequest, config: Any) -> Dict[str, Any]:
    """The keywords of this test's service: ini, then ``fake_trunking_config``, then marks.
    Each source is checked on its own, so an error names the one that is wrong."""
    if not isinstance(config, dict):
        pytest.fail(f"{FIXTURE_SOURCE} must return a dict, not {config!r}", pytrace=False)
    problem = None
    defaults: Dict[str, Any] = request.config.stash[_defaults_key]
    kwargs = dict(defaults)
    try:
        check_keywords(config, FIXTURE_SOURCE)
        kwargs.update(config)
        marks = list(request.node.iter_markers_with_node("fake_trunking"))
        for node, mark in reversed(marks):  # closest last
            source = f"{MARKER_SOURCE} on {node.name}"
            if mark.args:
                raise TypeError(f"{source} takes keywords only, got {mark.args!r}")
            check_keywords(mark.kwargs, source)
            kwargs.update(mark.kwargs)
    except TypeError as exc:
        problem = str(exc)
    if problem is not None:  # failed outside the except block: one clean line, no chain
        pytest.fail(problem, pytrace=False)
    return kwargs


def marker_path(mark: pytest.Mark) -> PurePath:
    """The path of a ``trunking_cassette`` mark; ValueError unless it is one relative path that
    stays inside the cassette dir (so two tests never share a cassette by accident and no test
    writes outside it)."""
    if len(mark.args) != 1 or mark.kwargs or not isinstance(mark.args[0], (str, PurePath)):
        raise ValueError("@pytest.mark.trunking_cassette takes one path, e.g. 'trunks/create.yaml'")
    path = PurePath(mark.args[0])
    if path.is_absolute() or path.drive or path.root:
        raise ValueError(
            f"@pytest.mark.trunking_cassette({str(path)!r}): the path must be relative to the "
            "cassette dir (--trunking-cassette-dir); override the trunking_cassette_path fixture "
            "for a cassette elsewhere"
        )
    normal = os.path.normpath(str(path))
    if normal in (".", "") or normal == ".." or normal.startswith(".." + os.sep):
        raise ValueError(
            f"@pytest.mark.trunking_cassette({str(path)!r}): the path leaves the cassette dir "
            "(--trunking-cassette-dir); name a file inside it"
        )
    return PurePath(normal)


def default_cassette_path(item: pytest.Item, directory: Path) -> Path:
    """``<directory>/<module path relative to the rootdir, without .py>/<test>.yaml``; tests of a
    class are ``<Class>.<test>``. Unique per test: same-named modules in two folders differ."""
    module = Path(str(item.path))
    try:
        relative = module.relative_to(item.config.rootpath)
    except ValueError:  # a module outside the rootdir: its name only
        relative = Path(module.name)
    parts = [_UNSAFE.sub("_", part) for part in relative.with_suffix("").parts]
    name = item.name
    cls = getattr(item, "cls", None)
    if cls is not None:
        name = f"{cls.__name__}.{name}"
    return Path(directory, *parts, _UNSAFE.sub("_", name) + ".yaml")


def cassette_path(request: pytest.FixtureRequest) -> Path:
    """The marker's path (relative to the cassette dir), else ``default_cassette_path``."""
    directory = request.config.stash[_cassette_dir_key]
    mark = request.node.get_closest_marker("trunking_cassette")
    if mark is not None:
        problem = None
        try:
            return Path(directory, marker_path(mark))
        except ValueError as exc:
            problem = str(exc)
        pytest.fail(problem, pytrace=False)
    return default_cassette_path(request.node, directory)


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """A bad ``trunking_cassette`` path is a usage error before any test runs; ``fake_only``
    tests are skipped outside mode fake."""
    mode = config.stash[_mode_key]
    problems = []
    for item in items:
        mark = item.get_closest_marker("trunking_cassette")
        if mark is not None:
            try:
                marker_path(mark)
            except ValueError as exc:
                problems.append(f"{item.nodeid}: {exc}")
        if mode != "fake" and item.get_closest_marker("fake_only") is not None:
            reason = f"fake_only: needs the in-memory fake; this run is --trunking-mode={mode}"
            item.add_marker(pytest.mark.skip(reason=reason))
    if problems:
        raise pytest.UsageError("\n".join(problems))


@pytest.fixture(scope="session")
def fake_trunking_config() -> Dict[str, Any]:
    """Project-wide FakeTrunkingService keywords for fake_trunking; override at any scope."""
    return {}


@pytest.fixture
def trunking_cassette_path(request: pytest.FixtureRequest) -> Path:
    """This test's cassette outside mode fake (a relative path is under the cassette dir);
    override it to choose: the marker's path, else <module path>/<test>.yaml."""
    return cassette_path(request)


@pytest.fixture(autouse=True)
def _fake_trunking_marker(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.fake_trunking`` (or ``trunking_cassette``) alone is enough: the test runs
    against a started fake even when it does not ask for the fixture (as ``@pytest.mark.vcr``
    does for pytest-recording), so its requests never reach the network."""
    if "fake_trunking" in request.fixturenames:
        return
    node = request.node
    if node.get_closest_marker("fake_trunking") or node.get_closest_marker("trunking_cassette"):
        request.getfixturevalue("fake_trunking")


def _warn_unfired(item: pytest.Item, fake: FakeTrunkingService) -> None:
    unfired = fake.unfired_faults
    if unfired:
        path, line, _name = item.location
        warnings.warn_explicit(
            UnfiredFaultWarning(
                describe_unfired(unfired) + " (fake.assert_all_faults_fired() makes it a failure)"
            ),
            UnfiredFaultWarning,
            str(item.path) if item.path else path,
            (line or 0) + 1,
        )


_OUTCOMES = {
    "failed": "the test failed",
    "skipped": "the test was skipped",
    "xfailed": "the test xfailed",
    "xpassed": "the test is marked xfail",
}


@pytest.fixture
def fake_trunking(request: pytest.FixtureRequest, fake_trunking_config: Any) -> Iterator[Any]:
    """A started FakeTrunkingService, fresh per test (a cassette backend outside mode fake)."""
    kwargs = service_kwargs(request, fake_trunking_config)
    mode = request.config.stash[_mode_key]
    item = request.node
    if mode == "fake":
        fake = FakeTrunkingService(**kwargs)
        fake.start()
        item.stash[_backend_key] = fake
        try:
            yield fake
            _warn_unfired(item, fake)
        finally:
            fake.stop()
            fake.reset()
        return
    try:
        cassettes = importlib.import_module("fake_trunking.cassettes")
    except ImportError as exc:
        pytest.fail(
            f"--trunking-mode={mode} needs fake_trunking.cassettes "
            f"(pip install 'fake-trunking[cassettes]'): {exc}",
            pytrace=False,
        )
    known = tuple(
        error
        for error in (
            getattr(cassettes, name, None) for name in ("CassetteError", "RecordingRefused")
        )
        if isinstance(error, type) and issubclass(error, Exception)
    )
    chosen = request.getfixturevalue("trunking_cassette_path")  # relative: to the cassette dir
    path = Path(request.config.stash[_cassette_dir_key], chosen)
    problem = None
    backend: Any = None
    try:
        with cassettes.open_backend(mode, path, kwargs) as backend:
            item.stash[_backend_key] = backend
            yield backend
            outcome = item.stash.get(_outcome_key, None)
            keep = getattr(backend, "keep_cassette", None)
            if outcome != "passed" and callable(keep):  # record mode writes only what passed
                keep(_OUTCOMES.get(outcome or "", "the test did not run"))
    except known as exc:  # a missing or bad cassette, a refused recording: one clear line
        problem = f"--trunking-mode={mode}: {exc}"
    note = getattr(backend, "cassette_note", None)
    if isinstance(note, str) and note:
        item.add_report_section("teardown", "fake-trunking cassette", note)
        item.user_properties.append((CASSETTE_PROPERTY, note))
    if problem is not None:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def trunking_client(fake_trunking: Any) -> Any:
    """A twilio.rest.Client bound to the fake_trunking fixture and its default_account_sid."""
    return fake_trunking.client()


# ---- async client: the trunking_async_client fixture (issue 9) goes here --------------------
@pytest.fixture
def trunking_async_client(fake_trunking: Any) -> Iterator[Any]:
    """A twilio.rest.Client on twilio's async HTTP client (the *_async methods), bound to it."""
    # A sync fixture on purpose: it serves pytest-asyncio and anyio tests alike. The http client
    # opens its aiohttp session in the test's loop on first use and is closed at teardown.
    try:
        from .clients.lazy_async import LazyAsyncTwilioHttpClient
    except ImportError as exc:
        pytest.fail(
            f"trunking_async_client needs aiohttp (pip install 'fake-trunking[async]'): {exc}",
            pytrace=False,
        )
    http_client = LazyAsyncTwilioHttpClient()
    client = fake_trunking.client(http_client=http_client)
    try:
        yield client
    finally:
        http_client.close_sync()


# ---- end of the async client section ----------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keeps the call phase's outcome (record mode writes a cassette only for a test that
    passed); a failed test that used ``fake_trunking`` shows the calls the fake served."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call":
        return
    xfail = hasattr(report, "wasxfail")
    state = report.outcome
    if xfail:
        state = "xpassed" if report.passed else "xfailed"
    item.stash[_outcome_key] = state
    if not report.failed:
        return
    fake = item.stash.get(_backend_key, None)
    calls = getattr(fake, "calls", None)
    if isinstance(calls, list) and calls:
        report.sections.append(("fake-trunking calls", describe_calls(calls)))


class _CassetteNotes:
    """Collects what became of each cassette (from xdist workers too: ``user_properties``
    travel with the reports) and lists it at the end of the run."""

    def __init__(self) -> None:
        self.notes: List[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.notes.extend(
                str(value) for name, value in report.user_properties if name == CASSETTE_PROPERTY
            )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.notes:
            terminalreporter.section("fake-trunking cassettes")
            for note in self.notes:
                terminalreporter.line(note)


# ---- block network (issue 13): for the whole run, from session start to unconfigure ----------


def pytest_sessionstart(session: pytest.Session) -> None:
    """``--trunking-block-network``: block non-loopback sockets for the whole run."""
    config = session.config
    if not (config.getoption("trunking_block_network") or config.getini("trunking_block_network")):
        return
    from .core.hosts import is_served_url
    from .intercept import network

    mode = config.stash.get(_mode_key, "fake")
    if mode in RECORDING_MODES:
        network.block(lambda host: is_served_url(f"https://{host}/"))
    else:
        network.block()


def pytest_unconfigure(config: pytest.Config) -> None:
    from .intercept import network

    network.unblock()


# ---- one fake per test (issue 13): @mock_trunking and the fake_trunking fixture ---------------
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test decorated with ``mock_trunking`` must not use the ``fake_trunking`` fixture too."""
    from .mock import is_decorated

    if "fake_trunking" not in getattr(item, "fixturenames", ()):
        return
    if is_decorated(getattr(item, "obj", None)) or is_decorated(getattr(item, "cls", None)):
        pytest.fail(
            f"{item.nodeid}: @mock_trunking and the fake_trunking fixture (directly or through "
            "trunking_client / trunking_async_client) would start two fakes, and only the most "
            "recent one answers. Use one: take the decorator's fake as the test's fake_trunking "
            "argument, or drop the decorator and put its keywords in "
            "@pytest.mark.fake_trunking(...)",
            pytrace=False,
        )
