"""The hosts the fake serves and what counts as loopback: one owner for both rules.

Every way in asks these: the requests and aiohttp interceptions (which URLs the fake answers, which
never leave the machine), the server (``client_for``'s base URL), the proxy mode (which ``CONNECT``
targets it accepts), cassette recording (which base URL may be recorded) and the network block
(which names need no resolver).

Two Twilio APIs are served, each on its own host family (``api_of`` names which one a URL is on):
Trunking v1 on ``trunking[.<edge>][.<region>].twilio.com`` and API v2010 on
``api[.<edge>][.<region>].twilio.com`` (the forms twilio-python's ``get_hostname`` builds).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Dict, Optional

DEFAULT_BASE_URL = "https://trunking.twilio.com"
V2010_BASE_URL = "https://api.twilio.com"

TRUNKING_V1 = "trunking_v1"  # the names ``api_of`` answers
API_V2010 = "api_v2010"

# The host names the fake serves, as regular expressions: every rule below is built from this one
# tuple (a new API adds its host here, and the interceptions, the server and the proxy follow).
_EDGE_REGION = r"(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com"
SERVED_HOST_PATTERNS = (
    r"trunking" + _EDGE_REGION,  # Trunking v1: trunking[.<edge>][.<region>].twilio.com
    r"api" + _EDGE_REGION,  # API v2010: api[.<edge>][.<region>].twilio.com
)
_SERVED = "|".join(SERVED_HOST_PATTERNS)
_PORT_END = r"(?::[0-9]+)?(?:[/?#]|\Z)"

# the hosts of each API, as URLs (http or https, any port)
TRUNKING_HOST_RE = re.compile(r"https?://" + SERVED_HOST_PATTERNS[0] + _PORT_END, re.IGNORECASE)
V2010_HOST_RE = re.compile(r"https?://" + SERVED_HOST_PATTERNS[1] + _PORT_END, re.IGNORECASE)
# a URL on any served host: what the interceptions answer
HOST_RE = re.compile(rf"https?://(?:{_SERVED}){_PORT_END}", re.IGNORECASE)
# a served host name alone (no scheme, no port)
HOST_NAME_RE = re.compile(rf"(?:{_SERVED})\Z", re.IGNORECASE)


def api_of(url: str) -> Optional[str]:
    """``TRUNKING_V1`` or ``API_V2010`` for a URL on that API's hosts; None for any other URL."""
    if TRUNKING_HOST_RE.match(url) is not None:
        return TRUNKING_V1
    if V2010_HOST_RE.match(url) is not None:
        return API_V2010
    return None


_BASE_APIS: Dict[str, Optional[str]] = {}


def api_of_base(base_url: str) -> Optional[str]:
    """``api_of`` for a request's ``scheme://host[:port]`` (the handler asks on every request;
    the answers for the few bases a process sees are kept, up to 256)."""
    if base_url in _BASE_APIS:
        return _BASE_APIS[base_url]
    found = api_of(base_url + "/")
    if len(_BASE_APIS) >= 256:
        _BASE_APIS.clear()
    _BASE_APIS[base_url] = found
    return found


def is_served_url(url: str) -> bool:
    """True for a URL on a host the fake serves (either API, any edge and region, http or
    https, any port)."""
    return HOST_RE.match(url) is not None


def is_trunking_url(url: str) -> bool:
    """True for a URL on a Trunking host (any edge and region, http or https, any port)."""
    return TRUNKING_HOST_RE.match(url) is not None


def is_served_host(name: str) -> bool:
    """True for a host name the fake serves (``trunking[.edge][.region].twilio.com`` or
    ``api[.edge][.region].twilio.com``, any case; no port, no trailing dot). The proxy mode
    accepts ``CONNECT`` for exactly these names, so a host added to ``SERVED_HOST_PATTERNS`` is
    accepted there too."""
    return HOST_NAME_RE.match(name) is not None


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
