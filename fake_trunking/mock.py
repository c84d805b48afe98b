"""``mock_trunking``: the fake as a decorator or a context manager, for code outside pytest.

    with mock_trunking(seed=1) as fake:          # a started FakeTrunkingService
        ...

    @mock_trunking(seed=1)                       # a fresh, started fake for each call
    def check(fake_trunking): ...                # (the parameter is optional; see below)

    @mock_trunking                               # bare, like moto's @mock_aws: the same as
    def check(): ...                             # @mock_trunking()

    @mock_trunking()                             # a TestCase: a fresh fake per test method,
    class TrunkTests(unittest.TestCase): ...     # as ``self.fake_trunking`` from setUp on

Functions and ``async def`` functions that declare a parameter named ``fake_trunking`` receive the
fake through it (the parameter is hidden from the signature, so pytest does not look for a fixture
of that name); others are called unchanged. A decorated call stops and clears its fake when it
returns or raises. ``with`` stops the fake on exit but keeps its state and calls for inspection.

One fake per test: under pytest, a test decorated with ``mock_trunking`` that also uses the plugin's
``fake_trunking`` fixture (directly, or through ``trunking_client``/``trunking_async_client``) is
an error at setup, naming both: two fakes would be started and only the most recent one would
answer, so the fixture's fake would silently see nothing. Use one or the other (the decorator's
fake is the test's ``fake_trunking`` argument; the fixture's keywords go in
``@pytest.mark.fake_trunking(...)``).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, List, Optional, TypeVar

from . import options
from .options import keyword_names
from .service import FakeTrunkingService

F = TypeVar("F", bound=Callable[..., Any])

ARG = "fake_trunking"  # the parameter (and TestCase attribute) that receives the fake
MARK = "__fake_trunking_mock__"  # set on what the decorator returns (see ``is_decorated``)
TEST_PREFIX = "test"  # methods of a plain class that get their own fake


def service_keywords() -> List[str]:
    """The keyword arguments ``FakeTrunkingService`` accepts (its constructor's, by name)."""
    return keyword_names(FakeTrunkingService.__init__)


def check_keywords(kwargs: Dict[str, Any], where: str) -> None:
    """``KeywordError`` (a TypeError) naming ``where`` when ``kwargs`` has a key the service does
    not accept or a value it cannot take (see ``fake_trunking.options``)."""
    options.check_keywords(kwargs, where, service_keywords())


def is_decorated(obj: Any) -> bool:
    """Was ``obj`` (a function, method or class) decorated with ``mock_trunking``?"""
    return getattr(obj, MARK, False) is True


class mock_trunking:  # lower case, like ``responses.activate`` and moto's ``mock_aws``
    """Decorator and context manager that run code against a fresh, started fake.

    ``mock_trunking(**kwargs)`` takes ``FakeTrunkingService``'s keywords (seed, clock,
    credentials, api_keys, max_trunks_per_account, passthrough_hosts, ...), checked at once
    (``KeywordError``). Bare
    ``@mock_trunking`` (no parentheses) is ``@mock_trunking()``.
    """

    def __new__(cls, target: Any = None, /, **kwargs: Any) -> Any:
        if target is None:
            return super().__new__(cls)
        if kwargs or not callable(target):
            raise TypeError(
                "mock_trunking takes keywords only: @mock_trunking, @mock_trunking() or "
                f"@mock_trunking(seed=1), not mock_trunking({target!r})"
            )
        return cls()(target)  # bare @mock_trunking: the decorated target itself

    def __init__(self, target: Any = None, /, **kwargs: Any) -> None:
        check_keywords(kwargs, "mock_trunking()")
        self.kwargs = kwargs
        self.fake: Optional[FakeTrunkingService] = None  # the fake of the active ``with``

    # -- context manager and start/stop ------------------------------------------------------
    def new_fake(self) -> FakeTrunkingService:
        """A new, started fake built from this object's keywords."""
        return FakeTrunkingService(**self.kwargs).start()

    def start(self) -> FakeTrunkingService:
        """Start a fresh fake (like ``__enter__``); ``stop()`` stops it."""
        if self.fake is not None:
            raise RuntimeError("this mock_trunking is already started; stop() it first")
        self.fake = self.new_fake()
        return self.fake

    def stop(self) -> None:
        if self.fake is not None:
            self.fake.stop()
            self.fake = None

    def __enter__(self) -> FakeTrunkingService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- decorator -----------------------------------------------------------------------
    def __call__(self, target: F) -> F:
        import unittest

        if isinstance(target, type):
            if issubclass(target, unittest.TestCase):
                decorated = self._decorate_test_case(target)
            else:
                for name, value in list(vars(target).items()):
                    if name.startswith(TEST_PREFIX) and inspect.isfunction(value):
                        setattr(target, name, self._decorate_function(value))
                decorated = target
            setattr(decorated, MARK, True)
            return decorated  # type: ignore[return-value]
        if not callable(target):
            raise TypeError(f"mock_trunking decorates functions and classes, not {target!r}")
        return self._decorate_function(target)

    def _decorate_function(self, func: F) -> F:
        signature = inspect.signature(func)
        wants_fake = ARG in signature.parameters
        new_fake = self.new_fake

        def finish(fake: FakeTrunkingService) -> None:
            fake.stop()
            fake.reset()

        wrapper: Callable[..., Any]
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                fake = new_fake()
                try:
                    if wants_fake:
                        kwargs[ARG] = fake
                    return await func(*args, **kwargs)
                finally:
                    finish(fake)

            wrapper = async_wrapper
        else:

            @functools.wraps(func)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                fake = new_fake()
                try:
                    if wants_fake:
                        kwargs[ARG] = fake
                    return func(*args, **kwargs)
                finally:
                    finish(fake)

            wrapper = sync_wrapper
        if wants_fake:  # hide the parameter: pytest must not look for a fixture of that name
            params = [p for p in signature.parameters.values() if p.name != ARG]
            setattr(wrapper, "__signature__", signature.replace(parameters=params))  # noqa: B010
        setattr(wrapper, MARK, True)
        return wrapper  # type: ignore[return-value]

    def _decorate_test_case(self, cls: type) -> type:
        """Every test method gets a fresh fake, started before ``setUp`` and stopped and cleared
        after ``tearDown`` (through ``addCleanup``, so also when ``setUp`` fails)."""
        original_set_up: Callable[[Any], None] = cls.setUp  # type: ignore[attr-defined]
        new_fake = self.new_fake

        def setUp(test: Any) -> None:
            fake = new_fake()
            test.addCleanup(fake.reset)
            test.addCleanup(fake.stop)  # cleanups run last-in first-out: stop, then reset
            setattr(test, ARG, fake)
            original_set_up(test)

        functools.update_wrapper(setUp, original_set_up)
        cls.setUp = setUp  # type: ignore[attr-defined]
        return cls
