"""The rules of owned phone numbers, for both APIs: one object per number, in the owner's registry.

An IncomingPhoneNumber (API v2010) *is* the object that Trunking's ``PhoneNumbers`` associates: one
record in ``Account.registry["PN"]``, its number in the store-wide index ``Store.numbers`` (number
-> SID, so "is it owned by anyone" is O(1)). No HTTP here; the resources of both APIs and the
seeding API call these functions, under the store's write lock.

Rules (docs/decisions.md "Phone numbers"):

- A number is on at most one trunk. ``join_trunk`` puts it on one: it leaves the trunk it was on
  (that trunk's ``PhoneNumbers`` list no longer shows it), its ``trunk_sid`` becomes the new trunk
  and its ``voice_application_sid`` null (the spec: "Setting a trunk_sid will automatically delete
  your voice_application_sid and vice versa"). ``leave_trunk`` takes it off.
- Releasing a number (``release``) takes it off its trunk, out of its account and out of the index:
  it is for sale again at once, or after ``number_hold_days`` of the fake's clock
  (``Store.hold_number``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from .collection import Record
from .ids import is_sid

if TYPE_CHECKING:  # only annotations: the store makes Faker values, which use this module
    from .store import Account, Store

ADDRESS_REQUIREMENTS = ("none", "any", "local", "foreign")
EMERGENCY_STATUSES = ("Active", "Inactive")
EMERGENCY_ADDRESS_STATUSES = (
    "registered", "unregistered", "pending-registration", "registration-failure",
    "pending-unregistration", "unregistration-failure",
)  # fmt: skip
VOICE_RECEIVE_MODES = ("voice", "fax")
NUMBER_TYPES = (
    "local", "mobile", "toll-free", "national", "voip", "shared-cost", "machine-to-machine",
)  # fmt: skip

# The fields of a number both APIs show, with the value of a new number.
TRUNKING_DEFAULTS: Dict[str, Any] = {
    "address_requirements": "none",
    "api_version": "2010-04-01",
    "beta": False,
    "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
    "sms_application_sid": None,
    "sms_fallback_method": "POST",
    "sms_fallback_url": None,
    "sms_method": "POST",
    "sms_url": None,
    "status_callback": None,
    "status_callback_method": "POST",
    "trunk_sid": None,
    "voice_application_sid": None,
    "voice_caller_id_lookup": False,
    "voice_fallback_method": "POST",
    "voice_fallback_url": None,
    "voice_method": "POST",
    "voice_url": None,
}
# The fields only API v2010 shows. A snapshot or cassette from before v2010 was served lacks
# them: loading fills these values in.
V2010_DEFAULTS: Dict[str, Any] = {
    "address_sid": None,
    "identity_sid": None,
    "origin": "twilio",
    "emergency_status": "Inactive",
    "emergency_address_sid": None,
    "emergency_address_status": "unregistered",
    "bundle_sid": None,
    "voice_receive_mode": "voice",
    "status": "in-use",
    "type": "local",
}
PHONE_NUMBER_DEFAULTS: Dict[str, Any] = {**TRUNKING_DEFAULTS, **V2010_DEFAULTS}
IDENTITY_FIELDS = ("sid", "account_sid", "date_created", "date_updated", "friendly_name",
                   "phone_number")  # fmt: skip
PHONE_NUMBER_FIELDS = frozenset(PHONE_NUMBER_DEFAULTS) | frozenset(IDENTITY_FIELDS)


def new_number(
    store: Store,
    account: Account,
    phone_number: str,
    friendly_name: str,
    fields: Mapping[str, Any],
) -> Record:
    """Add ``phone_number`` (not owned by anyone: the caller checked) to ``account``."""
    values: Dict[str, Any] = dict(PHONE_NUMBER_DEFAULTS)
    values["capabilities"] = dict(values["capabilities"])
    values.update(fields)
    values["phone_number"] = phone_number
    values["friendly_name"] = friendly_name
    obj = store.new_registry_object(account, "PN", values)
    sid = obj["sid"]
    store.numbers[phone_number] = sid
    store.held_numbers.pop(phone_number, None)  # the seeding API may take a number on hold
    return obj


def owner(store: Store, phone_number: str) -> Optional[str]:
    """The SID of the number's object, if any account owns it (O(1))."""
    return store.numbers.get(phone_number)


def leave_trunk(store: Store, account: Account, obj: Record) -> None:
    """Take the number off its trunk, if it is on one."""
    old = obj.get("trunk_sid")
    if old is None:
        return
    items = account.child(old, "phone_numbers")
    if items is not None and obj["sid"] in items:
        items.remove(obj["sid"])
    obj["trunk_sid"] = None
    obj["date_updated"] = store.now()


def move_to_trunk(store: Store, account: Account, obj: Record, trunk_sid: str) -> None:
    """The number's side of an association: off its old trunk, ``trunk_sid`` set, no voice
    application. The caller adds it to the new trunk's list (see ``join_trunk``)."""
    old = obj.get("trunk_sid")
    if old is not None and old != trunk_sid:
        leave_trunk(store, account, obj)
    obj["trunk_sid"] = trunk_sid
    obj["voice_application_sid"] = None
    obj["date_updated"] = store.now()


def join_trunk(store: Store, account: Account, obj: Record, trunk_sid: str) -> None:
    """Put the number on the caller's trunk ``trunk_sid`` (which exists), moving it off another."""
    if obj.get("trunk_sid") == trunk_sid:
        obj["voice_application_sid"] = None
        return
    move_to_trunk(store, account, obj, trunk_sid)
    items = account.child(trunk_sid, "phone_numbers", create=True)
    assert items is not None
    items.add(obj["sid"], {"sid": obj["sid"]})


def release(store: Store, account: Account, obj: Record) -> None:
    """Release the number: off its trunk, out of the account and of the index of owned numbers."""
    leave_trunk(store, account, obj)
    account.registry["PN"].remove(obj["sid"])
    if store.numbers.get(obj["phone_number"]) == obj["sid"]:
        del store.numbers[obj["phone_number"]]
        store.hold_number(obj["phone_number"])


def check_stored(obj: Mapping[str, Any]) -> Optional[str]:
    """What is wrong with a stored number's v2010 fields (state snapshots), or None."""
    for name, allowed in (
        ("emergency_status", EMERGENCY_STATUSES),
        ("emergency_address_status", EMERGENCY_ADDRESS_STATUSES),
        ("voice_receive_mode", VOICE_RECEIVE_MODES),
        ("type", NUMBER_TYPES),
    ):
        if obj[name] not in allowed:
            return f"{name} must be one of {', '.join(allowed)}"
    if obj["origin"] not in ("twilio", "hosted"):
        return "origin must be twilio or hosted"
    if not isinstance(obj["status"], str):
        return "status must be a string"
    for name, prefix in (("address_sid", "AD"), ("identity_sid", "RI"),
                         ("emergency_address_sid", "AD"), ("bundle_sid", "BU")):  # fmt: skip
        value = obj[name]
        if value is not None and not is_sid(value, prefix):
            return f"{name} must be null or a {prefix} SID"
    return None


__all__ = [
    "ADDRESS_REQUIREMENTS",
    "PHONE_NUMBER_DEFAULTS",
    "PHONE_NUMBER_FIELDS",
    "TRUNKING_DEFAULTS",
    "V2010_DEFAULTS",
    "check_stored",
    "join_trunk",
    "leave_trunk",
    "move_to_trunk",
    "new_number",
    "owner",
    "release",
]
