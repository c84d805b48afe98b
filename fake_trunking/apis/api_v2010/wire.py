"""The API v2010 wire format: one owner for how v2010 differs from Trunking v1.

- Paths: ``/2010-04-01/Accounts/{AccountSid}/...`` ending in ``.json`` (``PREFIX``,
  ``account_uri``).
- Dates: RFC 2822 in GMT, ``Wed, 19 Aug 2015 19:48:45 +0000`` (``rfc2822``), rendered from the
  store's dates (kept as ISO 8601 UTC, because the same object is shown by Trunking v1 too).
- Links: ``uri`` relative to the host, with ``.json``; ``subresource_uris`` likewise.
- Lists: ``first_page_uri``, ``next_page_uri``, ``previous_page_uri``, ``page``, ``page_size``,
  ``start``, ``end``, ``uri`` and the collection key at the top level, no ``meta``
  (``list_envelope``); the spec's own examples show ``start`` and ``end`` both 0 for an empty
  page and for a page of one item, so ``end`` is the index of the page's last item (``start``
  when the page is empty).
  Paging is the core ``Collection``'s (``PA<sid>``/``PB<sid>`` tokens), like Trunking's: a page
  costs O(page size) and a walk is stable under writes.
- Errors: the same ``{"code", "message", "more_info", "status"}`` body; 20404's message names the
  path as sent, ``/2010-04-01`` included (``errors.not_found``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import quote

from ...core.collection import Record
from ...core.jsontext import COLON, COMMA, encode
from ...core.store import DATE_FORMAT

PREFIX = "/2010-04-01"
ACCOUNTS = f"{PREFIX}/Accounts"
SUFFIX = ".json"
API_VERSION = "2010-04-01"


@lru_cache(maxsize=4096)
def rfc2822(stored: Optional[str]) -> Optional[str]:
    """The store's ISO 8601 UTC date (``2015-08-19T19:48:45Z``) as v2010 shows it
    (``Wed, 19 Aug 2015 19:48:45 +0000``); None stays None. Locale-independent."""
    if stored is None:
        return None
    moment = datetime.strptime(stored, DATE_FORMAT).replace(tzinfo=timezone.utc)
    return format_datetime(moment)


def account_uri(account_sid: str) -> str:
    """``/2010-04-01/Accounts/{AccountSid}``: the base of every path under an account."""
    return f"{ACCOUNTS}/{account_sid}"


def json_uri(path: str) -> str:
    """``path`` + ``.json``: how v2010 names a resource or a list."""
    return path + SUFFIX


def list_fields(
    list_path: str,
    size: int,
    page: int,
    token: Optional[str],
    records: List[Record],
    has_previous: bool,
    has_next: bool,
    filters: Mapping[str, str] = MappingProxyType({}),
) -> Dict[str, Any]:
    """The top-level fields of one v2010 list page beside its items (the paging ``*_uri``s).

    ``list_path`` is the list's path as requested (``.../SIP/CredentialLists.json``); every
    ``*_uri`` is relative to the host, like the spec's examples, and keeps the list's
    ``filters`` (their wire names and texts, before the paging parameters, as Twilio's do).
    """
    query = "".join(f"{quote(k, safe='')}={quote(v, safe='')}&" for k, v in filters.items())
    base = f"{list_path}?{query}PageSize={size}&Page="
    uri = f"{base}{page}"
    if token is not None:
        uri += "&PageToken=" + quote(token, safe="")
    start = page * size
    end = start + max(len(records) - 1, 0)
    return {
        "first_page_uri": f"{base}0",
        "end": end,
        "previous_page_uri": (
            f"{base}{max(page - 1, 0)}&PageToken=PB{records[0]['sid']}" if has_previous else None
        ),
        "uri": uri,
        "page_size": size,
        "start": start,
        "next_page_uri": (
            f"{base}{page + 1}&PageToken=PA{records[-1]['sid']}" if has_next else None
        ),
        "page": page,
    }


def list_envelope(
    key: str,
    items_json: str,
    list_path: str,
    size: int,
    page: int,
    token: Optional[str],
    records: List[Record],
    has_previous: bool,
    has_next: bool,
    filters: Mapping[str, str] = MappingProxyType({}),
) -> str:
    """The JSON text of one v2010 list page (``items_json``: the page's items, encoded; the
    other fields ``list_fields``)."""
    meta = encode(
        list_fields(list_path, size, page, token, records, has_previous, has_next, filters)
    )
    return f'{{"{key}"{COLON}[{items_json}]{COMMA}{meta[1:]}'
