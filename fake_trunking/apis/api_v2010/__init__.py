"""API v2010 (``api.twilio.com/2010-04-01``): the resources trunk provisioning uses, one module
each, on the wire format of ``wire``, and the route table built from them.

``route`` maps a request path to ``(resource, path account SID, parent id, item id,
is_collection)``; the handler checks that the path's account is the caller's, then operates the
resource exactly as it operates a Trunking one. To add a resource: write a module with a
``Resource`` subclass (``base``), instantiate it, and add the instance to ``RESOURCES`` here
(the route table is built from the resources' templates).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

from ...core import errors
from ...core.ids import ACCOUNT_SID
from . import wire
from .account import ACCOUNT, KEY
from .available_phone_number import COUNTRY, TYPE_LISTS
from .base import Context, NestedResource, RegistryResource, Resource
from .credential import CREDENTIAL
from .credential_list import CREDENTIAL_LIST, IP_ACCESS_CONTROL_LIST
from .incoming_phone_number import INCOMING_PHONE_NUMBER, LOCAL, MOBILE, TOLL_FREE
from .ip_address import IP_ADDRESS

# every v2010 resource the fake serves; ``route`` is built from their declarations
RESOURCES: Tuple[Resource, ...] = (
    CREDENTIAL_LIST,
    CREDENTIAL,
    IP_ACCESS_CONTROL_LIST,
    IP_ADDRESS,
    ACCOUNT,
    KEY,
    INCOMING_PHONE_NUMBER,
    LOCAL,
    MOBILE,
    TOLL_FREE,
    COUNTRY,
    *TYPE_LISTS,
)

# (resource, the path's account (None: the Accounts list, which names none), parent, item, is list)
Route = Tuple[Resource, Optional[str], Optional[str], Optional[str], bool]

# A compiled path template: its segments (a literal, or a placeholder's validator), the resource,
# whether it is the list path, and the index of the placeholders that are the account, the
# parent and the item.
Check = Callable[[str], bool]
_Compiled = Tuple[Tuple[Union[str, Check], ...], Resource, bool]
_TABLE: Dict[int, List[_Compiled]] = {}  # by number of segments


def _is_account(text: str) -> bool:
    return ACCOUNT_SID.match(text) is not None


def _compile(template: str, resource: Resource, is_list: bool) -> _Compiled:
    """``/2010-04-01/Accounts/{AccountSid}/SIP/CredentialLists/{Sid}.json`` -> segments."""
    assert template.endswith(wire.SUFFIX), template
    out: List[Union[str, Check]] = []
    for seg in template[: -len(wire.SUFFIX)].split("/"):
        if not (seg.startswith("{") and seg.endswith("}")):
            out.append(seg)
        elif seg == "{AccountSid}" or (seg == "{Sid}" and resource.is_account):
            out.append(_is_account)
        elif not is_list and seg == "{" + resource.item_param + "}":
            out.append(resource.valid_sid)
        else:  # a parent's placeholder: the nearest ancestor that names it validates it
            child, owner = resource, resource.parent
            while owner is not None and child.parent_param != seg[1:-1]:
                child, owner = owner, owner.parent
            out.append(owner.valid_sid if owner is not None else (lambda _text: False))
    return tuple(out), resource, is_list


def build() -> None:
    """(Re)build the route table from ``RESOURCES``."""
    _TABLE.clear()
    for resource in RESOURCES:
        entries = []
        if resource.key is not None and resource.list_methods:
            entries.append(_compile(resource.list_template(), resource, True))
        if resource.instance_methods:
            entries.append(_compile(resource.instance_template(), resource, False))
        for entry in entries:
            _TABLE.setdefault(len(entry[0]), []).append(entry)


build()


def route(path: str) -> Route:
    """``(resource, account sid, parent id, item id, is_collection)`` for a v2010 path, or
    404/20404 naming the path.

    Paths end in ``.json``. A path matches a resource's list or instance template when every
    literal segment is equal and every placeholder passes its validator (the account an ``AC``
    SID, an item or parent id its resource's ``valid_sid``), so ``IncomingPhoneNumbers/Local``
    is never read as a number SID. The parent is the placeholder just before the item (or the
    list's last one); the account is ``{AccountSid}`` (or the item, for the Account itself;
    None for the Accounts list).
    """
    if not path.endswith(wire.SUFFIX):
        raise errors.not_found(path)
    parts = path[: -len(wire.SUFFIX)].split("/")
    for segments, resource, is_list in _TABLE.get(len(parts), ()):
        values: List[str] = []
        for want, got in zip(segments, parts):
            if isinstance(want, str):
                if want != got:
                    break
            elif want(got):
                values.append(got)
            else:
                break
        else:
            account = values[0] if values else None
            if is_list:
                return resource, account, values[-1] if len(values) > 1 else None, None, True
            parent = values[-2] if len(values) > 2 else None
            return resource, account, parent, values[-1], False
    raise errors.not_found(path)


__all__ = [
    "RESOURCES",
    "Context",
    "NestedResource",
    "RegistryResource",
    "Resource",
    "Route",
    "build",
    "route",
    "wire",
]
