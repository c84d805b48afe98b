"""IncomingPhoneNumbers: ``/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers[/{Sid}].json``
and the ``Local``, ``Mobile`` and ``TollFree`` list and create forms.

A number is the account's registry object ``PN``: the very record Trunking's ``PhoneNumbers``
associates, so one bought here can be associated with a trunk there, one seeded with
``seed_phone_number`` is listed here, and ``trunk_sid`` is the association whichever API set it.
The rules of owned numbers are ``core.owned_numbers``'; what is for sale is ``core.numbering``'.

Rules (spec; Twilio's error pages; docs/decisions.md "Phone numbers"):

- Create buys a number: ``PhoneNumber`` (E.164) or, on the main list only, ``AreaCode`` (a NANP
  area code; a number for sale in it is picked). Not E.164 is 400/21421; not for sale (owned by
  another account, or not a number of a country and type the fake serves, or of another type than
  the form's) is 400/21422 ``+1… is not available``; an area code of the wrong shape 400/21451;
  one with nothing for sale 400/21452; ``AreaCode`` on the ``Local`` and ``TollFree`` forms is
  400/21457 (Twilio's "AreaCode Parameter not Supported"), before any other check. Buying a
  number the caller already owns answers 201 with it, updated with the other parameters (what
  Twilio does: status ``in-use``). Neither parameter is 400/20001.
- ``TrunkSid`` (create and update) puts the number on the caller's trunk, off any other, and
  nulls ``voice_application_sid``; ``TrunkSid=`` takes it off. A ``VoiceApplicationSid`` takes it
  off its trunk ("Setting a voice_application_sid will automatically delete your trunk_sid and
  vice versa"). A trunk that is not the caller's is 400/20001 and changes nothing.
- ``AccountSid`` (update) moves the number between a main account and its subaccounts, on the
  main account's credentials (``core.accounts.check_transfer``: 401/20003, 400/21473 not related,
  400/21472 not active); it keeps its SID and leaves its trunk, which is the losing account's.
- Delete releases the number: it leaves its trunk and the account, and is for sale again (after
  ``number_hold_days`` of the fake's clock, when set: 21422 meanwhile, for every account).
- Lists filter by ``PhoneNumber`` (digits and ``*`` for one digit, anywhere in the number; a
  leading ``+`` anchors it at the start), ``FriendlyName`` (exact), ``Beta`` (``false`` leaves out
  beta numbers) and ``Origin`` (exact); the filters are kept in every page's ``*_uri``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Tuple

from ...core import accounts, errors, numbering, owned_numbers
from ...core.collection import Collection, Record
from ...core.jsontext import COMMA, encode
from ...core.params import Param, sid_param
from ...core.store import Account
from . import wire
from .base import Context, RegistryResource
from .wire import rfc2822


def _sid(name: str, field: str, prefix: str) -> Param:
    """A SID parameter that ``Name=`` clears (stores null)."""
    base = sid_param(name, field, prefix)
    return Param(name, field, format="sid", pattern=base.pattern, max_length=34,
                 empty_is_null=True)  # fmt: skip


def _url(name: str, field: str) -> Param:
    return Param(name, field, format="uri", empty_is_null=True)


def _method(name: str, field: str) -> Param:
    return Param(name, field, format="http-method", enum=("GET", "POST"))


PARAMS: Tuple[Param, ...] = (
    Param("ApiVersion", "api_version"),  # the spec: a string, no enum
    Param("FriendlyName", "friendly_name", max_length=64),
    _sid("SmsApplicationSid", "sms_application_sid", "AP"),
    _method("SmsFallbackMethod", "sms_fallback_method"),
    _url("SmsFallbackUrl", "sms_fallback_url"),
    _method("SmsMethod", "sms_method"),
    _url("SmsUrl", "sms_url"),
    _url("StatusCallback", "status_callback"),
    _method("StatusCallbackMethod", "status_callback_method"),
    _sid("VoiceApplicationSid", "voice_application_sid", "AP"),
    Param("VoiceCallerIdLookup", "voice_caller_id_lookup", type="boolean"),
    _method("VoiceFallbackMethod", "voice_fallback_method"),
    _url("VoiceFallbackUrl", "voice_fallback_url"),
    _method("VoiceMethod", "voice_method"),
    _url("VoiceUrl", "voice_url"),
    Param("EmergencyStatus", "emergency_status", enum=owned_numbers.EMERGENCY_STATUSES),
    _sid("EmergencyAddressSid", "emergency_address_sid", "AD"),
    _sid("TrunkSid", "trunk_sid", "TK"),
    _sid("IdentitySid", "identity_sid", "RI"),
    _sid("AddressSid", "address_sid", "AD"),
    Param("VoiceReceiveMode", "voice_receive_mode", enum=owned_numbers.VOICE_RECEIVE_MODES),
    _sid("BundleSid", "bundle_sid", "BU"),
)
PHONE_NUMBER = Param("PhoneNumber", "phone_number", format="phone-number", max_length=64)
# the list's filters as the spec declares them, parsed by the handler (400/20001); ``list_body``
# applies them (``_filters``)
LIST_FILTERS: Tuple[Param, ...] = (
    Param("Beta", "beta", type="boolean"),
    Param("FriendlyName", "friendly_name", max_length=64),
    Param("PhoneNumber", "phone_number", format="phone-number"),
    Param("Origin", "origin"),
)
AREA_CODE = Param("AreaCode", "area_code", max_length=16)
ACCOUNT_SID = sid_param("AccountSid", "account_sid", "AC")

FIELDS: Tuple[str, ...] = (
    "account_sid", "address_sid", "address_requirements", "api_version", "beta", "capabilities",
    "date_created", "date_updated", "friendly_name", "identity_sid", "phone_number", "origin",
    "sid", "sms_application_sid", "sms_fallback_method", "sms_fallback_url", "sms_method",
    "sms_url", "status_callback", "status_callback_method", "trunk_sid", "uri",
    "voice_receive_mode", "voice_application_sid", "voice_caller_id_lookup",
    "voice_fallback_method", "voice_fallback_url", "voice_method", "voice_url",
    "emergency_status", "emergency_address_sid", "emergency_address_status", "bundle_sid",
    "status", "type",
)  # fmt: skip
CAPABILITIES = ("mms", "sms", "voice", "fax")

MAX_FILTER = 16  # characters of a ``PhoneNumber`` filter: an E.164 number has at most 16


def not_available(number: str) -> errors.TwilioError:
    return errors.TwilioError(400, 21422, f"{number} is not available")


def invalid_number(number: str) -> errors.TwilioError:
    return errors.TwilioError(400, 21421, f"PhoneNumber {number[:64]} is invalid")


def _e164(number: str) -> bool:
    return numbering.is_e164(number)


class IncomingPhoneNumber(RegistryResource):
    """The main list (``IncomingPhoneNumbers.json``) and its instances."""

    name = "IncomingPhoneNumber"
    schema = "api.v2010.account.incoming_phone_number"
    segments: ClassVar[Tuple[str, ...]] = ("IncomingPhoneNumbers",)
    key = "incoming_phone_numbers"
    prefix: ClassVar[Optional[str]] = "PN"
    params = PARAMS
    create_only: ClassVar[Tuple[Param, ...]] = (PHONE_NUMBER, AREA_CODE)
    update_only = (ACCOUNT_SID,)
    list_filters = LIST_FILTERS
    fields = FIELDS
    list_methods = frozenset({"GET", "POST"})
    instance_methods = frozenset({"GET", "POST", "DELETE"})
    number_type: ClassVar[Optional[str]] = None  # the form's type ("Local"...); None: all

    # -- buying --------------------------------------------------------------------------------
    def create(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Record:
        values = dict(values)
        number = values.pop("phone_number", None)
        area_code = values.pop("area_code", None)
        self._check_trunk(ctx, values)
        store = ctx.store
        salt = numbering.salt_for(store.seed)
        if number is not None:
            if not _e164(number):
                raise invalid_number(number)
            mine = ctx.account.registry["PN"].get(store.numbers.get(number, ""))
            if mine is not None:  # the caller's own number: Twilio answers it, updated
                return self._apply(ctx, mine, values)
            found = numbering.classify(number)
            if store.number_taken(number) or found is None:
                raise not_available(number)
            if self.number_type is not None and found.type != self.number_type:
                raise not_available(number)
        elif area_code is not None:
            if not numbering.valid_area_code(area_code):
                raise errors.TwilioError(400, 21451, f"AreaCode {area_code} is invalid")
            picked = numbering.pick(salt, area_code, store.number_taken, ("Local", "TollFree"))
            if picked is None:
                raise errors.TwilioError(
                    400, 21452, f"No phone numbers found in area code {area_code}"
                )
            found, number = picked
        else:
            raise errors.bad_request("Missing required parameter PhoneNumber in the post body")
        info = numbering.describe(salt, found, number)
        fields: Dict[str, Any] = {
            "address_requirements": info["address_requirements"],
            "beta": info["beta"],
            "capabilities": dict(info["capabilities"]),
            "type": numbering.NUMBER_TYPE[found.type],
        }
        trunk = values.pop("trunk_sid", None)
        fields.update(values)
        name = fields.pop("friendly_name", None) or info["friendly_name"]
        obj = owned_numbers.new_number(store, ctx.account, number, name, fields)
        if trunk is not None:
            owned_numbers.join_trunk(store, ctx.account, obj, trunk)
        return obj

    def _check_trunk(self, ctx: Context, values: Mapping[str, Any]) -> None:
        trunk = values.get("trunk_sid")
        if trunk is not None and trunk not in ctx.account.trunks:
            raise errors.invalid_parameter("TrunkSid", f"{trunk} is not a trunk of this account")

    def _apply(self, ctx: Context, obj: Record, values: Dict[str, Any]) -> Record:
        """Set ``values`` on the caller's number: TrunkSid and VoiceApplicationSid as the spec
        says (each one clears the other), every other field as given."""
        store, account = ctx.store, ctx.account
        values = dict(values)
        has_trunk = "trunk_sid" in values
        trunk = values.pop("trunk_sid", None)
        if values.get("voice_application_sid") is not None:
            owned_numbers.leave_trunk(store, account, obj)
        obj.update(values)
        if has_trunk:
            if trunk is None:
                owned_numbers.leave_trunk(store, account, obj)
            else:
                owned_numbers.join_trunk(store, account, obj, trunk)
        obj["date_updated"] = store.now()
        return obj

    # -- the instance ------------------------------------------------------------------------
    def update(
        self, ctx: Context, parent: Optional[str], sid: Optional[str], values: Dict[str, Any]
    ) -> Record:
        obj = self.get(ctx, parent, sid)
        values = dict(values)
        moved_to = values.pop("account_sid", None)
        if moved_to is None or moved_to == ctx.account.sid:
            self._check_trunk(ctx, values)
            return self._apply(ctx, obj, values)
        # a transfer (core.accounts): checked whole first, so a refused one changes nothing;
        # the other parameters then apply in the gaining account (a TrunkSid names its trunk)
        store = ctx.store
        accounts.check_transfer(store, ctx.caller_sid, ctx.account.sid, moved_to)
        gaining = store.accounts.get(moved_to) or Account(moved_to)
        there = replace(ctx, account=gaining, caller=ctx.caller_sid)
        self._check_trunk(there, values)
        there = replace(there, account=accounts.transfer_number(store, ctx.account, obj, moved_to))
        moved = there.account.registry["PN"].get(obj["sid"])
        assert moved is not None
        return self._apply(there, moved, values)

    def delete(self, ctx: Context, parent: Optional[str], sid: str) -> None:
        owned_numbers.release(ctx.store, ctx.account, self.get(ctx, parent, sid))

    def render(self, ctx: Context, record: Record) -> Dict[str, Any]:
        out = {name: record.get(name) for name in self.fields}
        caps = record.get("capabilities") or {}
        out["capabilities"] = {name: bool(caps.get(name, False)) for name in CAPABILITIES}
        out["date_created"] = rfc2822(record["date_created"])
        out["date_updated"] = rfc2822(record["date_updated"])
        out["uri"] = wire.json_uri(
            f"{wire.account_uri(record['account_sid'])}/IncomingPhoneNumbers/{record['sid']}"
        )
        return out

    # -- lists -------------------------------------------------------------------------------
    def filtered(self, ctx: Context, parent: Optional[str], values: Dict[str, Any]) -> Collection:
        """The account's numbers: ``list_body`` applies the filters (``_filters``)."""
        return self.collection(ctx, parent)

    def list_body(
        self,
        ctx: Context,
        parent: Optional[str],
        query: Mapping[str, str],
        size: int,
        page: int,
        token: Optional[str],
    ) -> Optional[str]:
        keep, filters = self._filters(query)
        if keep is None:
            return None  # the plain page (the handler's, with its cache)
        items = self.collection(ctx, parent)
        only = self._index_hit(ctx, query)
        if only is not None:  # a whole E.164 number: the index answers in O(1)
            items = Collection()
            if only in ctx.account.registry["PN"]:
                items.add(only, ctx.account.registry["PN"][only])
        records, has_previous, has_next = filtered_page(items, size, token, keep)
        items_json = COMMA.join(encode(self.render(ctx, r)) for r in records)
        return wire.list_envelope(
            self.key or "", items_json, ctx.path, size, page, token, records,
            has_previous, has_next, filters,
        )  # fmt: skip

    def _index_hit(self, ctx: Context, query: Mapping[str, str]) -> Optional[str]:
        """The SID of an owned number the ``PhoneNumber`` filter names whole (E.164 numbers are
        prefix-free, so it is the only match), else None (the list is scanned)."""
        number = query.get("PhoneNumber")
        if number is None or len(number) > MAX_FILTER:
            return None
        return ctx.store.numbers.get(number)

    def _filters(
        self, query: Mapping[str, str]
    ) -> Tuple[Optional[Callable[[Record], bool]], Dict[str, str]]:
        """The list's filter as a predicate (None: no filter) and the filters given, by wire
        name (kept in the page URIs)."""
        tests: List[Callable[[Record], bool]] = []
        shown: Dict[str, str] = {}
        friendly = query.get("FriendlyName")
        if friendly is not None:
            if len(friendly) > 64:
                raise errors.invalid_parameter("FriendlyName", "must be at most 64 characters")
            tests.append(lambda r: r["friendly_name"] == friendly)
            shown["FriendlyName"] = friendly
        raw_beta = query.get("Beta")
        if raw_beta is not None:
            beta = Param("Beta", "beta", type="boolean").parse(raw_beta)
            if not beta:
                tests.append(lambda r: not r.get("beta"))
            shown["Beta"] = "true" if beta else "false"
        number = query.get("PhoneNumber")
        if number is not None:
            pattern = number_filter(number)
            tests.append(lambda r: pattern.matches(r["phone_number"][1:]))
            shown["PhoneNumber"] = number
        origin = query.get("Origin")
        if origin is not None:
            if len(origin) > 16:
                raise errors.invalid_parameter("Origin", "must be twilio or hosted")
            tests.append(lambda r: r.get("origin") == origin)
            shown["Origin"] = origin
        if self.number_type is not None:
            wanted = numbering.NUMBER_TYPE[self.number_type]
            tests.append(lambda r: r.get("type") == wanted)
        if not tests:
            return None, shown
        return (lambda r: all(t(r) for t in tests)), shown


def number_filter(raw: str) -> numbering.Pattern:
    """The ``PhoneNumber`` filter of a list: digits and ``*``, an optional leading ``+``
    (anchored at the number's start). Measured first: at most 16 characters."""
    if len(raw) > MAX_FILTER:
        raise errors.invalid_parameter("PhoneNumber", f"must be at most {MAX_FILTER} characters")
    start = raw.startswith("+")
    body = raw[1:] if start else raw
    if not body or any(c not in "0123456789*" for c in body):
        raise errors.invalid_parameter("PhoneNumber", "may hold only digits, * and a leading +")
    return numbering.Pattern(body, start, False)


def filtered_page(
    items: Collection, size: int, token: Optional[str], keep: Callable[[Record], bool]
) -> Tuple[List[Record], bool, bool]:
    """One page of the items ``keep`` selects, with the collection's own tokens (so a filtered
    walk is stable under writes like any other): ``(records, has_previous, has_next)``.

    Cost: the items read until the page is full and one more match (or the end) is seen on each
    side; a filter over a large account reads more of it than a plain page does.
    """
    forward = token is None or token.startswith("PA")
    out: List[Record] = []
    chunk_size = max(size, 50)

    def scan(cursor: Optional[str], ahead: bool, want: int) -> Tuple[List[Record], bool]:
        """Up to ``want`` kept items from ``cursor`` on, and whether one more exists."""
        found: List[Record] = []
        while True:
            chunk, before, after = items.page(chunk_size, cursor)
            if not chunk:
                return found, False
            for record in chunk if ahead else reversed(chunk):
                if keep(record):
                    if len(found) == want:
                        return found, True
                    found.append(record)
            if not (after if ahead else before):
                return found, False
            cursor = f"PA{chunk[-1]['sid']}" if ahead else f"PB{chunk[0]['sid']}"

    out, more = scan(token, forward, size)
    if not forward:
        out.reverse()
    if not out:
        return [], False, False
    if forward:
        has_next = more
        _, has_previous = scan(f"PB{out[0]['sid']}", False, 0)
    else:
        has_previous = more
        _, has_next = scan(f"PA{out[-1]['sid']}", True, 0)
    return out, has_previous, has_next


class TypedIncomingPhoneNumber(IncomingPhoneNumber):
    """``IncomingPhoneNumbers/{Local,Mobile,TollFree}.json``: the account's numbers of one type,
    and buying one of that type (``PhoneNumber`` required; no ``AreaCode``)."""

    prefix = None  # no instances under these paths (``.../Local/PN….json`` is 404)
    fields = tuple(f for f in FIELDS if f != "type")  # the spec's typed schemas have no type
    create_only = (PHONE_NUMBER,)
    required_on_create = ("PhoneNumber",)
    instance_methods = frozenset()

    def collection(self, ctx: Context, parent: Optional[str]) -> Collection:
        return ctx.account.registry["PN"]


# Twilio's error 21457 "AreaCode Parameter not Supported": "The AreaCode parameter for
# provisioning numbers is not supported on the IncomingPhoneNumbers/Local &
# IncomingPhoneNumbers/TollFree sub-resources" (buy by area code on the main list). The Mobile
# form, which that page does not name, takes AreaCode as any other unknown parameter (ignored).
AREA_CODE_NOT_SUPPORTED = (
    (
        "AreaCode",
        21457,
        "AreaCode Parameter not Supported: buy by area code on IncomingPhoneNumbers.json",
    ),
)


class LocalIncomingPhoneNumber(TypedIncomingPhoneNumber):
    name = "IncomingPhoneNumberLocal"
    refused_on_create = AREA_CODE_NOT_SUPPORTED
    schema = "api.v2010.account.incoming_phone_number.incoming_phone_number_local"
    segments = ("IncomingPhoneNumbers", "Local")
    number_type = "Local"


class MobileIncomingPhoneNumber(TypedIncomingPhoneNumber):
    name = "IncomingPhoneNumberMobile"
    schema = "api.v2010.account.incoming_phone_number.incoming_phone_number_mobile"
    segments = ("IncomingPhoneNumbers", "Mobile")
    number_type = "Mobile"


class TollFreeIncomingPhoneNumber(TypedIncomingPhoneNumber):
    name = "IncomingPhoneNumberTollFree"
    schema = "api.v2010.account.incoming_phone_number.incoming_phone_number_toll_free"
    segments = ("IncomingPhoneNumbers", "TollFree")
    number_type = "TollFree"
    refused_on_create = AREA_CODE_NOT_SUPPORTED


INCOMING_PHONE_NUMBER = IncomingPhoneNumber()
LOCAL = LocalIncomingPhoneNumber()
MOBILE = MobileIncomingPhoneNumber()
TOLL_FREE = TollFreeIncomingPhoneNumber()
