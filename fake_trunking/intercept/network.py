"""What is local, and the socket-level network block (``--trunking-block-network``).

``is_loopback_host`` is the one rule for "this host never leaves the machine", used by the
``requests`` and aiohttp interceptions (loopback goes through, without any proxy) and by the
block below (loopback is never blocked). Loopback is ``localhost``, any ``*.localhost`` name
(RFC 6761 reserves them for loopback), ``127.0.0.0/8`` and ``::1``; ``[::1]`` and a trailing dot
are accepted. Names that only ``/etc/hosts`` makes local (``localhost.localdomain``) are not
loopback: resolving them could reach a DNS server.

``block(allow)`` patches ``socket.getaddrinfo``, ``socket.gethostbyname(_ex)`` and
``socket.socket.connect``/``connect_ex`` for the whole process, like pytest-recording's
``--block-network``: a name or address that is not loopback and that ``allow(host)`` rejects
raises ``NetworkBlockedError`` naming it, *before* any name lookup (so no DNS query is sent for
it) or connection. Loopback names resolve locally (``127.0.0.1`` / ``::1``, no resolver call). An
allowed name resolves as usual and its addresses are remembered, so connecting to them is allowed
too. ``socket.create_connection`` and asyncio's resolver go through these functions and are
covered; a resolver that bypasses ``socket.getaddrinfo`` (``aiodns``) still meets the
``connect`` block. ``NetworkBlockedError`` is a ``RuntimeError``, not an ``OSError``, on purpose:
code that treats network errors as "service down, carry on" must not swallow it.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any, Callable, Dict, Optional, Set

from ..core.hosts import is_loopback_host

__all__ = ["NetworkBlockedError", "block", "blocked", "is_loopback_host", "unblock"]


class NetworkBlockedError(RuntimeError):
    """A connection or name lookup refused by ``--trunking-block-network``."""


_lock = threading.Lock()
_originals: Dict[str, Any] = {}  # name -> the function replaced, while blocked
_allow: Callable[[str], bool] = lambda host: False  # noqa: E731
_allowed_addresses: Set[str] = set()  # what allowed names resolved to

MESSAGE = (
    "fake-trunking: network blocked (--trunking-block-network): {what} {host!r} refused; "
    "only loopback{extra} is reachable in this test run"
)


def blocked() -> bool:
    """Is the block installed?"""
    return bool(_originals)


def _text(host: Any) -> str:
    if isinstance(host, (bytes, bytearray)):
        return bytes(host).decode("ascii", "replace")
    return str(host)


def _refuse(what: str, host: str) -> NetworkBlockedError:
    extra = " and the Twilio hosts fake-trunking serves" if _allow("trunking.twilio.com") else ""
    return NetworkBlockedError(MESSAGE.format(what=what, host=host, extra=extra))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _name_allowed(host: str) -> bool:
    return is_loopback_host(host) or _allow(host.lower().rstrip("."))


def _local_answers(port: Any, family: int, type_: int, proto: int, flags: int) -> Any:
    """``getaddrinfo`` of a loopback name, answered from the numeric loopback addresses."""
    original = _originals["getaddrinfo"]
    flags |= socket.AI_NUMERICHOST
    out = []
    for want, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        if family not in (0, want) or (want == socket.AF_INET6 and not socket.has_ipv6):
            continue
        try:
            out.extend(original(address, port, want, type_, proto, flags))
        except OSError:
            continue  # no IPv6 on this machine
    if not out:
        raise socket.gaierror(socket.EAI_NONAME, "no loopback address for this family")
    return out


def _getaddrinfo(
    host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> Any:
    original = _originals["getaddrinfo"]
    if host is None:  # a passive (bind) lookup: no name involved
        return original(host, port, family, type, proto, flags)
    name = _text(host)
    if is_loopback_host(name):
        if _is_address(name):
            return original(host, port, family, type, proto, flags)
        return _local_answers(port, family, type, proto, flags)
    if not _allow(name.lower().rstrip(".")):
        raise _refuse("connection to" if _is_address(name) else "name lookup of", name)
    answers = original(host, port, family, type, proto, flags)
    with _lock:
        _allowed_addresses.update(str(info[4][0]) for info in answers)
    return answers


def _gethostbyname(host: Any) -> Any:
    name = _text(host)
    if is_loopback_host(name):
        return "127.0.0.1"
    if not _allow(name.lower().rstrip(".")):
        raise _refuse("name lookup of", name)
    return _originals["gethostbyname"](host)


def _gethostbyname_ex(host: Any) -> Any:
    name = _text(host)
    if not _name_allowed(name):
        raise _refuse("name lookup of", name)
    return _originals["gethostbyname_ex"](host)


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # AF_UNIX and friends never leave the machine
    host = _text(address[0]) if isinstance(address, tuple) and address else _text(address)
    if is_loopback_host(host) or host in _allowed_addresses:
        return
    if _is_address(host):
        if _allow(host):
            return
    elif _name_allowed(host):  # a name: connect() would resolve it itself
        return
    raise _refuse("connection to", host)


def _connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _originals["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    result: int = _originals["connect_ex"](self, address)
    return result


def block(allow: Optional[Callable[[str], bool]] = None) -> None:
    """Block every non-loopback lookup and connection, except hosts ``allow`` accepts
    (a lower-cased host name or address). Calling it again replaces ``allow``."""
    global _allow
    with _lock:
        _allow = allow or (lambda host: False)
        if _originals:
            return
        _originals.update(
            getaddrinfo=socket.getaddrinfo,
            gethostbyname=socket.gethostbyname,
            gethostbyname_ex=socket.gethostbyname_ex,
            connect=socket.socket.connect,
            connect_ex=socket.socket.connect_ex,
        )
        socket.getaddrinfo = _getaddrinfo
        socket.gethostbyname = _gethostbyname
        socket.gethostbyname_ex = _gethostbyname_ex
        setattr(socket.socket, "connect", _connect)  # noqa: B010
        setattr(socket.socket, "connect_ex", _connect_ex)  # noqa: B010


def unblock() -> None:
    """Undo ``block`` (a no-op when not blocked)."""
    global _allow
    with _lock:
        if not _originals:
            return
        socket.getaddrinfo = _originals["getaddrinfo"]
        socket.gethostbyname = _originals["gethostbyname"]
        socket.gethostbyname_ex = _originals["gethostbyname_ex"]
        setattr(socket.socket, "connect", _originals["connect"])  # noqa: B010
        setattr(socket.socket, "connect_ex", _originals["connect_ex"])  # noqa: B010
        _originals.clear()
        _allowed_addresses.clear()
        _allow = lambda host: False  # noqa: E731
