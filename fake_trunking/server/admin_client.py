"""``AdminClient``: the ``/__fake__/`` admin endpoints of a fake-trunking server, from Python.

The same operations as the service's Python API (``seed_*``, ``dump_state``/``load_state``,
``reset``, faults, the request log) for a server in another process. Standard library only
(``urllib``); environment proxies are never used (the server is local). A failed call raises the
server's Twilio error as ``TwilioError``; an unreachable server raises ``OSError``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any, Dict, List, Mapping, Optional

from ..core.errors import TwilioError, code_for_status

ADMIN_TOKEN_HEADER = "X-Fake-Trunking-Admin-Token"
ADMIN_TOKEN_ENV = "FAKE_TRUNKING_ADMIN_TOKEN"  # read by ``serve`` and ``AdminClient``


class AdminClient:
    """``admin_token``: the server's ``--admin-token`` (needed when it is bound to an address
    other than loopback), sent as ``X-Fake-Trunking-Admin-Token`` on every call; by default
    ``$FAKE_TRUNKING_ADMIN_TOKEN`` when set (so ``fake-trunking demo --server`` and scripts
    reach such a server with no new option)."""

    def __init__(
        self, base_url: str, timeout: float = 30.0, admin_token: Optional[str] = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        if admin_token is None:
            admin_token = os.environ.get(ADMIN_TOKEN_ENV) or None
        self.admin_token = admin_token
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        """``method /__fake__<path>`` with a JSON ``body``; the parsed JSON answer."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/__fake__{path}", data=data, method=method
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.admin_token is not None:
            request.add_header(ADMIN_TOKEN_HEADER, self.admin_token)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                raw = exc.read()
            try:
                payload = json.loads(raw)
                error = TwilioError(
                    int(payload["status"]), int(payload["code"]), payload["message"]
                )
            except (ValueError, KeyError, TypeError):
                error = TwilioError(
                    exc.code, code_for_status(exc.code), raw[:200].decode("utf-8", "replace")
                )
            raise error from None

    # -- state -----------------------------------------------------------------------------
    def info(self) -> Dict[str, Any]:
        """Version, default account, whether credentials are checked, the endpoints."""
        return dict(self.call("GET", "/"))

    def reset(self) -> None:
        self.call("POST", "/reset")

    def dump_state(self) -> Dict[str, Any]:
        return dict(self.call("GET", "/state"))

    def load_state(self, snapshot: Mapping[str, Any]) -> None:
        self.call("PUT", "/state", snapshot)

    # -- seeding ---------------------------------------------------------------------------
    def seed_trunks(
        self, account_sid: Optional[str] = None, count: int = 1, **fields: Any
    ) -> List[str]:
        body = {"account_sid": account_sid, "count": count, **fields}
        return list(self.call("POST", "/seed/trunks", body)["sids"])

    def seed_credential_list(
        self, account_sid: Optional[str] = None, friendly_name: Optional[str] = None
    ) -> str:
        body = {"account_sid": account_sid, "friendly_name": friendly_name}
        return str(self.call("POST", "/seed/credential_lists", body)["sid"])

    def seed_ip_access_control_list(
        self, account_sid: Optional[str] = None, friendly_name: Optional[str] = None
    ) -> str:
        body = {"account_sid": account_sid, "friendly_name": friendly_name}
        return str(self.call("POST", "/seed/ip_access_control_lists", body)["sid"])

    def seed_phone_number(
        self,
        account_sid: Optional[str] = None,
        phone_number: Optional[str] = None,
        friendly_name: Optional[str] = None,
        **fields: Any,
    ) -> str:
        body = {
            "account_sid": account_sid,
            "phone_number": phone_number,
            "friendly_name": friendly_name,
            **fields,
        }
        return str(self.call("POST", "/seed/phone_numbers", body)["sid"])

    # -- request log and faults ------------------------------------------------------------
    def requests(
        self, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """The request log: all of it, the last ``limit`` calls, or (with ``offset``) at most
        ``limit`` calls from call number ``offset`` on (each call's ``index``)."""
        return list(self.requests_page(limit, offset)["requests"])

    def requests_page(
        self, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> Dict[str, Any]:
        """One page of the request log: ``{"requests", "offset", "next_offset"}``; pass
        ``next_offset`` as the next ``offset`` to walk the log page by page."""
        params = [(k, int(v)) for k, v in (("limit", limit), ("offset", offset)) if v is not None]
        query = "?" + "&".join(f"{k}={v}" for k, v in params) if params else ""
        return dict(self.call("GET", f"/requests{query}"))

    def clear_requests(self) -> None:
        self.call("DELETE", "/requests")

    def faults(self) -> List[Dict[str, Any]]:
        return list(self.call("GET", "/faults")["faults"])

    def inject_fault(self, status: Optional[int] = None, **kwargs: Any) -> Dict[str, Any]:
        """As ``fake.inject_fault``; ``exception`` is a class name (``"ConnectionError"``)."""
        if isinstance(kwargs.get("exception"), type):
            kwargs["exception"] = kwargs["exception"].__name__
        return dict(self.call("POST", "/faults", {"status": status, **kwargs}))

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")


__all__ = ["ADMIN_TOKEN_ENV", "ADMIN_TOKEN_HEADER", "AdminClient"]
