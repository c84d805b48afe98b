"""The process-wide stack of started fakes, and the rules every interception applies.

Each way in (``requests`` in ``responses_mock``, aiohttp in ``aiohttp_mock``) keeps one ``Stack``
of the targets started on it (fakes, cassette replayers). A ``Stack`` installs its interception
when the first target is pushed and removes it when the last one is removed, whatever the order;
all the stacks share one lock (``LOCK``), so a fake started on both ways in is pushed on both
at once.

The rules, in ``route``, for a request while any target is started:

- a URL of a served Twilio API (``HOST_RE``: Trunking v1 and API v2010) is answered by the most
  recently started target still started (``Stack.top``); a stopped target never answers;
- loopback (``network.is_loopback_host``) goes through to what is under the interception, without
  any proxy: it never leaves the machine;
- a host in that target's ``passthrough_hosts`` goes through to what is under the interception: the
  user's own mock (vcrpy, responses, requests-mock, aioresponses), or the network if nothing is;
- when the interception was installed over another mock (``hand_off``), every other host goes to
  it too (the user stacked it there to answer them);
- anything else is refused with ``refusal``: one line naming the host, saying that fake-trunking
  does not serve it and how to let it through.
"""

from __future__ import annotations

import re
import threading
from typing import Callable, FrozenSet, Iterable, List, Optional, Protocol, Tuple
from urllib.parse import urlsplit

from ..core.hosts import is_loopback_host, is_served_url
from ..core.messages import Request, Response

__all__ = [
    "LOCK",
    "PASSTHROUGH_KEYWORD",
    "Handles",
    "HostRules",
    "Stack",
    "is_loopback_url",
    "refusal",
    "route",
]

LOCK = threading.RLock()  # every stack's pushes and removals, installs and uninstalls
PASSTHROUGH_KEYWORD = "passthrough_hosts"

TRUNKING, LOOPBACK, PASS, REFUSE = "trunking", "loopback", "pass", "refuse"


class Handles(Protocol):
    """Anything that answers a ``Request``: the fake, a cassette replayer, a test double."""

    def handle(self, request: Request) -> Response: ...


class HostRules:
    """The hosts a fake lets through (``passthrough_hosts``): exact names, ``*.suffix`` for any
    subdomain of ``suffix`` (not ``suffix`` itself), or ``*`` for every host. Case-insensitive.

    Matching costs one set lookup per label of the host (linear in its length, whatever the
    number of rules): no regular expressions, so no pattern can be slow.
    """

    def __init__(self, hosts: Iterable[str] = ()) -> None:
        if isinstance(hosts, (str, bytes)) or not isinstance(hosts, Iterable):
            raise TypeError(
                f"{PASSTHROUGH_KEYWORD} must be a list of host names, not {hosts!r} "
                f"(e.g. {PASSTHROUGH_KEYWORD}=['api.example.com', '*.example.org'])"
            )
        exact: List[str] = []
        suffixes: List[str] = []
        every = False
        for raw in hosts:
            host = _valid_host(raw)
            if host == "*":
                every = True
            elif host.startswith("*."):
                suffixes.append(host[2:])
            else:
                exact.append(host)
        self.every = every
        self.exact: FrozenSet[str] = frozenset(exact)
        self.suffixes: FrozenSet[str] = frozenset(suffixes)
        self.hosts: Tuple[str, ...] = tuple(
            (["*"] if every else []) + sorted(exact) + sorted(f"*.{s}" for s in suffixes)
        )

    def __bool__(self) -> bool:
        return bool(self.hosts)

    def __repr__(self) -> str:
        return f"HostRules({list(self.hosts)!r})"

    def allows(self, host: str) -> bool:
        if self.every:
            return True
        name = host.lower().rstrip(".")
        if name in self.exact:
            return True
        dot = name.find(".")
        while dot != -1:
            if name[dot + 1 :] in self.suffixes:
                return True
            dot = name.find(".", dot + 1)
        return False


_HOST_CHARS = re.compile(r"(?:\*\.)?[a-z0-9_.:-]+\Z")


def _valid_host(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"{PASSTHROUGH_KEYWORD}: expected host names (str), got {raw!r}")
    host = raw.strip().lower().rstrip(".")
    if host == "*":
        return host
    if "://" in host or "/" in host:
        name = urlsplit(host if "://" in host else f"//{host}").hostname or host
        raise ValueError(
            f"{PASSTHROUGH_KEYWORD}: {raw!r} is a URL; give the host name alone ({name!r})"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not _HOST_CHARS.match(host) or "*" in host[2:]:
        raise ValueError(
            f"{PASSTHROUGH_KEYWORD}: {raw!r} is not a host name, '*.domain' or '*' "
            "(no scheme, port or path)"
        )
    return host


NO_HOSTS = HostRules()


class Entry:
    """One started target on one stack."""

    __slots__ = ("passthrough", "target")

    def __init__(self, target: Handles, passthrough: HostRules) -> None:
        self.target = target
        self.passthrough = passthrough


class Stack:
    """The targets started on one interception, most recent last (see the module doc)."""

    def __init__(self, install: Callable[[], None], uninstall: Callable[[], None]) -> None:
        self._install = install
        self._uninstall = uninstall
        self._entries: List[Entry] = []

    def push(self, target: Handles, passthrough: Optional[HostRules] = None) -> Entry:
        """Start answering with ``target`` (installing the interception for the first one)."""
        if passthrough is None:
            found = getattr(target, PASSTHROUGH_KEYWORD, None)
            passthrough = found if isinstance(found, HostRules) else NO_HOSTS
        entry = Entry(target, passthrough)
        with LOCK:
            if not self._entries:
                self._install()  # raises before anything is pushed
            self._entries = [*self._entries, entry]
        return entry

    def remove(self, entry: Entry) -> None:
        """Stop answering with ``entry`` (uninstalling after the last one); idempotent."""
        with LOCK:
            if any(e is entry for e in self._entries):
                self._entries = [e for e in self._entries if e is not entry]
                if not self._entries:
                    self._uninstall()

    def top(self) -> Optional[Entry]:
        """The most recently started entry still started, or None."""
        entries = self._entries  # replaced, never mutated: safe to read without the lock
        return entries[-1] if entries else None

    def __len__(self) -> int:
        return len(self._entries)


def is_loopback_url(url: str) -> bool:
    """Is ``url``'s host loopback (``network.is_loopback_host``)?"""
    try:
        return is_loopback_host(urlsplit(url).hostname)
    except ValueError:
        return False


def route(url: str, entry: Optional[Entry], hand_off: bool) -> str:
    """``TRUNKING``, ``LOOPBACK``, ``PASS`` or ``REFUSE`` for ``url`` (see the module doc)."""
    if is_served_url(url):
        return TRUNKING
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return REFUSE
    if is_loopback_host(host):
        return LOOPBACK
    if hand_off or (entry is not None and entry.passthrough.allows(host)):
        return PASS
    return REFUSE


def refusal(method: str, url: str) -> str:
    """The one-line refusal of ``method url``: names the host and the way to let it through."""
    try:
        host = urlsplit(url).hostname or url
    except ValueError:
        host = url
    if host == "twilio.com" or host.endswith(".twilio.com"):
        served = (
            f"{host} is a Twilio API that fake-trunking does not fake (it serves only "
            "trunking[.<edge>][.<region>].twilio.com and api[.<edge>][.<region>].twilio.com)"
        )
    else:
        served = f"fake-trunking does not serve {host}"
    return (
        f"fake-trunking: {method.upper()} {url} refused: {served}, so nothing was sent. To let it "
        f"through to a mock under the fake (vcrpy, responses, requests-mock) or to the network, "
        f"start the fake with {PASSTHROUGH_KEYWORD}=[{host!r}]"
    )
