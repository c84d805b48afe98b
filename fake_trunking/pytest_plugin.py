"""The pytest plugin, active wherever fake-trunking is installed (entry point ``pytest11``).

Fixtures:
- ``fake_trunking``: a started ``FakeTrunkingService``, fresh for every test, stopped and cleared
  after it (also when it fails). Under ``--trunking-mode replay|record|live`` it is the cassette
  backend of ``fake_trunking.cassettes.open_backend`` instead (it has ``client()``,
  ``default_account_sid`` and ``mode`` too).
- ``trunking_client``: ``fake_trunking.client()``, a ``twilio.rest.Client`` bound to it.
- ``trunking_async_client``: the same on twilio's ``AsyncTwilioHttpClient`` (``*_async`` methods;
  needs the ``async`` extra); works in pytest-asyncio and anyio tests.
- ``fake_trunking_config``: project-wide service keywords (``{}``); override it at any scope.

Service keywords, broadest first (a later source wins key by key): the ini option
``fake_trunking_defaults`` (lines of ``key = JSON value``), the ``fake_trunking_config`` fixture
(the narrowest override pytest finds), then ``@pytest.mark.fake_trunking(**kwargs)`` marks from
module to class to function, like pytest-recording's ``vcr_config`` and ``@pytest.mark.vcr``.

Nothing heavy is imported here: this module loads in every pytest run of the environment.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from .cassettes.record import MODES
from .inspection import describe_calls
from .mock import check_keywords
from .service import FakeTrunkingService

MODE_ENV = "FAKE_TRUNKING_MODE"
INI_DEFAULTS = "fake_trunking_defaults"

_defaults_key = pytest.StashKey[Dict[str, Any]]()
_mode_key = pytest.StashKey[str]()
_cassette_dir_key = pytest.StashKey[Path]()

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fake-trunking", "fake Twilio Elastic SIP Trunking (fake-trunking)")
    group.addoption(
        "--trunking-mode",
        dest="trunking_mode",
        choices=MODES,
        default=None,
        help=f"what the fake_trunking fixture is: the in-memory fake, or a cassette backend "
        f"replaying, recording or going live (env {MODE_ENV}; default: fake)",
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
        "(over the ini defaults and the fake_trunking_config fixture)",
    )
    config.addinivalue_line(
        "markers",
        "trunking_cassette(path): this test's cassette outside --trunking-mode=fake "
        "(default: <module>/<test>.yaml under --trunking-cassette-dir)",
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


def parse_defaults(lines: List[str]) -> Dict[str, Any]:
    """``["seed = 1", "max_trunks_per_account = null"]`` -> keywords; UsageError when wrong."""
    out: Dict[str, Any] = {}
    for line in lines:
        key, sep, raw = line.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise pytest.UsageError(f"{INI_DEFAULTS}: expected 'key = value', got {line!r}")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    try:
        check_keywords(out, INI_DEFAULTS)
    except TypeError as exc:
        raise pytest.UsageError(str(exc)) from None
    return out


def service_kwargs(request: pytest.FixtureRequest, config: Any) -> Dict[str, Any]:
    """The keywords of this test's service: ini, then ``fake_trunking_config``, then marks."""
    if not isinstance(config, dict):
        pytest.fail(f"fake_trunking_config must return a dict, not {config!r}", pytrace=False)
    defaults = request.config.stash[_defaults_key]
    kwargs = dict(defaults)
    kwargs.update(config)
    for mark in reversed(list(request.node.iter_markers("fake_trunking"))):  # closest last
        if mark.args:
            pytest.fail(
                f"@pytest.mark.fake_trunking takes keywords only, got {mark.args!r}", pytrace=False
            )
        kwargs.update(mark.kwargs)
    problem = None
    try:
        check_keywords(kwargs, "fake_trunking")
    except TypeError as exc:
        problem = str(exc)
    if problem is not None:  # failed outside the except block: one clean line, no chain
        pytest.fail(problem, pytrace=False)
    return kwargs


def cassette_path(request: pytest.FixtureRequest) -> Path:
    """The marker's path (relative to the cassette dir), else ``<module>/<test>.yaml``."""
    directory = request.config.stash[_cassette_dir_key]
    mark = request.node.get_closest_marker("trunking_cassette")
    if mark is not None:
        if len(mark.args) != 1 or mark.kwargs or not isinstance(mark.args[0], (str, Path)):
            pytest.fail(
                "@pytest.mark.trunking_cassette takes one path, e.g. 'trunks/create.yaml'",
                pytrace=False,
            )
        return Path(directory, mark.args[0])
    node = request.node
    name = node.name
    if request.cls is not None:
        name = f"{request.cls.__name__}.{name}"
    return Path(directory, Path(str(node.path)).stem, _UNSAFE.sub("_", name) + ".yaml")


@pytest.fixture(scope="session")
def fake_trunking_config() -> Dict[str, Any]:
    """Project-wide FakeTrunkingService keywords for fake_trunking; override at any scope."""
    return {}


@pytest.fixture
def fake_trunking(request: pytest.FixtureRequest, fake_trunking_config: Any) -> Iterator[Any]:
    """A started FakeTrunkingService, fresh per test (a cassette backend outside mode fake)."""
    kwargs = service_kwargs(request, fake_trunking_config)
    mode = request.config.stash[_mode_key]
    if mode == "fake":
        fake = FakeTrunkingService(**kwargs)
        fake.start()
        try:
            yield fake
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
    problem = None
    try:
        with cassettes.open_backend(mode, cassette_path(request), kwargs) as backend:
            yield backend
    except known as exc:  # a missing or bad cassette, a refused recording: one clear line
        problem = f"--trunking-mode={mode}: {exc}"
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
        from .async_client import LazyAsyncTwilioHttpClient
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
    """A failed test that used ``fake_trunking`` shows the calls the fake served."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or not report.failed:
        return
    fake = getattr(item, "funcargs", {}).get("fake_trunking")
    calls = getattr(fake, "calls", None)
    if isinstance(calls, list) and calls:
        report.sections.append(("fake-trunking calls", describe_calls(calls)))


# ---- block network (issue 13): for the whole run, from session start to unconfigure ----------
_RECORDING_MODES = ("record", "live", "once")  # the modes that may reach Twilio itself


def pytest_sessionstart(session: pytest.Session) -> None:
    """``--trunking-block-network``: block non-loopback sockets for the whole run."""
    config = session.config
    if not (config.getoption("trunking_block_network") or config.getini("trunking_block_network")):
        return
    from . import network
    from .intercept import is_trunking_url

    mode = config.stash.get(_mode_key, "fake")
    if mode in _RECORDING_MODES:
        network.block(lambda host: is_trunking_url(f"https://{host}/"))
    else:
        network.block()


def pytest_unconfigure(config: pytest.Config) -> None:
    from . import network

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
