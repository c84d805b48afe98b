"""Accounts and subaccounts: who owns whom, their status, and what the status means. No HTTP.

The rules (Twilio's docs "REST API: Subaccounts" and "Subaccount status", its support articles
"What happens when I suspend a subaccount?", "Closing a Twilio subaccount" and "Move phone
numbers between accounts and their subaccounts"; docs/decisions.md "Subaccounts"):

- A main account is any account the credentials are for; it makes subaccounts (``CreateAccount``);
  a subaccount makes none (there are no grandchildren). A main account's record is derived
  (``record_of``) until it is updated; a subaccount's is stored (``Store.account_records``).
- A main account's own SID and auth token reach its subaccounts' v2010 resources; a
  subaccount's credentials reach only its own; API keys only their own account's (``may_reach``).
- Status: only a main account may change a subaccount's ``Status`` (``active`` <-> ``suspended``,
  either -> ``closed``); a main account cannot be suspended or closed through the API; ``closed``
  is final (400/21479 on any other status after it). Requests authenticated as an account that is
  not active are 401/20005 "Account not active" (``not_active``); a closed account's v2010 paths
  take no writes from its main account either (its Account's FriendlyName excepted).
- Closing releases every phone number of the account (off its trunk, for sale again); its other
  objects (trunks, lists, keys) stay, unreachable, as Twilio keeps a closed account's data.
- A number moves between a main account and its subaccounts, or between two subaccounts of one
  main account, on the main account's credentials only (``transfer_number``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from . import errors, owned_numbers
from .collection import Record
from .store import Account, Store

STATUSES = ("active", "suspended", "closed")
TYPES = ("Trial", "Full")
FIELDS = frozenset(
    {"sid", "owner_account_sid", "friendly_name", "status", "type", "date_created",
     "date_updated"}
)  # fmt: skip
MAIN_FRIENDLY_NAME = "fake-trunking account"
MAX_FRIENDLY_NAME = 64  # the spec: "up to 64 characters long"


def not_active() -> errors.TwilioError:
    """401/20005: the request's account (or the account its path names) is not active."""
    return errors.TwilioError(
        401, 20005, "Account not active", detail="This account is suspended or closed."
    )


def closed_for_good() -> errors.TwilioError:
    return errors.TwilioError(
        400, 21479, "Unable to update Status for subaccount, subaccount has been closed."
    )


def record_of(store: Store, sid: str) -> Record:
    """The account's record: the stored one, or a main account's derived one (active, ``Full``,
    its own owner, both dates the fake's start). Never store a derived record from a read."""
    found: Optional[Record] = store.account_records.get(sid)
    if found is not None:
        return found
    return {
        "sid": sid,
        "owner_account_sid": sid,
        "friendly_name": MAIN_FRIENDLY_NAME,
        "status": "active",
        "type": "Full",
        "date_created": store.started,
        "date_updated": store.started,
    }


def status_of(store: Store, sid: str) -> str:
    found = store.account_records.get(sid)
    return "active" if found is None else str(found["status"])


def check_active(store: Store, caller: str) -> None:
    """Requests authenticated as a suspended or closed account: 401/20005, in either API."""
    if status_of(store, caller) != "active":
        raise not_active()


def check_write(store: Store, caller: str, target: str, on_account: bool) -> None:
    """A write by ``caller`` on ``target``'s paths: a closed subaccount takes none from its main
    account, except on its Account itself (``on_account``: FriendlyName; Status answers 21479)."""
    if caller != target and not on_account and status_of(store, target) == "closed":
        raise not_active()


def may_reach(store: Store, caller: str, target: str) -> bool:
    """May credentials for ``caller`` (its SID and auth token) use ``target``'s v2010 paths?"""
    return caller == target or store.parent_of(target) == caller


def visible(store: Store, caller: str) -> List[Record]:
    """The accounts ``ListAccount`` shows ``caller``: itself, then (for a main account) its
    subaccounts in creation order, closed ones included (Twilio lists them)."""
    out = [record_of(store, caller)]
    if store.parent_of(caller) is None:
        out.extend(
            r
            for r in store.account_records.values()
            if r["owner_account_sid"] == caller and r["sid"] != caller
        )
    return out


def default_friendly_name(store: Store) -> str:
    """The spec: ``SubAccount Created at {YYYY-MM-DD HH:MM meridian}`` (the fake's clock, UTC)."""
    moment = store.clock()
    return (
        "SubAccount Created at "
        + moment.strftime("%Y-%m-%d %I:%M ")
        + ("am" if moment.hour < 12 else "pm")
    )


def create_subaccount(store: Store, parent: str, friendly_name: Any) -> Record:
    """A new active subaccount of ``parent``. A subaccount makes none: 401/20003."""
    if store.parent_of(parent) is not None:
        raise errors.unauthenticated()
    records = store.account_records
    sid = store.mint_sid("AC", lambda s: s == parent or s in records or s in store.accounts)
    now = store.now()
    record: Record = {
        "sid": sid,
        "owner_account_sid": parent,
        "friendly_name": friendly_name or default_friendly_name(store),
        "status": "active",
        "type": "Full",
        "date_created": now,
        "date_updated": now,
    }
    records[sid] = record
    return record


def update(store: Store, caller: str, sid: str, values: Mapping[str, Any]) -> Record:
    """``UpdateAccount``: ``friendly_name`` and ``status`` (checked before anything changes)."""
    current = record_of(store, sid)
    status = values.get("status")
    parent = store.parent_of(sid)
    if status is not None and status != current["status"]:
        if parent is None:
            raise errors.invalid_parameter(
                "Status", "a main account cannot be suspended or closed through the API"
            )
        if caller != parent:  # Twilio: "use your main account's authentication credentials"
            raise errors.unauthenticated()
        if current["status"] == "closed":
            raise closed_for_good()
    changed: Dict[str, Any] = dict(current)
    changed.update({k: v for k, v in values.items() if v is not None})
    changed["date_updated"] = store.now()
    store.account_records[sid] = changed
    if changed["status"] == "closed" and current["status"] != "closed":
        release_numbers(store, sid)
    return changed


def release_numbers(store: Store, sid: str) -> None:
    """A closed account's phone numbers are released (Twilio: "will release all phone numbers
    assigned to it"): off their trunks, out of the account, for sale again."""
    account = store.accounts.get(sid)
    if account is None:
        return
    for obj in list(account.registry["PN"]):
        owned_numbers.release(store, account, obj)


def check_transfer(store: Store, caller: str, source: str, target: str) -> None:
    """May ``caller`` move a number of ``source`` to ``target`` (``AccountSid`` on a number's
    update)? Only the main account's own credentials move numbers, and only within its family
    (401/20003 else); the gaining account must be related (400/21473) and active (400/21472)."""
    main = store.parent_of(source) or source
    if caller != main:
        raise errors.unauthenticated()
    if target != main and store.parent_of(target) != main:
        raise errors.TwilioError(
            400,
            21473,
            f"AccountSid {target} you are transferring to is not related to the originating "
            "owner of the phone number",
        )
    if status_of(store, target) != "active":
        raise errors.TwilioError(400, 21472, f"Account {target} is not active")


def transfer_number(store: Store, source: Account, obj: Record, target: str) -> Account:
    """Move the number ``obj`` (checked with ``check_transfer``) from ``source`` to ``target``:
    its SID stays; it leaves its trunk (a trunk is its account's; decisions.md); returns the
    gaining account."""
    owned_numbers.leave_trunk(store, source, obj)
    source.registry["PN"].remove(obj["sid"])
    gaining = store.account(target)
    moved = dict(obj, account_sid=target, date_updated=store.now())
    gaining.registry["PN"].add(moved["sid"], moved)
    return gaining


__all__ = [
    "FIELDS",
    "MAIN_FRIENDLY_NAME",
    "MAX_FRIENDLY_NAME",
    "STATUSES",
    "TYPES",
    "check_active",
    "check_transfer",
    "check_write",
    "create_subaccount",
    "may_reach",
    "not_active",
    "record_of",
    "release_numbers",
    "status_of",
    "transfer_number",
    "update",
    "visible",
]
