"""API v2010 phone numbers (issue 15): AvailablePhoneNumbers and IncomingPhoneNumbers through
twilio 9.13 (sync, async, server mode), every error path, pagination, one world with Trunking's
PhoneNumbers, state snapshots, and the generator's rules (seeded, realistic, never an owned
number, linear-time ``Contains``). Every response is validated against the v2010 spec by the
autouse fixture (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Iterator, List
from urllib.parse import quote

import pytest

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for
from fake_trunking.core import numbering

from .helpers import assert_error, list_error, raw, rest_error

V2010 = "https://api.twilio.com"
TYPE_ATTRS = {
    "Local": "local", "TollFree": "toll_free", "Mobile": "mobile", "National": "national",
    "Voip": "voip", "SharedCost": "shared_cost", "MachineToMachine": "machine_to_machine",
}  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1515) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


def numbers_path(fake: FakeTrunkingService, tail: str = "") -> str:
    return f"/2010-04-01/Accounts/{fake.default_account_sid}/IncomingPhoneNumbers{tail}"


def available_path(fake: FakeTrunkingService, tail: str = "") -> str:
    return f"/2010-04-01/Accounts/{fake.default_account_sid}/AvailablePhoneNumbers{tail}"


def one_available(client: Any, country: str = "US", **filters: Any) -> str:
    found = client.available_phone_numbers(country).local.list(limit=1, **filters)
    assert found, filters
    return str(found[0].phone_number)


# -- AvailablePhoneNumbers ------------------------------------------------------------------


def test_countries_and_one_country(fake: FakeTrunkingService, client: Any) -> None:
    countries = client.available_phone_numbers.list()
    assert [c.country_code for c in countries] == ["US", "CA", "GB", "NL"]
    body = fake.calls[-1].body
    assert set(body) == {"countries", "uri"} and body["uri"] == available_path(fake, ".json")
    us = client.available_phone_numbers("US").fetch()
    assert (us.country, us.beta) == ("United States", False)
    assert us.uri == available_path(fake, "/US.json")
    assert us.subresource_uris == {
        "local": available_path(fake, "/US/Local.json"),
        "toll_free": available_path(fake, "/US/TollFree.json"),
    }
    gb = client.available_phone_numbers("GB").fetch()
    assert set(gb.subresource_uris) == {
        "local", "mobile", "toll_free", "national", "shared_cost", "voip",
    }  # fmt: skip
    error = rest_error(client.available_phone_numbers("DE").fetch)
    assert (error.status, error.code) == (404, 20404)
    assert "/AvailablePhoneNumbers/DE.json" in error.msg
    assert_error(raw(fake, "POST", available_path(fake, ".json"), base=V2010), 405, 20004)


def test_every_type_list_that_a_country_has(client: Any) -> None:
    served = set()
    for code, country in numbering.COUNTRIES.items():
        for kind, attr in TYPE_ATTRS.items():
            lister = getattr(client.available_phone_numbers(code), attr)
            if kind not in country.plans:
                status, body = list_error(lister.list)
                assert (status, body["code"]) == (404, 20404), (code, kind)
                continue
            served.add(kind)
            found = lister.list(limit=20)
            assert len(found) == 20, (code, kind)
            assert len({n.phone_number for n in found}) == 20
            for n in found:
                what = numbering.classify(n.phone_number)
                # NANP toll-free numbers are shared by US and CA: the same number either way
                owner = "US" if (code, kind) == ("CA", "TollFree") else code
                assert what is not None and (what.country.code, what.type) == (owner, kind)
                assert n.iso_country == code
                assert n.address_requirements in ("none", "any", "local", "foreign")
                assert isinstance(n.beta, bool) and n.capabilities["voice"] in (True, False)
                if country.nanp and kind == "Local":
                    assert n.friendly_name == (
                        f"({n.phone_number[2:5]}) {n.phone_number[5:8]}-{n.phone_number[8:]}"
                    )
                    assert n.region and n.postal_code and n.locality and n.rate_center
                    assert n.latitude is not None and n.longitude is not None
                else:
                    assert n.region is None and n.postal_code is None and n.lata is None
    assert served == set(TYPE_ATTRS)


def test_a_search_is_seeded_and_a_read(fake: FakeTrunkingService) -> None:
    def search(seed: int) -> List[str]:
        with FakeTrunkingService(seed=seed) as other:
            found = other.client().available_phone_numbers("US").local.list(limit=10)
            again = other.client().available_phone_numbers("US").local.list(limit=10)
            assert [n.phone_number for n in again] == [n.phone_number for n in found]
            assert other.dump_state()["accounts"] == {}  # a search stores nothing
            return [n.phone_number for n in found]

    assert search(3) == search(3)
    assert search(3) != search(4)


def test_search_filters(client: Any) -> None:
    local = client.available_phone_numbers("US").local
    for n in local.list(area_code=415, limit=10):
        assert n.phone_number.startswith("+1415") and n.region == "CA"
    assert local.list(area_code=999) == []  # no such area code served: nothing, not an error
    for n in local.list(contains="STORM", limit=5):
        assert "78676" in n.phone_number
    for n in local.list(contains="+1212%", limit=5):
        assert n.phone_number.startswith("+1212")
    for n in local.list(contains="%99$", limit=5):
        assert n.phone_number.endswith("99")
    for n in local.list(contains="55**12", limit=5):
        digits = n.phone_number[1:]
        assert any(digits[i : i + 2] == "55" and digits[i + 4 : i + 6] == "12" for i in range(10))
    found = local.list(contains="+1415%55**12$", limit=3)
    assert found and all(
        n.phone_number.startswith("+1415") and n.phone_number[-6:-4] == "55"
        and n.phone_number.endswith("12") for n in found
    )  # fmt: skip
    for name in ("sms", "mms", "voice"):
        for wanted in (True, False):
            for n in local.list(limit=10, **{f"{name}_enabled": wanted}):
                assert n.capabilities[name] is wanted
    assert local.list(voice_enabled=False) == []  # every local number takes calls
    for n in local.list(in_region="TX", limit=10):
        assert n.region == "TX"
    for n in local.list(in_postal_code="94102", limit=10):
        assert n.postal_code == "94102" and n.locality == "San Francisco"
    for n in client.available_phone_numbers("GB").local.list(
        exclude_all_address_required=True, limit=10
    ):
        assert n.address_requirements == "none"
    for n in client.available_phone_numbers("GB").voip.list(beta=False, limit=20):
        assert n.beta is False
    assert len(local.list(page_size=7, limit=7)) == 7
    assert client.available_phone_numbers("GB").local.list(sms_enabled=True) == []


def test_search_pages_are_one_page(fake: FakeTrunkingService, client: Any) -> None:
    local = client.available_phone_numbers("US").local
    page = local.page(page_size=5)
    assert len(list(page)) == 5 and page.next_page() is None
    body = fake.calls[-1].body
    assert (body["next_page_uri"], body["previous_page_uri"], body["page_size"]) == (None, None, 5)
    assert (body["start"], body["end"]) == (0, 4)
    assert len(local.list(limit=60)) == 60  # the client asks PageSize=60
    assert len(local.list()) == 50  # the default page
    response = raw(fake, "GET", available_path(fake, "/US/Local.json?PageToken=PAxyz"), base=V2010)
    assert_error(response, 400, 21481)


@pytest.mark.parametrize(
    "contains",
    ["1", "1" * 17, "12-34", "**", "*1", "+*12", "12%$", "ÄÖ12"],
)
def test_bad_contains_is_400_naming_it(fake: FakeTrunkingService, contains: str) -> None:
    path = available_path(fake, "/US/Local.json?Contains=" + quote(contains))
    response = raw(fake, "GET", path, base=V2010)
    assert_error(response, 400, 20001)
    assert response.json()["message"].startswith("Invalid Contains: ")


@pytest.mark.parametrize(
    "query", ["AreaCode=abc", "SmsEnabled=yes", "Beta=1", "PageSize=0", "InRegion=" + "x" * 65,
              "InRateCenter=HILO", "Distance=far"],
)  # fmt: skip
def test_bad_search_filters_are_400(fake: FakeTrunkingService, query: str) -> None:
    response = raw(fake, "GET", available_path(fake, "/US/Local.json?" + query), base=V2010)
    assert_error(response, 400, 20001)


def best_of_three(call: Any) -> float:
    """The fastest of three runs (seconds): a real bound, not the machine's load."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def test_an_adversarial_contains_answers_at_once(fake: FakeTrunkingService) -> None:
    for value in ("1" * (1 << 20), "%" * (1 << 20), "+" + "*%" * (1 << 19)):
        path = available_path(fake, "/US/Local.json?Contains=" + quote(value))
        assert best_of_three(lambda p=path: raw(fake, "GET", p, base=V2010)) < 0.5
        assert_error(raw(fake, "GET", path, base=V2010), 400, 20001)
    # the matcher itself never backtracks: a worst-case pattern on the longest number
    pattern = numbering.Pattern("%*%*%*%*%*%*%9", start=False, end=True)
    assert not pattern.matches("1" * 15)
    assert best_of_three(lambda: [pattern.matches("1" * 15) for _ in range(2000)]) < 0.5


def test_an_owned_number_is_never_offered(fake: FakeTrunkingService, client: Any) -> None:
    local = client.available_phone_numbers("US").local
    first = [n.phone_number for n in local.list(area_code=415, limit=10)]
    other = "AC" + "7" * 32
    fake.seed_phone_number(other, phone_number=first[0])  # another account owns it
    client.incoming_phone_numbers.create(phone_number=first[1])  # the caller owns this one
    again = [n.phone_number for n in local.list(area_code=415, limit=10)]
    assert first[0] not in again and first[1] not in again
    assert again[:8] == first[2:]  # the same search, minus what is owned now
    assert all(
        n.phone_number not in fake.store.numbers
        for n in fake.client(other).available_phone_numbers("US").local.list(area_code=415)
    )


def test_the_faker_provider_makes_the_same_kind_of_number() -> None:
    from fake_trunking.core.faker_provider import make_faker

    one, two = make_faker(5), make_faker(5)
    number = one.available_phone_number("US", "Local")
    assert number == two.available_phone_number("US", "Local")  # seeded
    assert numbering.classify(number["phone_number"]) is not None and number["iso_country"] == "US"
    assert one.available_phone_number("GB", "Mobile")["phone_number"].startswith("+447")
    with pytest.raises(ValueError, match="Mobile"):
        one.available_phone_number("US", "Mobile")


# -- buying and the IncomingPhoneNumber -------------------------------------------------------


def test_buy_fetch_update_release(fake: FakeTrunkingService, client: Any) -> None:
    offer = client.available_phone_numbers("US").local.list(area_code=212, limit=1)[0]
    bought = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    assert fake.calls[-1].status == 201
    assert bought.sid.startswith("PN") and bought.account_sid == fake.default_account_sid
    assert (bought.phone_number, bought.friendly_name) == (offer.phone_number, offer.friendly_name)
    assert bought.capabilities == offer.capabilities
    assert bought.address_requirements == offer.address_requirements
    assert bought.beta == offer.beta
    assert (bought.trunk_sid, bought.origin, bought.status, bought.api_version) == (
        None, "twilio", "in-use", "2010-04-01",
    )  # fmt: skip
    assert fake.calls[-1].body["type"] == "local"
    assert bought.uri == numbers_path(fake, f"/{bought.sid}.json")
    fetched = client.incoming_phone_numbers(bought.sid).fetch()
    assert (fetched.sid, fetched.date_created) == (bought.sid, bought.date_created)
    updated = client.incoming_phone_numbers(bought.sid).update(
        friendly_name="Front desk", voice_url="https://example.com/voice", voice_method="GET",
        sms_url="https://example.com/sms", voice_caller_id_lookup=True,
        emergency_status="Active", voice_receive_mode="fax",
    )  # fmt: skip
    assert (
        updated.friendly_name == "Front desk" and updated.voice_url == "https://example.com/voice"
    )
    assert (updated.voice_method, updated.voice_caller_id_lookup) == ("GET", True)
    assert (updated.emergency_status, updated.voice_receive_mode) == ("Active", "fax")
    cleared = client.incoming_phone_numbers(bought.sid).update(voice_url="")
    assert cleared.voice_url is None
    assert client.incoming_phone_numbers(bought.sid).delete() is True
    assert fake.calls[-1].status == 204
    assert rest_error(client.incoming_phone_numbers(bought.sid).fetch).status == 404
    assert offer.phone_number not in fake.store.numbers  # for sale again
    again = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    assert again.sid != bought.sid


def test_buy_by_area_code(client: Any) -> None:
    bought = client.incoming_phone_numbers.create(area_code="415", friendly_name="SF")
    assert bought.phone_number.startswith("+1415") and bought.friendly_name == "SF"
    toll_free = client.incoming_phone_numbers.create(area_code="888")
    assert toll_free.phone_number.startswith("+1888")
    ca = client.incoming_phone_numbers.create(area_code="604")
    assert numbering.classify(ca.phone_number).country.code == "CA"  # type: ignore[union-attr]


def test_buying_ones_own_number_answers_it_updated(fake: FakeTrunkingService, client: Any) -> None:
    number = one_available(client)
    first = client.incoming_phone_numbers.create(phone_number=number)
    second = client.incoming_phone_numbers.create(phone_number=number, friendly_name="again")
    assert fake.calls[-1].status == 201
    assert (second.sid, second.friendly_name, second.status) == (first.sid, "again", "in-use")
    assert len(client.incoming_phone_numbers.list()) == 1


def test_buy_errors_change_nothing(fake: FakeTrunkingService, client: Any) -> None:
    other = "AC" + "7" * 32
    taken = one_available(client)
    fake.seed_phone_number(other, phone_number=taken)
    before = fake.dump_state()
    cases = [
        ({"phone_number": "4155550100"}, 21421),
        ({"phone_number": "+0123456"}, 21421),
        ({"phone_number": taken}, 21422),  # another account's
        ({"phone_number": "+14155550123"}, 21422),  # a 555 number is not for sale
        ({"phone_number": "+4930123456"}, 21422),  # a country the fake does not serve
        ({"area_code": "211"}, 21451),
        ({"area_code": "41"}, 21451),
        ({"area_code": "999"}, 21452),
        ({"phone_number": one_available(client), "trunk_sid": "TK" + "0" * 32}, 20001),
        ({"phone_number": one_available(client), "voice_method": "PUT"}, 20001),
        ({"phone_number": one_available(client), "friendly_name": "x" * 65}, 20001),
    ]
    for kwargs, code in cases:
        error = rest_error(client.incoming_phone_numbers.create, **kwargs)
        assert (error.status, error.code) == (400, code), kwargs
    error = rest_error(client.incoming_phone_numbers.create, phone_number=taken)
    assert error.msg.endswith(f"{taken} is not available")
    assert_error(raw(fake, "POST", numbers_path(fake, ".json"), "FriendlyName=x", base=V2010),
                 400, 20001)  # fmt: skip
    assert fake.dump_state() == before


def test_local_mobile_toll_free_forms(fake: FakeTrunkingService, client: Any) -> None:
    local = client.incoming_phone_numbers.local.create(phone_number=one_available(client))
    toll_free_number = client.available_phone_numbers("US").toll_free.list(limit=1)[0]
    toll_free = client.incoming_phone_numbers.toll_free.create(
        phone_number=toll_free_number.phone_number, friendly_name="support"
    )
    mobile_number = client.available_phone_numbers("GB").mobile.list(limit=1)[0]
    mobile = client.incoming_phone_numbers.mobile.create(phone_number=mobile_number.phone_number)
    assert "type" not in fake.calls[-1].body  # the typed forms' schema has no type
    assert client.incoming_phone_numbers(mobile.sid).fetch() and fake.calls[-1].body["type"] == (
        "mobile"
    )
    assert [n.sid for n in client.incoming_phone_numbers.local.list()] == [local.sid]
    assert [n.sid for n in client.incoming_phone_numbers.toll_free.list()] == [toll_free.sid]
    assert [n.sid for n in client.incoming_phone_numbers.mobile.list()] == [mobile.sid]
    assert [n.sid for n in client.incoming_phone_numbers.list()] == [
        local.sid, toll_free.sid, mobile.sid,
    ]  # fmt: skip
    # a number of another type than the form's is not for sale there
    other = client.available_phone_numbers("US").toll_free.list(limit=1)[0].phone_number
    error = rest_error(client.incoming_phone_numbers.local.create, phone_number=other)
    assert (error.status, error.code) == (400, 21422)
    assert_error(raw(fake, "POST", numbers_path(fake, "/Local.json"), "FriendlyName=x",
                     base=V2010), 400, 20001, "Missing required parameter PhoneNumber in the "
                 "post body")  # fmt: skip
    assert_error(raw(fake, "GET", numbers_path(fake, f"/Local/{local.sid}.json"), base=V2010),
                 404, 20404)  # fmt: skip


def test_list_filters_and_every_pagination_entry_point(
    fake: FakeTrunkingService, client: Any
) -> None:
    numbers = [n.phone_number for n in
               client.available_phone_numbers("US").local.list(area_code=303, limit=6)]  # fmt: skip
    made = [
        client.incoming_phone_numbers.create(phone_number=n, friendly_name=f"n{i % 2}").sid
        for i, n in enumerate(numbers)
    ]
    client.incoming_phone_numbers.create(phone_number=one_available(client, area_code=212))
    ipn = client.incoming_phone_numbers
    assert [n.sid for n in ipn.list(phone_number="+1303")] == made
    assert [n.sid for n in ipn.list(phone_number="303*")] == made
    assert [n.sid for n in ipn.list(phone_number=numbers[2])] == [made[2]]
    assert [n.sid for n in ipn.list(friendly_name="n1")] == made[1::2]
    assert [n.sid for n in ipn.list(friendly_name="n1", page_size=2)] == made[1::2]
    assert [n.sid for n in ipn.stream(phone_number="+1303", page_size=4)] == made
    assert [n.sid for n in ipn.list(origin="twilio", limit=3)] == made[:3]
    assert ipn.list(origin="hosted") == []
    beta = fake.seed_phone_number(phone_number="+16175550199", beta=True)
    assert beta in [n.sid for n in ipn.list(beta=True)]
    assert [n.sid for n in ipn.list(beta=False)] == [n.sid for n in ipn.list() if not n.beta]
    page = ipn.page(phone_number="+1303", page_size=4)
    body = fake.calls[-1].body
    assert body["next_page_uri"].startswith(
        numbers_path(fake, ".json?PhoneNumber=%2B1303&PageSize=4&Page=1&PageToken=PA")
    )
    seen = [n.sid for n in page]
    nxt = page.next_page()
    seen += [n.sid for n in nxt]
    assert seen == made and nxt.next_page() is None
    assert [n.sid for n in nxt.previous_page()] == made[:4]
    assert [n.sid for n in ipn.get_page(page.next_page_url)] == made[4:]
    assert_error(raw(fake, "GET", numbers_path(fake, ".json?PhoneNumber=12-3"), base=V2010),
                 400, 20001)  # fmt: skip
    assert_error(raw(fake, "GET", numbers_path(fake, ".json?PhoneNumber=" + "1" * 17),
                     base=V2010), 400, 20001)  # fmt: skip
    assert_error(raw(fake, "GET", numbers_path(fake, ".json?Beta=maybe"), base=V2010), 400, 20001)


def test_a_filtered_walk_is_stable_under_writes(client: Any) -> None:
    numbers = [n.phone_number for n in
               client.available_phone_numbers("US").local.list(area_code=617, limit=5)]  # fmt: skip
    made = [client.incoming_phone_numbers.create(phone_number=n).sid for n in numbers]
    page = client.incoming_phone_numbers.page(phone_number="+1617", page_size=2)
    client.incoming_phone_numbers(made[1]).delete()  # the token's anchor goes
    client.incoming_phone_numbers.create(phone_number=one_available(client, area_code=617))
    assert [n.sid for n in page.next_page()] == made[2:4]


def test_update_errors_change_nothing(fake: FakeTrunkingService, client: Any) -> None:
    sid = client.incoming_phone_numbers.create(phone_number=one_available(client)).sid
    other = "AC" + "7" * 32
    foreign_trunk = fake.seed_trunks(other)[0]
    before = fake.dump_state()
    for kwargs in (
        {"trunk_sid": "TKnope"},
        {"trunk_sid": foreign_trunk},
        {"account_sid": "AC1"},  # another account: tests/test_v2010_accounts_update.py
        {"voice_receive_mode": "sms"},
        {"emergency_status": "On"},
        {"voice_url": "ftp://x"},
        {"sms_application_sid": "AP1"},
    ):
        error = rest_error(client.incoming_phone_numbers(sid).update, **kwargs)
        assert (error.status, error.code) == (400, 20001), kwargs
    assert fake.dump_state() == before
    missing = client.incoming_phone_numbers("PN" + "0" * 32)
    assert rest_error(missing.update, friendly_name="x").status == 404
    assert rest_error(missing.delete).status == 404
    assert rest_error(fake.client(other).incoming_phone_numbers(sid).fetch).status == 404
    assert fake.client(other).incoming_phone_numbers.list() == []
    response = raw(fake, "GET", f"/2010-04-01/Accounts/{other}/IncomingPhoneNumbers.json",
                   base=V2010)  # fmt: skip
    assert_error(response, 401, 20003)
    assert_error(raw(fake, "PUT", numbers_path(fake, f"/{sid}.json"), base=V2010), 405, 20004)


# -- one world: Trunking and v2010 ----------------------------------------------------------


def test_a_seeded_number_is_a_v2010_number(fake: FakeTrunkingService, client: Any) -> None:
    sid = fake.seed_phone_number(phone_number="+14155550100", friendly_name="main")
    fetched = client.incoming_phone_numbers(sid).fetch()
    assert (fetched.phone_number, fetched.friendly_name, fetched.trunk_sid) == (
        "+14155550100", "main", None,
    )  # fmt: skip
    assert fake.calls[-1].body["type"] == "local"
    assert [n.sid for n in client.incoming_phone_numbers.list()] == [sid]
    seeded_gb = fake.seed_phone_number(phone_number="+447700900123")
    assert client.incoming_phone_numbers(seeded_gb).fetch().friendly_name == "+447700900123"
    with pytest.raises(ValueError, match="emergency_status"):
        fake.seed_phone_number(emergency_status="On")


def test_buy_then_associate_and_move_through_both_apis(
    fake: FakeTrunkingService, client: Any
) -> None:
    trunks = client.trunking.v1.trunks
    a, b = trunks.create(friendly_name="a"), trunks.create(friendly_name="b")
    bought = client.incoming_phone_numbers.create(
        phone_number=one_available(client), voice_application_sid="AP" + "1" * 32
    )
    # Trunking associates the v2010 number; v2010 shows it
    assoc = a.phone_numbers.create(phone_number_sid=bought.sid)
    assert (assoc.sid, assoc.phone_number, assoc.trunk_sid) == (
        bought.sid, bought.phone_number, a.sid,
    )  # fmt: skip
    seen = client.incoming_phone_numbers(bought.sid).fetch()
    assert (seen.trunk_sid, seen.voice_application_sid) == (a.sid, None)
    # TrunkSid on a v2010 update moves it
    moved = client.incoming_phone_numbers(bought.sid).update(trunk_sid=b.sid)
    assert moved.trunk_sid == b.sid
    assert a.phone_numbers.list() == []
    assert [p.sid for p in b.phone_numbers.list()] == [bought.sid]
    assert b.phone_numbers(bought.sid).fetch().trunk_sid == b.sid
    # a voice application takes it off the trunk, and TrunkSid= too
    off = client.incoming_phone_numbers(bought.sid).update(voice_application_sid="AP" + "2" * 32)
    assert (off.trunk_sid, off.voice_application_sid) == (None, "AP" + "2" * 32)
    assert b.phone_numbers.list() == []
    client.incoming_phone_numbers(bought.sid).update(trunk_sid=a.sid)
    assert [p.sid for p in a.phone_numbers.list()] == [bought.sid]
    assert client.incoming_phone_numbers(bought.sid).update(trunk_sid="").trunk_sid is None
    assert a.phone_numbers.list() == []
    # buying straight onto a trunk
    direct = client.incoming_phone_numbers.create(phone_number=one_available(client),
                                                  trunk_sid=b.sid)  # fmt: skip
    assert direct.trunk_sid == b.sid and [p.sid for p in b.phone_numbers.list()] == [direct.sid]
    # releasing a number a trunk uses takes it off the trunk
    client.incoming_phone_numbers(direct.sid).delete()
    assert b.phone_numbers.list() == []
    assert rest_error(b.phone_numbers(direct.sid).fetch).status == 404
    assert rest_error(b.phone_numbers.create, phone_number_sid=direct.sid).status == 404
    # deleting a trunk frees its numbers in v2010 too
    client.incoming_phone_numbers(bought.sid).update(trunk_sid=a.sid)
    client.trunking.v1.trunks(a.sid).delete()
    assert client.incoming_phone_numbers(bought.sid).fetch().trunk_sid is None
    # removing the association through Trunking clears v2010's trunk_sid
    client.incoming_phone_numbers(bought.sid).update(trunk_sid=b.sid)
    b.phone_numbers(bought.sid).delete()
    assert client.incoming_phone_numbers(bought.sid).fetch().trunk_sid is None


def test_state_carries_the_numbers(fake: FakeTrunkingService, client: Any) -> None:
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    bought = client.incoming_phone_numbers.create(
        phone_number=one_available(client), trunk_sid=trunk.sid, emergency_status="Active"
    )
    snapshot = fake.dump_state()
    with FakeTrunkingService(seed=9) as other:
        other.load_state(snapshot)
        c = other.client(fake.default_account_sid)
        loaded = c.incoming_phone_numbers(bought.sid).fetch()
        assert (loaded.trunk_sid, loaded.emergency_status) == (trunk.sid, "Active")
        assert other.store.numbers[bought.phone_number] == bought.sid  # the index is rebuilt
        taken = rest_error(other.client().incoming_phone_numbers.create,
                           phone_number=bought.phone_number)  # fmt: skip
        assert taken.code == 21422  # owned by the loaded account
        # a snapshot from before v2010 (no v2010 fields) loads with their defaults
        old = fake.dump_state()
        obj: Dict[str, Any] = old["accounts"][fake.default_account_sid]["registry"]["PN"][0]
        for name in ("origin", "status", "type", "emergency_status", "bundle_sid"):
            del obj[name]
        other.load_state(old)
        assert c.incoming_phone_numbers(bought.sid).fetch().emergency_status == "Inactive"
        before = other.dump_state()
        obj["emergency_status"] = "On"
        with pytest.raises(ValueError, match="emergency_status"):
            other.load_state(old)
        obj["emergency_status"] = "Active"
        obj["bundle_sid"] = "XX1"
        with pytest.raises(ValueError, match="bundle_sid"):
            other.load_state(old)
        assert other.dump_state() == before


# -- every way in -----------------------------------------------------------------------------


def test_async_buy_and_associate(fake: FakeTrunkingService) -> None:
    async def flow() -> Any:
        client = fake.async_client()
        try:
            offers = await client.available_phone_numbers("US").local.list_async(
                area_code=512, sms_enabled=True, limit=2
            )
            bought = await client.incoming_phone_numbers.create_async(
                phone_number=offers[0].phone_number
            )
            trunk = await client.trunking.v1.trunks.create_async(friendly_name="async")
            await client.trunking.v1.trunks(trunk.sid).phone_numbers.create_async(
                phone_number_sid=bought.sid
            )
            fetched = await client.incoming_phone_numbers(bought.sid).fetch_async()
            listed = await client.incoming_phone_numbers.list_async(page_size=1)
            await client.incoming_phone_numbers(bought.sid).delete_async()
            left = await client.trunking.v1.trunks(trunk.sid).phone_numbers.list_async()
            return offers, bought, trunk, fetched, listed, left
        finally:
            await client.http_client.close()

    offers, bought, trunk, fetched, listed, left = asyncio.run(flow())
    assert bought.phone_number == offers[0].phone_number and offers[0].capabilities["sms"]
    assert fetched.trunk_sid == trunk.sid and [n.sid for n in listed] == [bought.sid]
    assert left == []


def test_server_mode_search_buy_associate() -> None:
    with FakeTrunkingServer(seed=3, timeout=5.0) as server:
        account = "AC" + "1" * 32
        client = client_for(server.base_url, account, "t")
        offer = client.available_phone_numbers("US").local.list(area_code=206, limit=1)[0]
        bought = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
        trunk = client.trunking.v1.trunks.create(friendly_name="t")
        client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=bought.sid)
        assert client.incoming_phone_numbers(bought.sid).fetch().trunk_sid == trunk.sid
        assert client.available_phone_numbers.list()[0].country_code == "US"


# -- the spec -------------------------------------------------------------------------------


def test_every_declared_search_filter_is_read() -> None:
    """The declarations are compared with the spec by tests/test_spec_coverage.py; here: each
    declared filter is applied by the search (the geography ones since issue 15's part 2:
    tests/test_available_numbers_geo.py)."""
    from fake_trunking.apis.api_v2010 import available_phone_number as apn

    declared = {p.name for p in apn.TYPE_LISTS[0].list_filters}
    read = {"AreaCode", "Contains", *apn.BOOLEAN_FILTERS, *apn.TEXT_FILTERS,
            "NearNumber", "NearLatLong", "Distance"}  # fmt: skip
    assert declared == read
