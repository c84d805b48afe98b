"""Inspection without HTTP: assertions over ``fake.calls`` and read-only snapshots of state.

Snapshots are rendered by the resources' own ``render`` (the same code that writes API bodies),
with URLs on ``https://trunking.twilio.com``; they are fresh data, never live state. An unknown
trunk raises the same ``TwilioError`` (404/20404) the API would answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Pattern, Union

from .apis.trunking_v1 import TRUNK, Context, Resource
from .apis.trunking_v1.association import CREDENTIAL_LIST, IP_ACCESS_CONTROL_LIST, PHONE_NUMBER
from .apis.trunking_v1.base import TRUNKS_PATH
from .apis.trunking_v1.origination_url import ORIGINATION_URL
from .apis.trunking_v1.recording import RECORDING
from .core.hosts import DEFAULT_BASE_URL
from .core.store import Account, Store

if TYPE_CHECKING:
    from .core.messages import Call

MAX_LISTED = 30  # calls shown in an assert_called failure


def _strip_v1(path: str) -> str:
    return path[3:] if path.startswith("/v1/") else path


def _path_matcher(path: Union[str, Pattern[str]]) -> Any:
    """``path`` as a predicate over a request path: exact, or a regex over the whole path; both
    forms (with or without ``/v1``) are accepted."""
    if isinstance(path, re.Pattern):
        regex: Optional[Pattern[str]] = path
        exact: Optional[str] = None
    else:
        exact = path
        try:
            regex = re.compile(path)
        except re.error:
            regex = None

    def matches(candidate: str) -> bool:
        for form in (candidate, _strip_v1(candidate)):
            if exact is not None and form == exact:
                return True
            if regex is not None and regex.fullmatch(form) is not None:
                return True
        return False

    return matches


def describe_call(call: Call) -> str:
    line = f"{call.method} {call.path}"
    if call.request.query:
        line += f"?{call.request.query}"
    if call.exception is not None:
        return f"{line} -> raised {type(call.exception).__name__}"
    suffix = " (injected fault)" if call.fault is not None else ""
    return f"{line} -> {call.status}{suffix}"


def describe_calls(calls: List[Call], limit: int = MAX_LISTED) -> str:
    if not calls:
        return "  (no calls)"
    shown = calls[-limit:]
    lines = []
    if len(calls) > limit:
        lines.append(f"  ... {len(calls) - limit} earlier calls not shown")
    first = len(calls) - len(shown) + 1
    lines.extend(f"  {n}. {describe_call(c)}" for n, c in enumerate(shown, first))
    return "\n".join(lines)


def _times(n: int) -> str:
    return "1 time" if n == 1 else f"{n} times"


class Inspection:
    """The inspection part of ``FakeTrunkingService``'s public API."""

    store: Store
    calls: List[Call]
    default_account_sid: str

    # -- calls -------------------------------------------------------------------------
    def assert_called(
        self, method: str, path: Union[str, Pattern[str]], times: Optional[int] = None
    ) -> List[Call]:
        """Assert that ``method path`` was served (``times``: exactly that often); returns those
        calls. ``path`` is exact or a regex over the whole path, with or without ``/v1``.
        A failure lists every call that was served."""
        wanted = method.upper()
        matches = _path_matcher(path)
        calls = list(self.calls)
        found = [c for c in calls if c.method.upper() == wanted and matches(c.path)]
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        shown = path.pattern if isinstance(path, re.Pattern) else path
        expected = "at least once" if times is None else _times(times)
        evicted = getattr(self.calls, "evicted", 0)  # a bounded CallLog forgets the oldest
        note = f", {evicted} older ones no longer logged" if evicted else ""
        raise AssertionError(
            f"expected {wanted} {shown} to be called {expected}, it was called "
            f"{_times(len(found))}; calls served ({len(calls)}{note}):\n{describe_calls(calls)}"
        )

    # -- state snapshots in the API's JSON shape ---------------------------------------------
    def _context(self, account_sid: Optional[str], path: str) -> Context:
        sid = account_sid or self.default_account_sid
        account = self.store.accounts.get(sid) or Account(sid)  # a read never creates an account
        return Context(self.store, account, DEFAULT_BASE_URL, path)

    def _items(
        self, resource: Resource, trunk_sid: Optional[str], account_sid: Optional[str]
    ) -> List[Dict[str, Any]]:
        path = TRUNKS_PATH if trunk_sid is None else f"{TRUNKS_PATH}/{trunk_sid}/{resource.segment}"
        with self.store.lock:
            ctx = self._context(account_sid, path)
            items = resource.collection(ctx, trunk_sid)
            out: List[Dict[str, Any]] = self.store.snapshot_value(
                [resource.render(ctx, record) for record in items]
            )
            return out

    def trunks(self, account_sid: Optional[str] = None) -> List[Dict[str, Any]]:
        """The account's trunks (default: ``default_account_sid``), as the API renders them."""
        return self._items(TRUNK, None, account_sid)

    def origination_urls(
        self, trunk_sid: str, account_sid: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """The trunk's origination URLs, as the API renders them."""
        return self._items(ORIGINATION_URL, trunk_sid, account_sid)

    def credential_lists(
        self, trunk_sid: str, account_sid: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """The credential lists associated with the trunk, as the API renders them."""
        return self._items(CREDENTIAL_LIST, trunk_sid, account_sid)

    def ip_access_control_lists(
        self, trunk_sid: str, account_sid: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """The IP access control lists associated with the trunk, as the API renders them."""
        return self._items(IP_ACCESS_CONTROL_LIST, trunk_sid, account_sid)

    def phone_numbers(
        self, trunk_sid: str, account_sid: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """The phone numbers associated with the trunk, as the API renders them."""
        return self._items(PHONE_NUMBER, trunk_sid, account_sid)

    def recording(self, trunk_sid: str, account_sid: Optional[str] = None) -> Dict[str, Any]:
        """The trunk's recording settings, as the API renders them."""
        with self.store.lock:
            ctx = self._context(account_sid, f"{TRUNKS_PATH}/{trunk_sid}/{RECORDING.segment}")
            out: Dict[str, Any] = RECORDING.render(ctx, RECORDING.get(ctx, trunk_sid, None))
            return out
