"""Every Trunking v1 resource, one module each, and the route table built from them."""

from __future__ import annotations

from typing import Dict, Tuple

from .association import CREDENTIAL_LIST, IP_ACCESS_CONTROL_LIST, PHONE_NUMBER
from .base import Context, Resource
from .origination_url import ORIGINATION_URL
from .recording import RECORDING
from .trunk import TRUNK, Trunk

SUB_RESOURCES: Tuple[Resource, ...] = (
    ORIGINATION_URL,
    CREDENTIAL_LIST,
    IP_ACCESS_CONTROL_LIST,
    PHONE_NUMBER,
    RECORDING,
)
ALL: Tuple[Resource, ...] = (TRUNK, *SUB_RESOURCES)

# path segment under /v1/Trunks/{TrunkSid} -> resource
BY_SEGMENT: Dict[str, Resource] = {r.segment: r for r in SUB_RESOURCES}

Trunk.children = SUB_RESOURCES

__all__ = ["ALL", "BY_SEGMENT", "SUB_RESOURCES", "TRUNK", "Context", "Resource"]
