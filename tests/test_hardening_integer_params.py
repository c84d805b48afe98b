"""Issue 12, item 3 (the parameters): an integer parameter's text is measured before ``int()``.

``PageSize``, ``Page``, ``Weight`` and ``Priority`` with more than 4,300 digits were a 500 and a
traceback on stderr (CPython refuses longer integer texts with a ``ValueError``). Now any text
that is not a short run of ASCII digits (an optional sign, at most 64 characters) is a 400/20001
naming the parameter: huge numbers, superscripts (``²``), other scripts' digits (``١٢``), digit
separators. A refused request logs nothing and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import pytest

from fake_trunking import FakeTrunkingService

from .helpers import assert_error, list_error, raw, rest_error

ODD = [
    "9" * 4301,  # just past CPython's limit
    "9" * 5000,
    "1" * 65,  # past the fake's 64 characters
    "-" + "9" * 5000,
    "²",
    "١٢",  # Arabic-Indic digits: str.isdigit() and int() take them, HTTP APIs do not
    "\uff11\uff12",  # full-width digits
    "1_000",
    " 12",
    "12\n",
    "0x10",
]
LONG = "must be an integer of at most 64 characters"


def _rule(value: str) -> str:
    return LONG if len(value) > 64 else "must be an integer"


@pytest.mark.parametrize("value", ODD, ids=[repr(v[:6]) + f"x{len(v)}" for v in ODD])
@pytest.mark.parametrize("name", ["PageSize", "Page"])
def test_odd_list_numbers_are_400_naming_the_parameter(
    fake: FakeTrunkingService, caplog: pytest.LogCaptureFixture, name: str, value: str
) -> None:
    tk = fake.seed_trunks()[0]
    token = f"&PageToken=PA{tk}" if name == "Page" else ""
    for path in ("/v1/Trunks", f"/v1/Trunks/{tk}/OriginationUrls"):
        with caplog.at_level(logging.DEBUG, logger="fake_trunking"):
            response = raw(fake, "GET", f"{path}?{name}={quote(value)}{token}")
        assert_error(response, 400, 20001, f"Invalid {name}: {_rule(value)}")
        assert caplog.records == []  # no internal error, no traceback


@pytest.mark.parametrize("value", ODD, ids=[repr(v[:6]) + f"x{len(v)}" for v in ODD])
@pytest.mark.parametrize("name", ["weight", "priority"])
def test_odd_weights_and_priorities_are_400_through_the_client(
    fake: FakeTrunkingService, client: Any, name: str, value: str
) -> None:
    tk = fake.seed_trunks()[0]
    ous = client.trunking.v1.trunks(tk).origination_urls
    values = {"weight": 1, "priority": 1, "enabled": True, "friendly_name": "o"}
    made = ous.create(sip_url="sip:a@example.com", **values)
    before = fake.dump_state()
    wire = "Weight" if name == "weight" else "Priority"
    values[name] = value
    error = rest_error(ous.create, sip_url="sip:b@example.com", **values)
    assert (error.status, error.code) == (400, 20001)
    assert error.msg.endswith(f": Invalid {wire}: {_rule(value)}")
    error = rest_error(ous(made.sid).update, **{name: value})
    assert (error.status, error.code) == (400, 20001)
    assert fake.dump_state() == before


def test_a_huge_page_size_through_the_client(fake: FakeTrunkingService, trunks: Any) -> None:
    status, body = list_error(trunks.page, page_size="9" * 5000)
    assert (status, body["code"], body["message"]) == (400, 20001, f"Invalid PageSize: {LONG}")


@pytest.mark.parametrize(
    ("value", "served"),
    [
        ("0" * 63 + "7", 7),  # 64 characters: still read, leading zeros and all
        ("+3", 3),
        ("9" * 64, 1000),  # long but within the bound: clamped to 1000 as before
    ],
)
def test_integers_within_the_bound_keep_their_meaning(
    fake: FakeTrunkingService, value: str, served: int
) -> None:
    fake.seed_trunks(count=8)
    response = raw(fake, "GET", f"/v1/Trunks?PageSize={quote(value)}")
    assert response.status == 200
    body = response.json()
    assert body["meta"]["page_size"] == served
    assert len(body["trunks"]) == min(served, 8)


def test_weights_at_the_bound(fake: FakeTrunkingService, client: Any) -> None:
    tk = fake.seed_trunks()[0]
    ous = client.trunking.v1.trunks(tk).origination_urls
    made = ous.create(
        weight="0" * 59 + "65535", priority="-0", enabled=True, friendly_name="o", sip_url="sip:a@b"
    )
    assert (made.weight, made.priority) == (65535, 0)


def test_a_huge_page_token_is_an_unknown_token(fake: FakeTrunkingService) -> None:
    tk = fake.seed_trunks()[0]
    for token in ("PA" + tk + "0" * 5000, "PA" + "9" * 100_000, "PB" + "²" * 1000):
        response = raw(fake, "GET", f"/v1/Trunks?PageToken={quote(token)}")
        assert_error(response, 400, 21481, "Invalid PageToken")
