"""What every resource description has in common.

A resource module subclasses ``Resource`` once: class attributes describe it (paths, SID prefix,
parameters, response fields, allowed methods), and a handful of methods hold its rules. The
transport-neutral handler routes to these and knows nothing resource-specific.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Dict, FrozenSet, Hashable, Optional, Tuple

from ...core.collection import Collection, Record
from ...core.context import Context
from ...core.params import Param

TRUNKS_PATH = "/v1/Trunks"

__all__ = ["TRUNKS_PATH", "Context", "Resource", "existing_trunk", "trunk_url"]


class Resource:
    """Declarative description plus rules of one Trunking resource."""

    name: ClassVar[str]  # operationId suffix in the spec: "Trunk", "OriginationUrl", ...
    schema: ClassVar[str]  # spec component schema of one item
    segment: ClassVar[str]  # path segment: "Trunks", "OriginationUrls", "Recording", ...
    key: ClassVar[Optional[str]] = None  # list key and meta.key; None for a singleton
    prefix: ClassVar[Optional[str]] = None  # SID prefix of the items
    params: ClassVar[Tuple[Param, ...]] = ()  # form parameters of create and update
    required_on_create: ClassVar[Tuple[str, ...]] = ()
    required_on_update: ClassVar[Tuple[str, ...]] = ()
    # form parameters refused on create with their own code, before any other check:
    # (name, code, message), e.g. AreaCode on IncomingPhoneNumbers/Local.json (21457)
    refused_on_create: ClassVar[Tuple[Tuple[str, int, str], ...]] = ()
    fields: ClassVar[Tuple[str, ...]] = ()  # response fields, in the spec's order
    list_methods: ClassVar[FrozenSet[str]] = frozenset()  # on the collection path
    instance_methods: ClassVar[FrozenSet[str]] = frozenset()  # on the instance path
    nested: ClassVar[bool] = True  # lives under /v1/Trunks/{TrunkSid}
    renders_secrets: ClassVar[bool] = False  # no Trunking answer carries a secret field

    sid_re: ClassVar[Optional[re.Pattern[str]]] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefix:
            cls.sid_re = re.compile(f"{cls.prefix}[0-9a-fA-F]{{32}}\\Z")

    # -- description -------------------------------------------------------------------
    @classmethod
    def list_template(cls) -> str:
        if cls.nested:
            return f"{TRUNKS_PATH}/{{TrunkSid}}/{cls.segment}"
        return TRUNKS_PATH

    @classmethod
    def instance_template(cls) -> str:
        if cls.key is None:  # singleton
            return cls.list_template()
        return cls.list_template() + "/{Sid}"

    @classmethod
    def valid_sid(cls, sid: str) -> bool:
        return cls.sid_re is not None and cls.sid_re.match(sid) is not None

    @classmethod
    def update_params(cls) -> Tuple[Param, ...]:
        return cls.params if "POST" in cls.instance_methods else ()

    @classmethod
    def create_params(cls) -> Tuple[Param, ...]:
        return cls.params if "POST" in cls.list_methods else ()

    # -- rules (overridden per resource) -------------------------------------------------
    def get(self, ctx: Context, parent: Optional[str], sid: Optional[str]) -> Record:
        found = self.collection(ctx, parent).get(sid or "")
        if found is None:
            raise ctx.not_found()
        return found

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        raise NotImplementedError

    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        raise NotImplementedError

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        raise NotImplementedError

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        raise NotImplementedError

    def render_key(self, ctx: Context, record: Record) -> Optional[Hashable]:
        """A hashable value of everything ``render`` reads for ``record`` (equal keys, equal
        items), so the handler may keep the encoded item across writes; None (the default):
        rendered every time a page is."""
        return None

    def on_trunk_deleted(self, ctx: Context, trunk_sid: str) -> None:
        """Cascade: a deleted trunk's items of this resource go with it."""
        if self.key is not None:
            ctx.account.children.pop((trunk_sid, self.key), None)

    def child_collection(
        self, ctx: Context, trunk_sid: Optional[str], create: bool = False
    ) -> Collection:
        """This resource's items under the caller's trunk (404 when the trunk is not theirs).

        Reads of a trunk that never had such items get a throwaway empty collection, so listing
        many trunks' sub-resources allocates nothing per trunk.
        """
        existing_trunk(ctx, trunk_sid)
        assert self.key is not None and trunk_sid is not None
        found = ctx.account.child(trunk_sid, self.key, create=create)
        return Collection() if found is None else found

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        return self.child_collection(ctx, parent)


def trunk_url(base_url: str, trunk_sid: str) -> str:
    return f"{base_url}{TRUNKS_PATH}/{trunk_sid}"


def existing_trunk(ctx: Context, trunk_sid: Optional[str]) -> Record:
    """The caller's trunk ``trunk_sid`` or 404/20404 naming the request path."""
    found = ctx.account.trunks.get(trunk_sid or "")
    if found is None:
        raise ctx.not_found()
    return found
