"""Origination URLs: ``/v1/Trunks/{TrunkSid}/OriginationUrls[/{Sid}]``.

Rules (DECISIONS.md "Sub-resources"): ``Weight`` and ``Priority`` integers 0..65535, ``Enabled``
boolean, ``FriendlyName`` at most 64 characters, ``SipUrl`` a SIP URI (``core.sipuri``;
``sips:`` refused) of at most ``MAX_TEXT`` characters (docs/decisions.md "Parameters"). All five
are required on create and optional on update. With ``max_origination_urls_per_trunk`` N, a trunk
holds at most N (21249; Twilio documents the error, not the number, so there is no cap by
default).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ...core import errors
from ...core.collection import Record
from ...core.params import MAX_TEXT, Param
from .base import Context, Resource, trunk_url


class OriginationUrl(Resource):
    name = "OriginationUrl"
    schema = "trunking.v1.trunk.origination_url"
    segment = "OriginationUrls"
    key = "origination_urls"
    prefix = "OU"
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})
    params = (
        Param("Weight", "weight", type="integer", minimum=0, maximum=65535),
        Param("Priority", "priority", type="integer", minimum=0, maximum=65535),
        Param("Enabled", "enabled", type="boolean"),
        Param("FriendlyName", "friendly_name", max_length=64),
        Param("SipUrl", "sip_url", format="sip-url", max_length=MAX_TEXT),
    )
    required_on_create = ("Weight", "Priority", "Enabled", "FriendlyName", "SipUrl")
    fields = (
        "account_sid", "sid", "trunk_sid", "weight", "enabled", "sip_url", "friendly_name",
        "priority", "date_created", "date_updated", "url",
    )  # fmt: skip

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        limit = ctx.store.max_origination_urls_per_trunk
        if limit is not None and len(self.child_collection(ctx, parent)) >= limit:
            raise errors.too_many_origination_urls()
        items = self.child_collection(ctx, parent, create=True)
        sid = ctx.store.mint_sid("OU", items.__contains__)
        now = ctx.store.now()
        record: Record = dict(values)
        record.update(
            sid=sid,
            account_sid=ctx.account.sid,
            trunk_sid=parent,
            date_created=now,
            date_updated=now,
        )
        items.add(sid, record)
        return record

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        record = self.get(ctx, parent, sid)
        record.update(values)
        record["date_updated"] = ctx.store.now()
        return record

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        self.get(ctx, parent, sid)
        self.child_collection(ctx, parent).remove(sid)

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        return {
            "account_sid": record["account_sid"],
            "sid": record["sid"],
            "trunk_sid": record["trunk_sid"],
            "weight": record["weight"],
            "enabled": record["enabled"],
            "sip_url": record["sip_url"],
            "friendly_name": record["friendly_name"],
            "priority": record["priority"],
            "date_created": record["date_created"],
            "date_updated": record["date_updated"],
            "url": f"{trunk_url(ctx.base_url, record['trunk_sid'])}/{self.segment}/{record['sid']}",
        }


ORIGINATION_URL = OriginationUrl()
