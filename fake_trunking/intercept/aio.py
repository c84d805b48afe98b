"""The async adapter: aiohttp (twilio's ``AsyncTwilioHttpClient``) answered by ``handle(Request)``.

This module never imports aiohttp itself: ``FakeTrunkingService.start()`` calls ``start(target)``,
which loads the aiohttp machinery (``intercept.aiohttp_mock``) only when aiohttp is installed. So
``import fake_trunking`` and everything sync keep working without the ``async`` extra.

- aiohttp and aioresponses installed (``pip install 'fake-trunking[async]'``): while started, every
  aiohttp request to a Trunking host is answered by ``target.handle`` (the fake, a cassette
  replayer, anything with ``handle``); see ``intercept.aiohttp_mock`` for the rules on other hosts.
- aiohttp installed without aioresponses: a guard refuses aiohttp requests to Trunking hosts with
  ``aiohttp.ClientConnectionError`` naming the missing extra, so they never reach the real Twilio;
  other hosts are left alone.
- no aiohttp: nothing to do (``start`` returns ``None``).

Works for any object with ``handle(Request) -> Response`` (``intercept.routing.Handles``).
"""

from __future__ import annotations

import importlib
import importlib.util
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

from . import routing as intercept
from .routing import Handles, HostRules

FULL = "aioresponses"  # aiohttp and aioresponses: the fake answers async requests
GUARD = "guard"  # aiohttp alone: Trunking hosts refused with a clear error
NONE = "none"  # no aiohttp: nothing to intercept

_support: Optional[str] = None


def support() -> str:
    """Which async interception this environment allows (``FULL``, ``GUARD`` or ``NONE``)."""
    global _support
    if _support is None:
        if not _installed("aiohttp"):
            _support = NONE
        elif not _installed("aioresponses"):
            _support = GUARD
        else:
            _support = FULL
    return _support


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: sys.modules[name] is None (import blocked)
        return False


def start(target: Handles, passthrough: Optional[HostRules] = None) -> Optional[Any]:
    """Route aiohttp's Trunking requests to ``target.handle``; the handle for ``stop`` (or None).

    ``passthrough`` (default: the target's ``passthrough_hosts``) lists the other hosts let
    through (see ``intercept``)."""
    kind = support()
    if kind == FULL:
        # through sys.modules, not the package attribute: a fresh import when a test runner
        # dropped the module (and aiohttp) since, so the patch is on the aiohttp in use
        machinery = importlib.import_module(f"{__package__}.aiohttp_mock")
        return machinery.start(target, passthrough)
    if kind == GUARD:
        return _start_guard(target)
    return None


def stop(target: Handles, handle: Optional[Any]) -> None:
    """Undo ``start(target)``; ``handle`` is what it returned."""
    if handle is not None:
        handle.detach()  # the guard, or the interception (stopped by its own module)


@contextmanager
def pass_through(allowed: Callable[[str], bool]) -> Iterator[None]:
    """While inside, aiohttp requests to URLs ``allowed`` accepts go out (to vcrpy's recorder when
    it is active, else to the network); any other URL is refused. For the record and live modes.
    Without aioresponses, aiohttp is left alone."""
    if support() != FULL:
        yield
        return
    machinery = importlib.import_module(f"{__package__}.aiohttp_mock")
    mock = machinery.PassThrough(allowed)
    mock.start()
    try:
        yield
    finally:
        mock.stop()


MISSING_EXTRA = (
    "fake-trunking: {method} {url}: the async twilio client needs the 'async' extra "
    "(pip install 'fake-trunking[async]'), so the fake did not answer and nothing was sent"
)


class _Guard:
    """Patches ``ClientSession._request`` to refuse Trunking URLs (aiohttp without aioresponses)."""

    def __init__(self) -> None:
        from unittest import mock

        import aiohttp
        import aiohttp.client

        from ..core.hosts import HOST_RE

        original = aiohttp.client.ClientSession._request

        async def guarded(session: Any, method: str, str_or_url: Any, **kwargs: Any) -> Any:
            url = str(str_or_url)
            if HOST_RE.match(url):
                raise aiohttp.ClientConnectionError(MISSING_EXTRA.format(method=method, url=url))
            return await original(session, method, str_or_url, **kwargs)

        self._patcher = mock.patch.object(aiohttp.client.ClientSession, "_request", guarded)

    def start(self) -> None:
        self._patcher.start()

    def stop(self) -> None:
        self._patcher.stop()


class _GuardInstallation:
    """One guard for every started target (installed for the first, removed after the last)."""

    def __init__(self) -> None:
        self.guard: Optional[_Guard] = None
        self.stack = intercept.Stack(self.install, self.uninstall)

    def install(self) -> None:
        self.guard = _Guard()
        self.guard.start()

    def uninstall(self) -> None:
        if self.guard is not None:
            self.guard.stop()
            self.guard = None


_guards = _GuardInstallation()


class _Guarded:
    def __init__(self, entry: intercept.Entry) -> None:
        self.entry = entry

    def detach(self) -> None:
        _guards.stack.remove(self.entry)


def _start_guard(target: Handles) -> _Guarded:
    return _Guarded(_guards.stack.push(target))
