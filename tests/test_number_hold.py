"""A released phone number on hold (issue 15, part 2): ``number_hold_days=N`` keeps a released
number off sale for N days of the fake's clock, for every account (Twilio recycles a released
number before it sells it again, and its release can be undone in the Console only). Off by
default: then a released number is for sale again at once (tests/test_v2010_numbers.py). The
hold is kept in state snapshots and the durable server's database, and checked up front."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from fake_trunking import FakeTrunkingService
from fake_trunking.options import KeywordError
from fake_trunking.server.cli import add_arguments, serve
from fake_trunking.server.http import FakeTrunkingServer

from .helpers import Clock, rest_error

OTHER = "AC" + "b" * 32


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def holding(clock: Clock) -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=21, clock=clock, number_hold_days=10) as fake:
        yield fake


def offered(client: Any, number: str) -> List[str]:
    """The search for exactly ``number`` (its 10 national digits, anchored at the end)."""
    found = client.available_phone_numbers("US").local.list(contains=number[2:] + "$")
    return [n.phone_number for n in found]


def test_a_released_number_is_off_sale_for_every_account_until_its_days_pass(
    holding: FakeTrunkingService, clock: Clock
) -> None:
    mine, theirs = holding.client(), holding.client(OTHER)
    number = mine.available_phone_numbers("US").local.list(area_code=503, limit=1)[0].phone_number
    assert offered(mine, number) == [number]
    bought = mine.incoming_phone_numbers.create(phone_number=number)
    assert offered(mine, number) == []  # owned
    mine.incoming_phone_numbers(bought.sid).delete()
    for client in (mine, theirs):  # the releasing account too: no API undoes a release
        assert offered(client, number) == []
        error = rest_error(client.incoming_phone_numbers.create, phone_number=number)
        assert (error.status, error.code) == (400, 21422)
        assert error.msg.endswith(f"{number} is not available")
    assert mine.incoming_phone_numbers.list() == [] and theirs.incoming_phone_numbers.list() == []
    clock.advance(days=9, hours=23, minutes=59)
    assert offered(theirs, number) == []
    clock.advance(minutes=1)
    assert offered(theirs, number) == [number]
    assert theirs.incoming_phone_numbers.create(phone_number=number).phone_number == number


def test_buying_by_area_code_never_picks_a_number_on_hold(holding: FakeTrunkingService) -> None:
    client = holding.client()
    first = client.incoming_phone_numbers.create(area_code="907")  # the fake's pick, seeded
    client.incoming_phone_numbers(first.sid).delete()
    again = client.incoming_phone_numbers.create(area_code="907")
    assert again.phone_number != first.phone_number
    with FakeTrunkingService(seed=21) as free:  # no hold: the same pick comes back at once
        c = free.client()
        pick = c.incoming_phone_numbers.create(area_code="907")
        assert pick.phone_number == first.phone_number
        c.incoming_phone_numbers(pick.sid).delete()
        assert c.incoming_phone_numbers.create(area_code="907").phone_number == pick.phone_number


def test_the_seeding_api_takes_a_number_on_hold(holding: FakeTrunkingService) -> None:
    client = holding.client()
    number = client.available_phone_numbers("US").local.list(limit=1)[0].phone_number
    client.incoming_phone_numbers(client.incoming_phone_numbers.create(phone_number=number).sid)
    sid = client.incoming_phone_numbers.list()[0].sid
    client.incoming_phone_numbers(sid).delete()
    assert number in holding.store.held_numbers
    seeded = holding.seed_phone_number(OTHER, phone_number=number)  # the test's own setup
    assert number not in holding.store.held_numbers
    assert holding.client(OTHER).incoming_phone_numbers(seeded).fetch().phone_number == number


def test_holds_are_in_state_snapshots(holding: FakeTrunkingService, clock: Clock) -> None:
    client = holding.client()
    numbers = [n.phone_number for n in client.available_phone_numbers("US").local.list(limit=3)]
    for number in numbers:
        client.incoming_phone_numbers(
            client.incoming_phone_numbers.create(phone_number=number).sid
        ).delete()
        clock.advance(days=1)
    snapshot = holding.dump_state()
    assert list(snapshot["held_numbers"]) == numbers  # oldest first
    assert snapshot["held_numbers"][numbers[0]] == "2024-05-16T07:08:09Z"  # 10 days on
    with FakeTrunkingService(seed=3, clock=clock) as other:  # no keyword: a hold still holds
        other.load_state(snapshot)
        c = other.client(holding.default_account_sid)
        assert rest_error(c.incoming_phone_numbers.create, phone_number=numbers[0]).code == 21422
        clock.advance(days=7, hours=12)  # the first hold has expired: neither offered nor dumped
        assert offered(c, numbers[0]) == [numbers[0]]
        assert list(other.dump_state()["held_numbers"]) == numbers[1:]
        clock.advance(days=5)
        assert "held_numbers" not in other.dump_state()


@pytest.mark.parametrize(
    "held,problem",
    [
        ([], "held_numbers: not an object"),
        ({"4155550100": "2026-01-01T00:00:00Z"}, "not an E.164 number"),
        ({"+14155550100": "tomorrow"}, "not a date"),
        ({"+14155550100": "2026-02-30T00:00:00Z"}, "not a date"),
        ({"OWNED": "2026-01-01T00:00:00Z"}, "the number is also owned"),
    ],
)
def test_a_bad_hold_in_a_snapshot_is_refused_and_changes_nothing(
    holding: FakeTrunkingService, held: Any, problem: str
) -> None:
    owned = holding.client().incoming_phone_numbers.create(area_code="212").phone_number
    before = holding.dump_state()
    if isinstance(held, dict) and "OWNED" in held:
        held = {owned: held["OWNED"]}
    with pytest.raises(ValueError, match=problem):
        holding.load_state({**before, "held_numbers": held})
    assert holding.dump_state() == before


@pytest.mark.parametrize("value", [-1, 36_501, "10", 2.5, True, None])
def test_number_hold_days_is_checked_up_front(value: Any) -> None:
    with pytest.raises(KeywordError, match="number_hold_days"):
        FakeTrunkingService(number_hold_days=value)


def test_serve_takes_number_hold_days(monkeypatch: pytest.MonkeyPatch) -> None:
    import fake_trunking.server.http

    parser = argparse.ArgumentParser(prog="fake-trunking serve")
    add_arguments(parser)
    assert parser.parse_args([]).number_hold_days == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["--number-hold-days", "-2"])
    made: Dict[str, Any] = {}

    class Stub:
        state_file = None

        def __init__(self, **kwargs: Any) -> None:
            made.update(kwargs)

        def start(self) -> None:
            raise OSError("stub: not listening")

    monkeypatch.setattr(fake_trunking.server.http, "FakeTrunkingServer", Stub)
    assert serve(parser.parse_args(["--number-hold-days", "10"]), out=io.StringIO(),
                 err=io.StringIO()) == 1  # fmt: skip
    assert made["number_hold_days"] == 10


def test_the_durable_server_keeps_a_hold_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(seed=4, state_file=db, number_hold_days=10) as server:
        client = server.client()
        account = server.fake.default_account_sid
        number = client.available_phone_numbers("US").local.list(limit=1)[0].phone_number
        client.incoming_phone_numbers(
            client.incoming_phone_numbers.create(phone_number=number).sid
        ).delete()
    with FakeTrunkingServer(seed=5, state_file=db) as again:
        client = again.client(account)
        assert rest_error(client.incoming_phone_numbers.create, phone_number=number).code == 21422
        assert offered(client, number) == []
