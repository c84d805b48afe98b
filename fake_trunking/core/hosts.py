"""The hosts the fake serves and what counts as loopback: one owner for both rules.

Every way in asks these: the requests and aiohttp interceptions (which URLs the fake answers, which
never leave the machine), the server (``client_for``'s base URL), cassette recording (which base URL
may be recorded) and the network block (which names need no resolver).

Two Twilio APIs are served, each on its own host family (``api_of`` names which one a URL is on):
Trunking v1 on ``trunking[.<edge>][.<region>].twilio.com`` and API v2010 on
``api[.<edge>][.<region>].twilio.com`` (the forms twilio-python's ``get_hostname`` builds).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional

DEFAULT_BASE_URL = "https://trunking.twilio.com"
V2010_BASE_URL = "https://api.twilio.com"

TRUNKING_V1 = "trunking_v1"  # the names ``api_of`` answers
API_V2010 = "api_v2010"

_TAIL = r"(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com(?::[0-9]+)?(?:[/?#]|\Z)"

# the hosts of the Trunking API: trunking.twilio.com and trunking[.<edge>][.<region>].twilio.com
TRUNKING_HOST_RE = re.compile(r"https?://trunking" + _TAIL, re.IGNORECASE)
# the hosts of API v2010: api.twilio.com and api[.<edge>][.<region>].twilio.com
V2010_HOST_RE = re.compile(r"https?://api" + _TAIL, re.IGNORECASE)
# every host the fake serves (either API): what the interceptions answer
HOST_RE = re.compile(r"https?://(trunking|api)" + _TAIL, re.IGNORECASE)


def api_of(url: str) -> Optional[str]:
    """``TRUNKING_V1`` or ``API_V2010`` for a URL on that API's hosts; None for any other URL."""
    match = HOST_RE.match(url)
    if match is None:
        return None
    return TRUNKING_V1 if match.group(1).lower() == "trunking" else API_V2010


def is_served_url(url: str) -> bool:
    """True for a URL on a host the fake serves (either API, any edge and region, http or
    https, any port)."""
    return HOST_RE.match(url) is not None


def is_trunking_url(url: str) -> bool:
    """True for a URL on a Trunking host (any edge and region, http or https, any port)."""
    return TRUNKING_HOST_RE.match(url) is not None


def is_loopback_host(host: Optional[str]) -> bool:
    """True for ``localhost``, ``*.localhost``, ``127.0.0.0/8`` and ``::1`` (any case)."""
    if not host:
        return False
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
