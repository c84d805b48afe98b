"""Associations of the account's API-v2010 objects with a trunk:
``CredentialLists`` (CL), ``IpAccessControlLists`` (AL) and ``PhoneNumbers`` (PN).

The objects themselves live in the account's registry, filled through the Python API
(``seed_credential_list``, ``seed_ip_access_control_list``, ``seed_phone_number``). Rules
(DECISIONS.md "Sub-resources"): a SID of the wrong shape is 400/20001; one not in the caller's
account is 404/20404; associating twice is 400/21245; a phone number moves when associated with a
second trunk, and its ``voice_application_sid`` becomes null; the association's ``friendly_name``
and dates are the object's, and a phone number's body is the object's fields plus ``trunk_sid`` and
the trunking ``url``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, ClassVar, Dict, Optional

from ...core import errors, numbering, owned_numbers
from ...core.collection import Collection, Record
from ...core.owned_numbers import ADDRESS_REQUIREMENTS, PHONE_NUMBER_DEFAULTS
from ...core.params import sid_param
from ...core.store import Account, Store
from .base import Context, Resource, trunk_url


class Association(Resource):
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "DELETE"})
    duplicate: ClassVar[Callable[[], errors.TwilioError]] = staticmethod(errors.already_associated)

    def _registry(self, ctx: Context) -> Collection:
        assert self.prefix is not None
        return ctx.account.registry[self.prefix]

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        assert parent is not None and self.key is not None
        current = self.child_collection(ctx, parent)
        sid = values["sid"]
        obj = self._registry(ctx).get(sid)
        if obj is None:
            raise errors.not_found(f"{ctx.path}/{sid}")
        if sid in current:
            raise type(self).duplicate()
        self.associate(ctx, parent, obj)
        record: Record = {"sid": sid}
        items = ctx.account.child(parent, self.key, create=True)
        assert items is not None
        items.add(sid, record)
        return record

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        self.get(ctx, parent, sid)
        self.child_collection(ctx, parent).remove(sid)
        self.dissociate(ctx, self._registry(ctx)[sid])

    def associate(self, ctx: Context, trunk_sid: str, obj: Record) -> None:
        """Hook: what associating ``obj`` does to the object itself."""

    def dissociate(self, ctx: Context, obj: Record) -> None:
        """Hook: what removing the association does to the object itself."""

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        raise NotImplementedError


class ListAssociation(Association):
    """Credential lists and IP ACLs: the association shows the list's name and dates."""

    fields = (
        "account_sid", "sid", "trunk_sid", "friendly_name", "date_created", "date_updated", "url",
    )  # fmt: skip

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        obj = self._registry(ctx)[record["sid"]]
        trunk_sid = record["trunk_sid"]
        return {
            "account_sid": ctx.account.sid,
            "sid": record["sid"],
            "trunk_sid": trunk_sid,
            "friendly_name": obj["friendly_name"],
            "date_created": obj["date_created"],
            "date_updated": obj["date_updated"],
            "url": f"{trunk_url(ctx.base_url, trunk_sid)}/{self.segment}/{record['sid']}",
        }

    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        record = super().create(ctx, parent, values)
        record["trunk_sid"] = parent
        return record


class CredentialList(ListAssociation):
    name = "CredentialList"
    schema = "trunking.v1.trunk.credential_list"
    segment = "CredentialLists"
    key = "credential_lists"
    prefix = "CL"
    params = (sid_param("CredentialListSid", "sid", "CL"),)
    required_on_create = ("CredentialListSid",)


class IpAccessControlList(ListAssociation):
    name = "IpAccessControlList"
    schema = "trunking.v1.trunk.ip_access_control_list"
    segment = "IpAccessControlLists"
    key = "ip_access_control_lists"
    prefix = "AL"
    params = (sid_param("IpAccessControlListSid", "sid", "AL"),)
    required_on_create = ("IpAccessControlListSid",)


def _phone_number_taken() -> errors.TwilioError:
    return errors.trunk_validation("Phone Number is already associated with this Trunk")


class PhoneNumber(Association):
    name = "PhoneNumber"
    schema = "trunking.v1.trunk.phone_number"
    segment = "PhoneNumbers"
    key = "phone_numbers"
    prefix = "PN"
    params = (sid_param("PhoneNumberSid", "sid", "PN"),)
    required_on_create = ("PhoneNumberSid",)
    duplicate = staticmethod(_phone_number_taken)
    fields = (
        "account_sid", "address_requirements", "api_version", "beta", "capabilities",
        "date_created", "date_updated", "friendly_name", "links", "phone_number", "sid",
        "sms_application_sid", "sms_fallback_method", "sms_fallback_url", "sms_method", "sms_url",
        "status_callback", "status_callback_method", "trunk_sid", "url", "voice_application_sid",
        "voice_caller_id_lookup", "voice_fallback_method", "voice_fallback_url", "voice_method",
        "voice_url",
    )  # fmt: skip

    def associate(self, ctx: Context, trunk_sid: str, obj: Record) -> None:
        owned_numbers.move_to_trunk(ctx.store, ctx.account, obj, trunk_sid)

    def dissociate(self, ctx: Context, obj: Record) -> None:
        owned_numbers.leave_trunk(ctx.store, ctx.account, obj)

    def on_trunk_deleted(self, ctx: Context, trunk_sid: str) -> None:
        items = ctx.account.child(trunk_sid, "phone_numbers")
        if items is not None:
            registry = self._registry(ctx)
            for record in items:
                registry[record["sid"]]["trunk_sid"] = None
        super().on_trunk_deleted(ctx, trunk_sid)

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        obj = self._registry(ctx)[record["sid"]]
        out = {name: obj.get(name) for name in self.fields}
        out["capabilities"] = dict(obj["capabilities"])
        out["url"] = f"{trunk_url(ctx.base_url, obj['trunk_sid'])}/PhoneNumbers/{obj['sid']}"
        out["links"] = {"phone_number": v2010_number_url(obj["account_sid"], obj["sid"])}
        return out


CREDENTIAL_LIST = CredentialList()
IP_ACCESS_CONTROL_LIST = IpAccessControlList()
PHONE_NUMBER = PhoneNumber()


def v2010_number_url(account_sid: str, sid: str) -> str:
    return f"https://api.twilio.com/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}"


# -- the registry's Python API ---------------------------------------------------------------

_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")


def _new_object(store: Store, account: Account, prefix: str, extra: Dict[str, Any]) -> str:
    sid: str = store.new_registry_object(account, prefix, extra)["sid"]
    return sid


def seed_list(store: Store, account_sid: str, prefix: str, friendly_name: Optional[str]) -> str:
    """Add a credential list (``CL``) or IP ACL (``AL``) to the account's registry."""
    with store.writing():
        account = store.account(account_sid)
        if friendly_name is None:
            friendly_name = store.faker.list_friendly_name(prefix)
        return _new_object(store, account, prefix, {"friendly_name": friendly_name})


def seed_phone_number(
    store: Store,
    account_sid: str,
    phone_number: Optional[str],
    friendly_name: Optional[str],
    fields: Dict[str, Any],
) -> str:
    """Add an incoming phone number to the account's registry (Faker values for what is missing)."""
    unknown = set(fields) - set(PHONE_NUMBER_DEFAULTS) - {"date_created", "date_updated"}
    if unknown:
        raise TypeError(f"unknown phone number fields: {sorted(unknown)}")
    if fields.get("trunk_sid") is not None:
        raise ValueError("associate a number with a trunk through the PhoneNumbers API")
    if fields.get("address_requirements", "none") not in ADDRESS_REQUIREMENTS:
        raise ValueError(f"address_requirements must be one of {ADDRESS_REQUIREMENTS}")
    problem = owned_numbers.check_stored({**owned_numbers.V2010_DEFAULTS, **fields})
    if problem is not None:
        raise ValueError(problem)
    with store.writing():
        account = store.account(account_sid)
        faker = store.faker
        if phone_number is None:
            phone_number = faker.e164_number()
            while phone_number in store.numbers:
                phone_number = faker.e164_number()
        elif not _E164.match(phone_number):
            raise ValueError(f"phone_number must be E.164 (+ and 7 to 15 digits): {phone_number!r}")
        elif phone_number in store.numbers:
            raise ValueError(f"{phone_number} already belongs to {store.numbers[phone_number]}")
        extra: Dict[str, Any] = {}
        if "address_requirements" not in fields:
            extra["address_requirements"] = faker.random_element(ADDRESS_REQUIREMENTS)
        found = numbering.classify(phone_number)
        if found is not None and "type" not in fields:
            extra["type"] = numbering.NUMBER_TYPE[found.type]
        extra.update(fields)
        if friendly_name is None:
            friendly_name = faker.number_friendly_name(phone_number)
        obj = owned_numbers.new_number(store, account, phone_number, friendly_name, extra)
        return str(obj["sid"])
