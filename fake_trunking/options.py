"""The service keywords and their checks: one table, used by every way of giving them.

``FakeTrunkingService(...)``, ``mock_trunking(...)``, ``FakeTrunkingServer(...)``, the pytest
plugin's ``@pytest.mark.fake_trunking(...)`` marker, its ``fake_trunking_config`` fixture and its
``fake_trunking_defaults`` ini option all check their keywords here, up front. A wrong keyword is
one ``KeywordError`` naming the keyword and where it came from (with a "did you mean" for a near
miss), raised before anything is built: never a service that answers 500 to every request later.

Rule and reason: the fake is configured far from where it fails (an ini line, a module marker),
so the error must say which keyword, from where, and what was expected. Secrets (auth tokens, API
key secrets) are never shown in a message, only the keys they belong to.

Adding a keyword to ``FakeTrunkingService`` is one line in ``KEYWORDS`` (a test checks that the
table and the constructor agree).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, TypeVar, cast

from .core.ids import ACCOUNT_SID


class KeywordError(TypeError, ValueError):
    """A service keyword that is unknown, of the wrong type or out of range.

    Both a ``TypeError`` (as Python raises for an unexpected keyword) and a ``ValueError`` (as for
    a bad value), so either ``except`` catches it.
    """


F = TypeVar("F", bound=Callable[..., Any])
Check = Callable[[Any], Optional[str]]  # the value -> None when good, else what is wrong


@dataclass(frozen=True)
class Keyword:
    """One service keyword: its name, what it takes (for messages), and its check."""

    name: str
    expected: str
    check: Check


def _kind(value: Any) -> str:
    """A value's type for a message (never the value: it may be a secret)."""
    return type(value).__name__


def _got(value: Any) -> str:
    """``got 'abc'`` for a plain scalar, ``got a dict`` for anything else."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return f"got {value!r}"
    return f"got a {_kind(value)}"


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seed(value: Any) -> Optional[str]:
    if value is None or _integer(value):
        return None
    return _got(value)


def _clock(value: Any) -> Optional[str]:
    if value is None or callable(value):
        return None
    return _got(value)


def _limit(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not _integer(value) or value < 0:
        return _got(value)
    return None


MAX_RESERVATION_DAYS = 36_500  # a century: far past Twilio's 30 days, far from datetime's end


def _days(value: Any) -> Optional[str]:
    if not _integer(value) or not 0 <= value <= MAX_RESERVATION_DAYS:
        return _got(value)
    return None


def _short(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _credentials(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return f"got a {_kind(value)}"
    if not value:
        return "got an empty mapping, which would refuse every request (None accepts any)"
    for sid, token in value.items():
        if not isinstance(sid, str) or not ACCOUNT_SID.match(sid):
            return f"the key {_short(sid)} is not an account SID (AC and 32 hex digits)"
        if not isinstance(token, str) or not token:
            return f"the auth token of {sid} is not a non-empty string (a {_kind(token)})"
    return None


def _api_keys(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return f"got a {_kind(value)}"
    for key, pair in value.items():
        if not isinstance(key, str) or not key:
            return f"the key {_short(key)} is not an API key SID (a non-empty string, SK...)"
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (tuple, list)) or len(pair) != 2:
            return f"the value of {key} is not an (account SID, secret) pair"
        account, secret = pair
        if not isinstance(account, str) or not ACCOUNT_SID.match(account):
            return f"the account of {key} is not an account SID (AC and 32 hex digits)"
        if not isinstance(secret, str) or not secret:
            return f"the secret of {key} is not a non-empty string (a {_kind(secret)})"
    return None


def _hosts(value: Any) -> Optional[str]:
    from .intercept.routing import HostRules  # the one owner of what a host entry may be

    try:
        HostRules(value)
    except (TypeError, ValueError) as exc:
        prefix = "passthrough_hosts: "
        text = str(exc)
        return text[len(prefix) :] if text.startswith(prefix) else text
    return None


def _transport(value: Any) -> Optional[str]:
    if value is None or value in ("direct", "http"):
        return None
    return _got(value)


KEYWORDS: Dict[str, Keyword] = {
    k.name: k
    for k in (
        Keyword("seed", "an integer or None", _seed),
        Keyword("clock", "a callable returning an aware datetime, or None", _clock),
        Keyword(
            "credentials",
            "a mapping of account SID to auth token, or None (any account, any token)",
            _credentials,
        ),
        Keyword(
            "api_keys", "a mapping of API key SID to (account SID, secret), or None", _api_keys
        ),
        Keyword("max_trunks_per_account", "an integer >= 0, or None (no limit)", _limit),
        Keyword("calls_limit", "an integer >= 0, or None (unbounded)", _limit),
        Keyword("calls_max_bytes", "an integer >= 0, or None (unbounded)", _limit),
        Keyword("calls_max_body", "an integer >= 0, or None (unbounded)", _limit),
        Keyword(
            "domain_reservation_days",
            f"an integer from 0 (off) to {MAX_RESERVATION_DAYS}: days a deleted trunk's "
            "DomainName stays taken",
            _days,
        ),
        Keyword("max_origination_urls_per_trunk", "an integer >= 0, or None (no limit)", _limit),
        Keyword(
            "number_hold_days",
            f"an integer from 0 (off) to {MAX_RESERVATION_DAYS}: days a released phone number "
            "is not for sale",
            _days,
        ),
        Keyword(
            "transport",
            "'direct' (twilio clients answered before any HTTP) or 'http' (through requests "
            "and aiohttp), or None (FAKE_TRUNKING_TRANSPORT, else 'direct')",
            _transport,
        ),
        Keyword(
            "passthrough_hosts", "a list of host names ('api.example.com', '*.example.org')", _hosts
        ),
    )
}


def suggest(name: str, known: Iterable[str]) -> Optional[str]:
    """The known name closest to ``name`` (difflib), or None when nothing is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def check_keywords(
    kwargs: Mapping[str, Any], source: str, known: Optional[Iterable[str]] = None
) -> None:
    """Raise ``KeywordError`` unless every keyword of ``kwargs`` is known and has a good value.

    ``source`` says where the keywords came from (``"@pytest.mark.fake_trunking"``, ``"ini option
    fake_trunking_defaults"``, ``"FakeTrunkingService()"``...); ``known`` is the keywords the
    service accepts (default: the table's). A keyword the service accepts but the table does not
    describe is passed unchecked.
    """
    names = list(known) if known is not None else list(KEYWORDS)
    unknown = sorted(str(k) for k in kwargs if k not in names)
    if unknown:
        hints = [(name, suggest(name, names)) for name in unknown]
        if len(hints) == 1:
            near = repr(hints[0][1]) if hints[0][1] else ""
        else:
            near = ", ".join(f"{hint!r} for {name!r}" for name, hint in hints if hint)
        did_you_mean = f" (did you mean {near}?)" if near else ""
        raise KeywordError(
            f"{source}: unknown keyword(s) {unknown}{did_you_mean}; expected some of {names}"
        )
    for name, value in kwargs.items():
        keyword = KEYWORDS.get(name)
        if keyword is None:
            continue
        problem = keyword.check(value)
        if problem is not None:
            raise KeywordError(f"{source}: {name}: {problem}; expected {keyword.expected}")


def keyword_names(function: Callable[..., Any]) -> List[str]:
    """The keyword-only parameters of ``function`` (a service constructor), in order."""
    params = inspect.signature(function).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def checked(source: str) -> Callable[[F], F]:
    """Decorate a constructor that takes the service keywords: ``check_keywords`` runs first,
    so a typo gets a "did you mean" and a bad value a ``KeywordError`` naming ``source``."""

    def decorate(init: F) -> F:
        known = keyword_names(init)

        @functools.wraps(init)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            check_keywords(kwargs, source, known)
            return init(self, *args, **kwargs)

        return cast(F, wrapper)

    return decorate
