"""SIP CredentialLists (``/2010-04-01/Accounts/{AccountSid}/SIP/CredentialLists[/{Sid}].json``)
and SIP IpAccessControlLists (``.../SIP/IpAccessControlLists[/{Sid}].json``).

Rules (spec; DECISIONS.md "API v2010 neighbours"): ``FriendlyName`` is required on create and
update, at most 64 characters (the spec's description). A credential list is the account's registry
object ``CL``: the very record Trunking associates (``/v1/Trunks/{TK}/CredentialLists``), so a
list made here can be associated with a trunk, and one seeded with ``seed_credential_list`` is
listed here. Deleting a list removes its credentials and its associations with trunks
(docs/decisions.md "API v2010").
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Optional

from ...core.collection import Record
from ...core.params import Param
from .base import Context, RegistryResource
from .wire import rfc2822

# the Trunking association keys of a registry object, by prefix (cascade on delete)
ASSOCIATION_KEYS = {"CL": "credential_lists", "AL": "ip_access_control_lists"}


class ListResource(RegistryResource):
    """What credential lists and IP ACLs share: a FriendlyName, items under them, and Trunking
    associations that go when the list goes."""

    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})
    params = (Param("FriendlyName", "friendly_name", max_length=64),)
    required_on_create = ("FriendlyName",)
    required_on_update = ("FriendlyName",)
    fields = (
        "account_sid", "date_created", "date_updated", "friendly_name", "sid",
        "subresource_uris", "uri",
    )  # fmt: skip
    item_key: ClassVar[str]  # the key of the items under a list ("credentials", "ip_addresses")
    item_segment: ClassVar[str]  # their path segment ("Credentials", "IpAddresses")

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        assert self.prefix is not None
        return ctx.store.new_registry_object(
            ctx.account, self.prefix, {"friendly_name": values["friendly_name"]}
        )

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        self.get(ctx, parent, sid)
        account = ctx.account
        assert self.prefix is not None
        key = ASSOCIATION_KEYS[self.prefix]
        for trunk in account.trunks:  # at most max_trunks_per_account trunks
            linked = account.child(trunk["sid"], key)
            if linked is not None and sid in linked:
                linked.remove(sid)
        account.nested.pop((sid, self.item_key), None)
        account.registry[self.prefix].remove(sid)

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        sid = record["sid"]
        base = self.base_path(record["account_sid"], None)
        shown = {
            "account_sid": record["account_sid"],
            "date_created": rfc2822(record["date_created"]),
            "date_updated": rfc2822(record["date_updated"]),
            "friendly_name": record["friendly_name"],
            "sid": sid,
            "subresource_uris": {self.item_key: f"{base}/{sid}/{self.item_segment}.json"},
            "uri": f"{base}/{sid}.json",
        }
        return {name: shown[name] for name in self.fields}  # the spec's order


class CredentialList(ListResource):
    name = "SipCredentialList"
    schema = "api.v2010.account.sip.sip_credential_list"
    segments = ("SIP", "CredentialLists")
    key = "credential_lists"
    prefix = "CL"
    item_key = "credentials"
    item_segment = "Credentials"


class IpAccessControlList(ListResource):
    """``/2010-04-01/Accounts/{AccountSid}/SIP/IpAccessControlLists[/{Sid}].json``: FriendlyName
    up to 255 characters (the spec's description), otherwise as a credential list."""

    name = "SipIpAccessControlList"
    schema = "api.v2010.account.sip.sip_ip_access_control_list"
    segments = ("SIP", "IpAccessControlLists")
    key = "ip_access_control_lists"
    prefix = "AL"
    params = (Param("FriendlyName", "friendly_name", max_length=255),)
    fields = (
        "sid", "account_sid", "friendly_name", "date_created", "date_updated",
        "subresource_uris", "uri",
    )  # fmt: skip
    item_key = "ip_addresses"
    item_segment = "IpAddresses"


CREDENTIAL_LIST = CredentialList()
IP_ACCESS_CONTROL_LIST = IpAccessControlList()
