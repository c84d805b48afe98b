"""Fault injection: answer chosen requests with a Twilio error, a ``requests`` exception or a delay.

Faults live on the service (``fake.inject_fault(...)``) and are applied inside
``FakeTrunkingService.handle`` *before* the handler, so every adapter (the ``responses`` adapter,
the HTTP server, cassette backends) gets them. A fault that answers (status) or raises (exception)
never reaches the handler, so it changes no state; it is still logged in ``fake.calls`` with its
``fault`` (and ``exception``). A latency-only fault sleeps, then the request is served normally.

Matching: ``method`` (any case) and ``path``, a regular expression that must match the *whole*
request path without its ``/v1`` prefix (``r"/Trunks/TK\\w+"``). The first active fault (in the
order they were injected) that matches *and fires* answers the call; ``probability`` draws from a
RNG seeded from the service's ``seed``, so a seeded run fails the same calls every time. ``times``
counts the calls a fault fires on (``None``: no limit); an exhausted fault leaves ``fake.faults``.

``requests`` is never imported here: exception classes are whatever the caller passes.
"""

from __future__ import annotations

import copy
import importlib
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, List, Optional, Pattern, Type, Union

from .core import errors

if TYPE_CHECKING:
    from .core.messages import Request, Response
    from .handler import Handler

ExceptionSpec = Union[Type[BaseException], BaseException]
PathSpec = Union[str, "Pattern[str]"]

MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_MARK = "_fake_trunking_fault"

# A ``path`` pattern comes from test code or the server's admin API, and Python's ``re``
# backtracks, so what a pattern may be is bounded (``check_path_pattern``), and so is the path it
# is matched against: no route is longer than ``MAX_PATH``, so a longer path matches no ``path``.
MAX_PATTERN = 256  # characters of a fault's ``path`` pattern
MAX_REPEATS = 3  # variable repeats (``*``, ``+``, ``?``, ``{m,n}``) in one pattern
MAX_PATH = 256  # characters of a request path (without ``/v1``) that a ``path`` can match


def is_injected(exc: BaseException) -> bool:
    """True when ``exc`` was raised by an exception fault (adapters use it to emulate retries)."""
    return getattr(exc, _MARK, None) is not None


@dataclass
class Fault:
    """One injected fault. ``remaining`` counts down as it fires; ``hits`` counts up."""

    status: Optional[int] = None
    code: Optional[int] = None
    method: Optional[str] = None
    path: Optional[Pattern[str]] = None
    times: Optional[int] = 1
    probability: Optional[float] = None
    latency: Optional[float] = None
    exception: Optional[ExceptionSpec] = None
    retry_after: Optional[Union[int, str]] = None
    hits: int = 0
    remaining: Optional[int] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.remaining is None:
            self.remaining = self.times

    def matches(self, request: Request) -> bool:
        if self.method is not None and request.method.upper() != self.method:
            return False
        if self.path is not None:
            path = request.path
            if path.startswith("/v1/") or path == "/v1":
                path = path[3:]
            if len(path) > MAX_PATH or self.path.fullmatch(path) is None:
                return False
        return True

    def describe(self) -> str:
        what = (
            f"{self.status}/{self.code}"
            if self.status is not None
            else (
                _exception_name(self.exception)
                if self.exception is not None
                else f"latency {self.latency}s"
            )
        )
        where = f"{self.method or '*'} {self.path.pattern if self.path is not None else '.*'}"
        return f"{what} on {where}"

    def serve(self, request: Request, handler: Handler) -> Response:
        """Apply the fault: sleep, then raise, answer an error, or serve the request normally."""
        if self.latency:
            time.sleep(self.latency)
        if self.exception is not None:
            raise self._make_exception(request)
        if self.status is None:
            return handler.handle(request)
        assert self.code is not None
        message = MESSAGES.get(self.status) or errors.reason_phrase(self.status) or "Error"
        response = handler.respond(
            self.status, errors.TwilioError(self.status, self.code, message).body()
        )
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        return response

    def _make_exception(self, request: Request) -> BaseException:
        spec = self.exception
        text = (
            f"fake_trunking fault: {_exception_name(spec)} on {request.method} "
            f"{request.base_url}{request.path}"
        )
        if isinstance(spec, BaseException):
            try:
                exc = copy.copy(spec)
            except Exception:  # an exception that cannot be copied is raised as given
                exc = spec
        else:
            assert spec is not None
            exc = spec(text)
        setattr(exc, _MARK, self)
        return exc


def _exception_name(spec: Optional[ExceptionSpec]) -> str:
    if spec is None:
        return "None"
    cls = spec if isinstance(spec, type) else type(spec)
    return cls.__name__


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    return float(value)


def check_path_pattern(pattern: Pattern[str]) -> None:
    """ValueError unless matching ``pattern`` is bounded (module docstring, "Matching").

    Python's ``re`` backtracks: a repeat inside a repeat (``(a+)+``), a repeat of overlapping
    alternatives (``(a|ab)*``) or a backreference can take exponential time, and each variable
    repeat multiplies the work by the subject's length. The shape is checked on the parsed
    pattern, so what is accepted costs at most ``MAX_PATH ** MAX_REPEATS`` simple steps.
    """
    text = pattern.pattern
    if not isinstance(text, str):
        raise ValueError("path must be a text (str) regular expression")
    if len(text) > MAX_PATTERN:
        raise ValueError(f"path is longer than {MAX_PATTERN} characters")
    tree = _regex_parser().parse(text, pattern.flags)
    if _repeats(tree, inside_repeat=False) > MAX_REPEATS:
        raise ValueError(
            f"path has more than {MAX_REPEATS} variable repeats (*, +, ?, {{m,n}}); "
            "match less of the path"
        )


def _regex_parser() -> Any:
    """The standard library's regular expression parser (``re._parser`` since Python 3.11,
    ``sre_parse`` before: importing that one on 3.11+ is deprecated)."""
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # Python < 3.11
        return importlib.import_module("sre_parse")


def _repeats(items: Any, inside_repeat: bool) -> int:
    """The number of variable repeats in a parsed pattern; ValueError on a pathological shape."""
    count = 0
    for op, av in items:
        name = str(getattr(op, "name", op))  # the opcode's name: MAX_REPEAT, BRANCH, ...
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            if low == high:  # a fixed count: no choice to backtrack over
                count += _repeats(sub, inside_repeat) * max(int(high), 1)
                continue
            if high == 1:  # optional (``?``): one more choice, not a loop
                count += 1 + _repeats(sub, inside_repeat)
                continue
            if inside_repeat:
                raise ValueError("path has a repeat inside a repeat (like (a+)+); not supported")
            count += 1 + _repeats(sub, inside_repeat=True)
        elif name == "SUBPATTERN":
            count += _repeats(av[-1], inside_repeat)
        elif name == "ATOMIC_GROUP":
            count += _repeats(av, inside_repeat)
        elif name == "BRANCH":
            if inside_repeat:
                raise ValueError(
                    "path repeats an alternation (like (a|ab)*); not supported, "
                    "repeat a character class instead"
                )
            count += sum(_repeats(branch, inside_repeat) for branch in av[1])
        elif name in ("GROUPREF", "GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT"):
            raise ValueError(
                "path uses a backreference, lookaround or conditional group; not supported"
            )
    return count


def make_fault(
    status: Optional[int] = None,
    code: Optional[int] = None,
    *,
    method: Optional[str] = None,
    path: Optional[PathSpec] = None,
    times: Optional[int] = 1,
    probability: Optional[float] = None,
    latency: Optional[float] = None,
    exception: Optional[ExceptionSpec] = None,
    retry_after: Optional[Union[int, str]] = None,
) -> Fault:
    """Check the arguments of ``inject_fault`` and build the ``Fault``; ValueError when wrong."""
    if status is None and code is None and exception is None and latency is None:
        raise ValueError("a fault needs a status (or code), an exception or a latency")
    if exception is not None and (status is not None or code is not None):
        raise ValueError("a fault either answers (status/code) or raises (exception), not both")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise ValueError(f"status must be an HTTP error status 400..599, not {status!r}")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int) or code <= 0):
        raise ValueError(f"code must be a positive Twilio error code, not {code!r}")
    if status is None and code is not None:
        if not 20400 <= code <= 20599:
            raise ValueError(f"give the HTTP status for code {code} (status=...)")
        status = code - 20000
    if status is not None and code is None:
        code = errors.code_for_status(status)
    if method is not None:
        if not isinstance(method, str) or not method.strip():
            raise ValueError(f"method must be an HTTP method name, not {method!r}")
        method = method.strip().upper()
    compiled: Optional[Pattern[str]] = None
    if path is not None:
        if isinstance(path, str):
            if path.startswith("/v1/") or path.startswith("^/v1/"):
                raise ValueError(
                    f"path is matched without the /v1 prefix: write {path.replace('/v1', '', 1)!r}"
                )
            try:
                compiled = re.compile(path)
            except re.error as exc:
                raise ValueError(f"path is not a valid regular expression: {exc}") from None
            check_path_pattern(compiled)
        elif isinstance(path, re.Pattern):
            check_path_pattern(path)
            compiled = path
        else:
            raise ValueError(f"path must be a regular expression string, not {path!r}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times must be a positive integer or None (no limit), not {times!r}")
    if probability is not None:
        probability = _number("probability", probability)
        if not 0.0 < probability <= 1.0:
            raise ValueError(f"probability must be in (0, 1], not {probability!r}")
    if latency is not None:
        latency = _number("latency", latency)
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, not {latency!r}")
    if exception is not None:
        is_class = isinstance(exception, type) and issubclass(exception, Exception)
        if not is_class and not isinstance(exception, Exception):
            raise ValueError(
                "exception must be an exception class or instance "
                f"(e.g. requests.exceptions.ConnectionError), not {exception!r}"
            )
    if retry_after is not None:
        if status is None:
            raise ValueError("retry_after needs a status (e.g. 429 or 503)")
        if isinstance(retry_after, bool) or not isinstance(retry_after, (int, str)):
            raise ValueError(f"retry_after must be whole seconds or an HTTP date: {retry_after!r}")
        if isinstance(retry_after, int) and retry_after < 0:
            raise ValueError("retry_after must be >= 0 seconds")
        if isinstance(retry_after, str) and not retry_after.strip():
            raise ValueError("retry_after must not be empty")
    return Fault(
        status=status,
        code=code,
        method=method,
        path=compiled,
        times=times,
        probability=probability,
        latency=latency,
        exception=exception,
        retry_after=retry_after,
    )


class UnfiredFaultWarning(UserWarning):
    """Issued by the pytest plugin at teardown for faults injected with ``times`` that never
    fired (``-W error::fake_trunking.faults.UnfiredFaultWarning`` makes them fail the test)."""


def describe_unfired(faults: List[Fault]) -> str:
    """``N injected fault(s) never fired:`` and one line per fault."""
    lines = [f"{len(faults)} injected fault(s) never fired (check their method and path):"]
    for f in faults:
        chance = f", probability={f.probability}" if f.probability is not None else ""
        lines.append(f"  - {f.describe()} (times={f.times}{chance})")
    return "\n".join(lines)


class FaultSet:
    """The active faults of one service, with the seeded RNG for ``probability``."""

    def __init__(self, seed: Optional[int]) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._faults: List[Fault] = []
        self._rng = self._new_rng()

    def _new_rng(self) -> random.Random:
        return random.Random(f"faults:{self._seed}") if self._seed is not None else random.Random()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """No faults, and the probability RNG starts over from the seed."""
        with self._lock:
            self._faults.clear()
            self._rng = self._new_rng()

    @property
    def active(self) -> List[Fault]:
        with self._lock:
            return list(self._faults)

    def unfired(self) -> List[Fault]:
        """The active faults with a ``times`` limit that have not fired once."""
        with self._lock:
            return [f for f in self._faults if f.times is not None and f.hits == 0]

    def select(self, request: Request) -> Optional[Fault]:
        """The fault that fires for ``request`` (counted and retired here), or None."""
        if not self._faults:  # the fast path: no lock when nothing is injected
            return None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(request):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None


class FaultInjection:
    """The fault-injection part of ``FakeTrunkingService``'s public API."""

    _faults: FaultSet

    def inject_fault(
        self,
        status: Optional[int] = None,
        code: Optional[int] = None,
        *,
        method: Optional[str] = None,
        path: Optional[PathSpec] = None,
        times: Optional[int] = 1,
        probability: Optional[float] = None,
        latency: Optional[float] = None,
        exception: Optional[ExceptionSpec] = None,
        retry_after: Optional[Union[int, str]] = None,
    ) -> Fault:
        """Make matching requests fail; returns the ``Fault`` (see ``fake.faults``).

        - ``status`` (400..599) answers with a Twilio error body; ``code`` defaults to Twilio's
          code for the status (429 -> 20429, 500 -> 20500, 503 -> 20503, ...). ``retry_after``
          (seconds or an HTTP date) adds a ``Retry-After`` header.
        - ``exception`` (a class or instance, e.g. ``requests.exceptions.ReadTimeout``) is
          raised to the caller instead (the server adapter drops the connection).
        - ``latency`` (seconds) sleeps first; alone, the request is then served normally.
        - ``method`` and ``path`` (a regex matched against the whole path without ``/v1``; of a
          bounded shape, see ``check_path_pattern``) choose the requests; ``times`` how many
          matching calls it fires on (None: no limit); ``probability`` fires on that share of
          them, drawn from a RNG seeded from ``seed``.

        A call answered or raised by a fault changes no state. Bad arguments raise ValueError.
        """
        return self._faults.add(
            make_fault(
                status,
                code,
                method=method,
                path=path,
                times=times,
                probability=probability,
                latency=latency,
                exception=exception,
                retry_after=retry_after,
            )
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    @property
    def faults(self) -> List[Fault]:
        """The active faults, in the order they were injected (a copy)."""
        return self._faults.active
