"""What every API v2010 resource description has in common.

A resource module subclasses ``Resource`` once, as Trunking's resources do
(``apis/trunking_v1/base.py``): class attributes describe it (its path under
``/2010-04-01/Accounts/{AccountSid}``, SID prefix, declarative ``Param`` parameters from
``core.params``, response fields, allowed methods), and a handful of methods hold its rules. The
handler routes to these (``api_v2010.route``) and knows nothing resource-specific.

Paths: ``segments`` is the list path under the account, e.g. ``("SIP", "CredentialLists")``; a
resource under another (``parent``) lives under the parent's instance path, e.g. Credentials under
``SIP/CredentialLists/{CL sid}``. Every path ends in ``.json`` (``wire``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Dict, FrozenSet, Hashable, Mapping, Optional, Tuple

from ...core.collection import Collection, Record
from ...core.context import Context
from ...core.params import Param
from ...core.redact import SECRET_BODY_FIELDS
from . import wire

__all__ = ["Context", "Resource"]


class Resource:
    """Declarative description plus rules of one API v2010 resource."""

    name: ClassVar[str]  # operationId suffix in the spec: "SipCredentialList", "Key", ...
    schema: ClassVar[str]  # spec component schema of one item
    segments: ClassVar[Tuple[str, ...]]  # list path under its parent (or the account)
    parent: ClassVar[Optional[Resource]] = None  # the resource whose instance this one is under
    parent_param: ClassVar[Optional[str]] = None  # the spec's path parameter of the parent's SID
    # the spec's path parameter of an item (``Sid``; a country is ``CountryCode``)
    item_param: ClassVar[str] = "Sid"
    key: ClassVar[Optional[str]] = None  # the list's collection key
    prefix: ClassVar[Optional[str]] = None  # SID prefix of the items
    params: ClassVar[Tuple[Param, ...]] = ()  # form parameters of create (and update)
    update_only: ClassVar[Tuple[Param, ...]] = ()  # form parameters of update only
    create_only: ClassVar[Tuple[Param, ...]] = ()  # form parameters of create only
    required_on_create: ClassVar[Tuple[str, ...]] = ()
    required_on_update: ClassVar[Tuple[str, ...]] = ()
    # form parameters refused on create with their own code, before any other check:
    # (name, code, message), e.g. AreaCode on IncomingPhoneNumbers/Local.json (21457)
    refused_on_create: ClassVar[Tuple[Tuple[str, int, str], ...]] = ()
    fields: ClassVar[Tuple[str, ...]] = ()  # response fields, in the spec's order
    list_methods: ClassVar[FrozenSet[str]] = frozenset()  # on the list path
    instance_methods: ClassVar[FrozenSet[str]] = frozenset()  # on the instance path
    # query parameters of the list (beyond paging), e.g. IncomingPhoneNumbers' PhoneNumber: parsed
    # by the handler (400/20001 when invalid), handed to ``filtered``, and kept in page URIs
    list_filters: ClassVar[Tuple[Param, ...]] = ()
    is_account: ClassVar[bool] = False
    # Twilio: a Standard API key (every key the Keys API makes) may not call this resource
    main_credentials_only: ClassVar[bool] = (
        False  # the Account itself: its {Sid} is the path's account
    )

    # the spec's operationId where it is not ``<Verb><name>`` (Keys: ``CreateNewKey``), by kind
    # (list, create, fetch, update, delete), and the schema of the create answer when it differs
    operation_ids: ClassVar[Dict[str, str]] = {}
    create_schema: ClassVar[Optional[str]] = None
    create_fields: ClassVar[Tuple[str, ...]] = ()  # response fields of the create answer

    sid_re: ClassVar[Optional[re.Pattern[str]]] = None
    # does an answer of this resource carry a secret field (an account's ``auth_token``, a new
    # key's ``secret``)? Derived from the fields, so the call log scans only these answers
    renders_secrets: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefix:
            cls.sid_re = re.compile(f"{cls.prefix}[0-9a-fA-F]{{32}}\\Z")
        shown = (*cls.fields, *cls.create_fields)
        cls.renders_secrets = not set(SECRET_BODY_FIELDS).isdisjoint(shown)

    # -- description -------------------------------------------------------------------
    @classmethod
    def valid_sid(cls, sid: str) -> bool:
        """Is ``sid`` a valid id of an item (the path segment of an instance)? A resource whose
        items are not named by a SID (a country code) overrides this."""
        return cls.sid_re is not None and cls.sid_re.match(sid) is not None

    @classmethod
    def update_params(cls) -> Tuple[Param, ...]:
        return (*cls.params, *cls.update_only) if "POST" in cls.instance_methods else ()

    @classmethod
    def create_params(cls) -> Tuple[Param, ...]:
        return (*cls.params, *cls.create_only) if "POST" in cls.list_methods else ()

    @classmethod
    def list_template(cls) -> str:
        """The spec's path of the list (``/2010-04-01/Accounts/{AccountSid}/...json``)."""
        return wire.json_uri(cls._base_template())

    @classmethod
    def instance_template(cls) -> str:
        return wire.json_uri(cls._base_template() + "/{" + cls.item_param + "}")

    @classmethod
    def _base_template(cls) -> str:
        if cls.parent is None:
            head = wire.ACCOUNTS + "/{AccountSid}"
        else:
            head = cls.parent._base_template() + "/{" + (cls.parent_param or "ParentSid") + "}"
        return head + "/" + "/".join(cls.segments)

    # -- links ---------------------------------------------------------------------------
    def base_path(self, account_sid: str, parent: Optional[str]) -> str:
        """The list path without ``.json``: ``/2010-04-01/Accounts/AC…/SIP/CredentialLists``."""
        if self.parent is None:
            head = wire.account_uri(account_sid)
        else:
            assert parent is not None
            head = f"{self.parent.base_path(account_sid, None)}/{parent}"
        return head + "/" + "/".join(self.segments)

    def item_uri(self, account_sid: str, parent: Optional[str], sid: str) -> str:
        """The item's host-relative ``uri`` (``.../CL….json``)."""
        return wire.json_uri(f"{self.base_path(account_sid, parent)}/{sid}")

    # -- rules (overridden per resource) -------------------------------------------------
    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        raise NotImplementedError

    def filtered(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Collection:
        """The list's items that match ``values`` (``{field: parsed value}`` of the
        ``list_filters`` given; never empty when called). A throwaway ``Collection`` of the
        matches is fine: page tokens name items by SID, so a walk stays stable."""
        raise NotImplementedError

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
        """The plain update: the parsed values into the record, ``date_updated`` now."""
        record = self.get(ctx, parent, sid)
        record.update(values)
        record["date_updated"] = ctx.store.now()
        return record

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        raise NotImplementedError

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        raise NotImplementedError

    def render_key(self, ctx: Context, record: Record) -> Optional[Hashable]:
        """A hashable value of everything ``render`` reads for ``record`` (equal keys, equal
        items), so the handler may keep the encoded item across writes; None (the default):
        rendered every time a page is."""
        return None

    def list_body(
        self,
        ctx: Context,
        parent: Optional[str],
        query: Mapping[str, str],
        size: int,
        page: int,
        token: Optional[str],
    ) -> Optional[str]:
        """The JSON text of a list page this resource makes itself (a filtered list, numbers
        made on the fly), or None for the plain page of ``collection`` (the default). Called
        after the paging parameters are checked."""
        return None


class RegistryResource(Resource):
    """A resource whose items are the account's registry objects of ``prefix`` (CL, AL, PN, SK):
    the objects Trunking associates are these very records (one object, two APIs)."""

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        assert self.prefix is not None
        return ctx.account.registry[self.prefix]


class NestedResource(Resource):
    """A resource whose items live under a parent registry object (a credential list's
    credentials, an IP ACL's addresses): 404 naming the path when the parent is not the
    caller's. Reads of a parent that never had items get a throwaway empty collection."""

    def parent_record(self, ctx: Context, parent: Optional[str]) -> Record:
        assert self.parent is not None
        return self.parent.get(ctx, None, parent)

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        self.parent_record(ctx, parent)
        assert parent is not None and self.key is not None
        found = ctx.account.nested_items(parent, self.key)
        return Collection() if found is None else found

    def items_for_write(self, ctx: Context, parent: Optional[str]) -> Collection:
        self.parent_record(ctx, parent)
        assert parent is not None and self.key is not None
        found = ctx.account.nested_items(parent, self.key, create=True)
        assert found is not None
        return found

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        self.get(ctx, parent, sid)
        self.items_for_write(ctx, parent).remove(sid)
