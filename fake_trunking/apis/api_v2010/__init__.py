"""API v2010 (``api.twilio.com/2010-04-01``): the resources trunk provisioning uses, one module
each, on the wire format of ``wire``, and the route table built from them.

``route`` maps a request path to ``(resource, path account SID, parent SID, item SID,
is_collection)``; the handler checks that the path's account is the caller's, then operates the
resource exactly as it operates a Trunking one. To add a resource: write a module with a
``Resource`` subclass (``base``), instantiate it, and add the instance to ``RESOURCES`` here.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ...core import errors
from ...core.ids import ACCOUNT_SID
from . import wire
from .available_phone_number import COUNTRY, TYPE_LISTS
from .base import Context, NestedResource, RegistryResource, Resource
from .credential_list import CREDENTIAL_LIST
from .incoming_phone_number import INCOMING_PHONE_NUMBER, LOCAL, MOBILE, TOLL_FREE

# every v2010 resource the fake serves; ``route`` is built from their declarations
RESOURCES: Tuple[Resource, ...] = (
    CREDENTIAL_LIST,
    INCOMING_PHONE_NUMBER,
    LOCAL,
    MOBILE,
    TOLL_FREE,
    COUNTRY,
    *TYPE_LISTS,
)

Route = Tuple[Resource, str, Optional[str], Optional[str], bool]

# (segments between the account and the item SID, parent kind or None) -> resource. A nested
# resource's key holds its parent's segments, "*" for the parent's SID, then its own segments.
_TABLE: Dict[Tuple[str, ...], Resource] = {}


def _build() -> None:
    _TABLE.clear()
    for resource in RESOURCES:
        _TABLE[_shape(resource)] = resource


def _shape(resource: Resource) -> Tuple[str, ...]:
    if resource.parent is None:
        return tuple(resource.segments)
    return (*_shape(resource.parent), "*", *resource.segments)


_build()


def route(path: str) -> Route:
    """``(resource, account sid, parent sid, item sid, is_collection)`` for a v2010 path, or
    404/20404 naming the path. Paths end in ``.json``; the account segment must be an ``AC``
    SID and every SID segment must have its resource's prefix."""
    if not path.endswith(wire.SUFFIX) or not path.startswith(wire.ACCOUNTS + "/"):
        raise errors.not_found(path)
    parts = path[len(wire.ACCOUNTS) + 1 : -len(wire.SUFFIX)].split("/")
    account_sid = parts[0]
    if ACCOUNT_SID.match(account_sid) is None:
        raise errors.not_found(path)
    rest = parts[1:]
    if not rest:
        found = _TABLE.get(())
        if found is not None:
            return found, account_sid, None, account_sid, False
        raise errors.not_found(path)
    # try the path as a list, then as an instance (its last segment the item SID)
    for is_collection in (True, False):
        segs = rest if is_collection else rest[:-1]
        sids: List[str] = []
        shape: List[str] = []
        for seg in segs:
            # a SID, or an ISO country code (``AvailablePhoneNumbers/US/Local``)
            sid_like = len(seg) == 34 and seg[:2].isalpha() and seg[:2].isupper()
            if sid_like or (len(seg) == 2 and seg.isalpha() and seg.isupper()):
                sids.append(seg)
                shape.append("*")
            else:
                shape.append(seg)
        resource = _TABLE.get(tuple(shape))
        if resource is None:
            continue
        parent = sids[-1] if sids else None
        if resource.parent is not None and (
            parent is None or not resource.parent.valid_sid(parent)
        ):
            break
        if is_collection:
            if resource.key is None:
                break
            return resource, account_sid, parent, None, True
        sid = rest[-1]
        if not resource.valid_sid(sid):
            break
        return resource, account_sid, parent, sid, False
    raise errors.not_found(path)


__all__ = [
    "RESOURCES",
    "Context",
    "NestedResource",
    "RegistryResource",
    "Resource",
    "Route",
    "route",
    "wire",
]
