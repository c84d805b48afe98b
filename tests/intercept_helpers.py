"""Helpers for the interception tests (tests/test_intercept_*.py): a network guard, patch points."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List

import aiohttp
import aiohttp.client
import responses
from requests.adapters import HTTPAdapter

from fake_trunking.core.hosts import is_loopback_host

TRUNKS = "https://trunking.twilio.com/v1/Trunks"


def patch_points() -> Dict[str, Any]:
    """What the interceptions patch, to compare before and after."""
    return {
        "HTTPAdapter.send": HTTPAdapter.send,
        "RequestsMock._find_match": responses.RequestsMock._find_match,
        "ClientSession._request": aiohttp.ClientSession._request,
        "get_env_proxy_for_url": getattr(aiohttp.client, "get_env_proxy_for_url", None),
    }


def unpatched() -> bool:
    """Is ``requests`` on its real transport again (and aiohttp on its own ``_request``)?"""
    request = aiohttp.ClientSession._request
    return (
        HTTPAdapter.send is responses._real_send
        and getattr(request, "__module__", None) == "aiohttp.client"
        and getattr(request, "__qualname__", None) == "ClientSession._request"
    )


@contextmanager
def no_network() -> Iterator[List[Any]]:
    """Refuse (and record) every name lookup or connection that is not loopback."""
    attempts: List[Any] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback_host(name):
            attempts.append(("getaddrinfo", name))
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not is_loopback_host(str(address[0])):
            attempts.append(("connect", address))
            raise OSError(f"test guard: no connection to {address}")
        real_connect(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect  # type: ignore[method-assign]
