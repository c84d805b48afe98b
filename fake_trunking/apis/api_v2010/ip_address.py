"""SIP IpAddresses of an IP access control list:
``/2010-04-01/Accounts/{AccountSid}/SIP/IpAccessControlLists/{IpAccessControlListSid}/IpAddresses[/{Sid}].json``.

Rules (spec): create needs ``FriendlyName`` (up to 255 characters) and ``IpAddress``; update
takes any of ``IpAddress``, ``FriendlyName``, ``CidrPrefixLength``. ``IpAddress`` is an IPv4
address in dotted decimal ("IPv4 only supported today"): four decimal octets 0-255, no leading
zeros, else 400/20001. ``CidrPrefixLength`` is an integer from 0 to 32, default 32 ("by default
the entire IP address is used").
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, Optional

from ...core import errors
from ...core.collection import Record
from ...core.params import Param
from .base import Context, NestedResource
from .credential_list import IP_ACCESS_CONTROL_LIST
from .wire import rfc2822

MAX_IPV4_TEXT = 15  # characters of 255.255.255.255


def check_ipv4(value: str) -> None:
    try:
        ok = 7 <= len(value) <= MAX_IPV4_TEXT and value.count(".") == 3
        ok = ok and all(part.isascii() and part.isdigit() for part in value.split("."))
        ok = ok and str(ipaddress.IPv4Address(value)) == value
    except ValueError:
        ok = False
    if not ok:
        raise errors.invalid_parameter(
            "IpAddress", "must be an IPv4 address in dotted decimal notation"
        )


class IpAddress(NestedResource):
    name = "SipIpAddress"
    schema = "api.v2010.account.sip.sip_ip_access_control_list.sip_ip_address"
    segments = ("IpAddresses",)
    parent = IP_ACCESS_CONTROL_LIST
    parent_param = "IpAccessControlListSid"
    key = "ip_addresses"
    prefix = "IP"
    params = (
        Param("FriendlyName", "friendly_name", max_length=255),
        Param("IpAddress", "ip_address", max_length=MAX_IPV4_TEXT, check=check_ipv4),
        Param("CidrPrefixLength", "cidr_prefix_length", type="integer", minimum=0, maximum=32),
    )
    required_on_create = ("FriendlyName", "IpAddress")
    fields = (
        "sid", "account_sid", "friendly_name", "ip_address", "cidr_prefix_length",
        "ip_access_control_list_sid", "date_created", "date_updated", "uri",
    )  # fmt: skip
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        store = ctx.store
        items = self.items_for_write(ctx, parent)
        sid = store.mint_sid("IP", items.__contains__)
        now = store.now()
        record: Record = {
            "sid": sid,
            "account_sid": ctx.account.sid,
            "friendly_name": values["friendly_name"],
            "ip_address": values["ip_address"],
            "cidr_prefix_length": values.get("cidr_prefix_length", 32),
            "ip_access_control_list_sid": parent,
            "date_created": now,
            "date_updated": now,
        }
        items.add(sid, record)
        return record

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        return {
            "sid": record["sid"],
            "account_sid": record["account_sid"],
            "friendly_name": record["friendly_name"],
            "ip_address": record["ip_address"],
            "cidr_prefix_length": record["cidr_prefix_length"],
            "ip_access_control_list_sid": record["ip_access_control_list_sid"],
            "date_created": rfc2822(record["date_created"]),
            "date_updated": rfc2822(record["date_updated"]),
            "uri": self.item_uri(
                record["account_sid"], record["ip_access_control_list_sid"], record["sid"]
            ),
        }


IP_ADDRESS = IpAddress()
