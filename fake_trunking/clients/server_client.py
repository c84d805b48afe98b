"""``client_for``: a real ``twilio.rest.Client`` whose Trunking calls go to a fake-trunking server.

It plugs into the client's supported extension point, ``Client(http_client=...)``: the
``ServerHttpClient`` below is a ``TwilioHttpClient`` that rewrites ``https://trunking[.edge]
[.region].twilio.com`` to the server's base URL and otherwise behaves exactly like its parent (the
same session, hooks, timeouts, retries and logging). The server's ``url``/``meta`` URLs are already
absolute on its base URL, so ``next_page_url`` walks stay on the server.

Requests to the server bypass any ``HTTP(S)_PROXY`` from the environment: the server is local.
This module imports ``twilio``; ``import fake_trunking`` does not import it.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from ..core.hosts import HOST_RE


def normalize_base_url(base_url: str) -> str:
    """``http(s)://host[:port]`` without a trailing slash; ValueError for anything else."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be http(s)://host[:port], not {base_url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"base_url must have no path or query: {base_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


class _DirectAdapter(HTTPAdapter):
    """An adapter that never uses a proxy (mounted for the server's base URL only)."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


class ServerHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """A ``TwilioHttpClient`` that sends Twilio Trunking URLs to ``base_url`` instead."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = normalize_base_url(base_url)
        self.request_count = 0  # requests made through ``request`` (retries below it not counted)
        self._count_lock = threading.Lock()
        if self.session is not None:
            retries = kwargs.get("max_retries")
            adapter = _DirectAdapter(max_retries=retries if retries is not None else 0)
            self.session.mount(self.base_url + "/", adapter)

    def rewrite(self, url: str) -> str:
        """``url`` on the server when it is a Trunking URL; any other URL unchanged."""
        if not HOST_RE.match(url):
            return url
        parts = urlsplit(url)
        return self.base_url + url[len(f"{parts.scheme}://{parts.netloc}") :]

    def request(
        self,
        method: str,
        url: str,
        params: Optional[Dict[str, object]] = None,
        data: Optional[Dict[str, object]] = None,
        headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout: Optional[float] = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        with self._count_lock:
            self.request_count += 1
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def client_for(
    base_url: str,
    account_sid: str,
    auth_token: str,
    *,
    timeout: Optional[float] = None,
    max_retries: Optional[int] = None,
    **client_kwargs: Any,
) -> Client:
    """A ``twilio.rest.Client`` for ``account_sid``/``auth_token`` whose Trunking calls go to the
    fake-trunking server at ``base_url`` (``http://127.0.0.1:PORT``).

    ``timeout`` and ``max_retries`` configure its ``TwilioHttpClient``; other keywords go to
    ``Client`` (``user_agent_extensions``…; not ``edge``/``region``, which would rewrite the
    server's own page URLs; ``TWILIO_EDGE``/``TWILIO_REGION`` in the environment are ignored
    for the same reason).
    """
    if "http_client" in client_kwargs:
        raise TypeError("client_for makes its own http_client; do not pass one")
    if client_kwargs.get("edge") or client_kwargs.get("region"):
        # Client.get_hostname would rewrite the server's own next_page_url host too
        raise ValueError("edge and region do not apply to a fake-trunking server")
    http_client = ServerHttpClient(base_url, timeout=timeout, max_retries=max_retries)
    client = Client(account_sid, auth_token, http_client=http_client, **client_kwargs)
    # ``Client`` also takes edge and region from TWILIO_EDGE/TWILIO_REGION in the environment;
    # either would rewrite the server's own next_page_url (``127.au1.0.1``): cleared here, for
    # this client only (the environment is left alone)
    client.edge = None
    client.region = None
    return client


__all__ = ["ServerHttpClient", "client_for", "normalize_base_url"]
