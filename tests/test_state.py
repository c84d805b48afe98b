"""State snapshots refuse what the API itself could never have stored: a state file,
``PUT /__fake__/state`` or a seeded cassette must not smuggle in values that break the spec."""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict

import pytest

from fake_trunking import FakeTrunkingService


@pytest.fixture
def snapshot(fake: FakeTrunkingService, trunks: Any) -> Dict[str, Any]:
    tk = trunks.create(friendly_name="hq", domain_name="hq.pstn.twilio.com").sid
    trunks(tk).origination_urls.create(
        weight=1, priority=2, enabled=True, friendly_name="o", sip_url="sip:a@b.example"
    )
    trunks(tk).phone_numbers.create(phone_number_sid=fake.seed_phone_number())
    return fake.dump_state()


def _account(snap: Dict[str, Any]) -> Dict[str, Any]:
    (account,) = snap["accounts"].values()
    return account  # type: ignore[no-any-return]


def _ou(snap: Dict[str, Any]) -> Dict[str, Any]:
    (items,) = _account(snap)["origination_urls"].values()
    return items[0]  # type: ignore[no-any-return]


BAD: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "transfer mode": lambda s: _account(s)["trunks"][0].update(transfer_mode="sideways"),
    "boolean as text": lambda s: _account(s)["trunks"][0].update(secure="yes"),
    "long friendly name": lambda s: _account(s)["trunks"][0].update(friendly_name="x" * 65),
    "bad domain": lambda s: _account(s)["trunks"][0].update(domain_name="x.example.com"),
    "method case": lambda s: _account(s)["trunks"][0].update(disaster_recovery_method="get"),
    "recording mode": lambda s: _account(s)["trunks"][0]["recording"].update(mode="always"),
    "null boolean": lambda s: _account(s)["trunks"][0].update(symmetric_rtp_enabled=None),
    "weight range": lambda s: _ou(s).update(weight=70000),
    "weight as text": lambda s: _ou(s).update(weight="1"),
    "sips url": lambda s: _ou(s).update(sip_url="sips:a@b"),
    "address requirement": lambda s: _account(s)["registry"]["PN"][0].update(
        address_requirements="somewhere"
    ),
    "capabilities": lambda s: _account(s)["registry"]["PN"][0].update(capabilities={"voice": 1}),
    "phone number": lambda s: _account(s)["registry"]["PN"][0].update(phone_number="555"),
    "unknown number field": lambda s: _account(s)["registry"]["PN"][0].update(colour="red"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_snapshot_with_a_value_the_api_refuses_is_refused_whole(
    fake: FakeTrunkingService, snapshot: Dict[str, Any], name: str
) -> None:
    bad = copy.deepcopy(snapshot)
    BAD[name](bad)
    fake.reset()
    with pytest.raises(ValueError, match="invalid state at accounts"):
        fake.load_state(bad)
    assert fake.dump_state()["accounts"] == {}  # nothing was loaded


def test_a_good_snapshot_round_trips(fake: FakeTrunkingService, snapshot: Dict[str, Any]) -> None:
    other = FakeTrunkingService()
    other.load_state(copy.deepcopy(snapshot))
    assert other.dump_state() == snapshot
