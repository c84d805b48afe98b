"""AvailablePhoneNumbers geography and AreaCode (issue 15, part 2): ``NearLatLong``,
``NearNumber`` and ``Distance`` applied as Twilio documents them (US and CA, miles, default 25,
at most 500), a number's coordinates are its locality's, ``AreaCode`` on every type that has
NANP numbers, Twilio's 21457 on the typed buy forms, and the seeded results the faster search
still gives. Through twilio 9.13; every response is validated against the v2010 spec by the
autouse fixture (tests/conftest.py)."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Any, Dict, Iterator, List, Set, Tuple
from urllib.parse import quote

import pytest

from fake_trunking import FakeTrunkingService

from .helpers import assert_error, list_error, raw

V2010 = "https://api.twilio.com"
SAN_FRANCISCO = (37.7749, -122.4194)
NEW_YORK = (40.7128, -74.0060)


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1515) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


def miles(a: Tuple[float, float], b: Tuple[float, float]) -> float:
    """Great-circle miles (haversine; written here again, not the fake's own function)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 3958.8 * math.asin(math.sqrt(h))


def where(n: Any) -> Tuple[float, float]:
    return float(n.latitude), float(n.longitude)


def lat_long(point: Tuple[float, float]) -> str:
    return f"{point[0]},{point[1]}"


def search_path(fake: FakeTrunkingService, tail: str) -> str:
    return f"/2010-04-01/Accounts/{fake.default_account_sid}/AvailablePhoneNumbers{tail}"


# -- NearLatLong, NearNumber, Distance -----------------------------------------------------------


def test_near_lat_long_keeps_the_numbers_within_distance(client: Any) -> None:
    local = client.available_phone_numbers("US").local
    near = local.list(near_lat_long=lat_long(SAN_FRANCISCO), limit=60)
    assert len(near) == 60
    assert all(miles(where(n), SAN_FRANCISCO) <= 25 for n in near)
    assert {n.locality for n in near} == {"San Francisco", "Oakland"}  # San Jose is 42 miles off
    default = [n.phone_number for n in near]
    explicit = local.list(near_lat_long=lat_long(SAN_FRANCISCO), distance=25, limit=60)
    assert [n.phone_number for n in explicit] == default  # Distance defaults to 25 miles
    wider = local.list(near_lat_long=lat_long(SAN_FRANCISCO), distance=50, limit=100)
    assert {n.locality for n in wider} == {"San Francisco", "Oakland", "San Jose"}
    assert all(miles(where(n), SAN_FRANCISCO) <= 50 for n in wider)
    at = local.list(near_lat_long=lat_long(SAN_FRANCISCO), distance=0, limit=10)
    assert at and {n.locality for n in at} == {"San Francisco"}  # exactly there, and only there
    # the widest radius reaches across the country, never beyond it
    far = local.list(near_lat_long=lat_long(SAN_FRANCISCO), distance=500, limit=200)
    assert all(miles(where(n), SAN_FRANCISCO) <= 500 for n in far)
    assert {"Los Angeles", "Las Vegas", "San Diego"} <= {n.locality for n in far}
    assert "Portland" not in {n.locality for n in far}  # 535 miles
    assert "New York" not in {n.locality for n in far}


def test_near_number_searches_around_that_numbers_locality(client: Any) -> None:
    local = client.available_phone_numbers("US").local
    # a 555 number is not for sale, but it is in New York all the same
    near = local.list(near_number="+12125550100", limit=40)
    assert near and {n.locality for n in near} == {"New York", "Jersey City"}
    assert all(miles(where(n), NEW_YORK) <= 25 for n in near)
    wider = local.list(near_number="+12125550100", distance=100, limit=100)
    assert "Philadelphia" in {n.locality for n in wider}  # about 80 miles
    assert all(miles(where(n), NEW_YORK) <= 100 for n in wider)
    # a number the search offered is near its own locality
    offer = local.list(area_code=206, limit=1)[0]
    around = local.list(near_number=offer.phone_number, limit=10)
    assert around and {n.locality for n in around} == {"Seattle"}
    # Canada too
    ca = client.available_phone_numbers("CA").local.list(near_number="+14165550100", limit=10)
    assert ca and {(n.locality, n.iso_country) for n in ca} == {("Toronto", "CA")}


def test_near_number_and_near_lat_long_together_must_both_hold(client: Any) -> None:
    local = client.available_phone_numbers("US").local
    both = local.list(
        near_number="+12125550100", near_lat_long=lat_long(SAN_FRANCISCO), distance=500
    )
    assert both == []  # no place is within 500 miles of New York and of San Francisco
    jersey_city = (40.7178, -74.0431)
    close = local.list(
        near_number="+12155550100", near_lat_long=lat_long(jersey_city), distance=90, limit=50
    )  # Philadelphia's number, and Jersey City: both within 90 miles of New York and Jersey City
    assert close
    philadelphia = (39.9526, -75.1652)
    for n in close:
        assert miles(where(n), philadelphia) <= 90 and miles(where(n), jersey_city) <= 90


def test_distance_alone_changes_nothing_and_filters_combine(client: Any) -> None:
    local = client.available_phone_numbers("US").local
    plain = [n.phone_number for n in local.list(limit=10)]
    assert [n.phone_number for n in local.list(distance=1, limit=10)] == plain
    assert local.list(area_code=415, near_number="+12125550100") == []
    for n in local.list(in_region="CA", near_lat_long=lat_long(SAN_FRANCISCO), limit=20):
        assert n.region == "CA" and n.locality in ("San Francisco", "Oakland")
    for n in local.list(sms_enabled=True, near_number="+12125550100", limit=20):
        assert n.capabilities["sms"] is True and n.locality in ("New York", "Jersey City")


@pytest.mark.parametrize(
    "country,kind,near",
    [
        ("US", "local", {"near_number": "+18005550199"}),  # toll-free: no place
        ("US", "local", {"near_number": "+14065550100"}),  # Montana: no row in the fake's table
        ("US", "local", {"near_number": "+442071234567"}),  # another country's number
        ("US", "toll_free", {"near_lat_long": lat_long(NEW_YORK)}),  # toll-free numbers
        ("GB", "local", {"near_lat_long": "51.5072,-0.1276"}),  # US and Canada only
        ("GB", "mobile", {"near_number": "+12125550100"}),
        ("US", "local", {"near_lat_long": "48.8566,2.3522", "distance": 500}),  # Paris
    ],
)
def test_a_near_query_with_nothing_near_answers_an_empty_list(
    client: Any, country: str, kind: str, near: Dict[str, Any]
) -> None:
    assert getattr(client.available_phone_numbers(country), kind).list(**near) == []


def test_a_numbers_coordinates_are_its_localitys(client: Any) -> None:
    seen: Dict[str, Set[Tuple[float, float]]] = defaultdict(set)
    for country in ("US", "CA"):
        for n in client.available_phone_numbers(country).local.list(limit=400):
            assert n.latitude is not None and n.longitude is not None
            seen[n.locality].add(where(n))
    assert len(seen) >= 30
    assert all(len(points) == 1 for points in seen.values()), seen
    for n in client.available_phone_numbers("US").toll_free.list(limit=20):
        assert (n.latitude, n.longitude, n.locality) == (None, None, None)


def test_a_bought_number_searched_near_is_no_longer_offered(
    fake: FakeTrunkingService, client: Any
) -> None:
    local = client.available_phone_numbers("US").local
    first = [n.phone_number for n in local.list(near_lat_long=lat_long(NEW_YORK), limit=10)]
    client.incoming_phone_numbers.create(phone_number=first[0])
    fake.seed_phone_number("AC" + "7" * 32, phone_number=first[1])  # another account's
    again = [n.phone_number for n in local.list(near_lat_long=lat_long(NEW_YORK), limit=10)]
    assert again[:8] == first[2:]  # the same search, minus what is owned now
    wide = local.list(near_number="+12125550100", distance=500, limit=300)
    assert wide and all(n.phone_number not in fake.store.numbers for n in wide)


def test_geography_is_deterministic_under_the_seed() -> None:
    def near(seed: int) -> List[str]:
        with FakeTrunkingService(seed=seed) as other:
            local = other.client().available_phone_numbers("US").local
            found = [n.phone_number for n in local.list(near_number="+13035550100", limit=10)]
            again = [n.phone_number for n in local.list(near_number="+13035550100", limit=10)]
            assert found == again
            assert other.dump_state()["accounts"] == {}  # a search stores nothing
            return found

    assert near(8) == near(8)
    assert near(8) != near(9)


# -- bad values: 400, naming the parameter ------------------------------------------------------


@pytest.mark.parametrize(
    "query,name",
    [
        ("NearLatLong=x", "NearLatLong"),
        ("NearLatLong=37.77", "NearLatLong"),
        ("NearLatLong=37.77%3B-122.42", "NearLatLong"),
        ("NearLatLong=91,0", "NearLatLong"),
        ("NearLatLong=0,-180.5", "NearLatLong"),
        ("NearLatLong=nan,nan", "NearLatLong"),
        ("NearLatLong=1e3,2", "NearLatLong"),
        ("NearLatLong=" + "1" * 100_000, "NearLatLong"),
        ("Distance=501", "Distance"),
        ("Distance=-1", "Distance"),
        ("Distance=far", "Distance"),
        ("NearNumber=4155550100", "NearNumber"),
        ("NearNumber=%2B0123456", "NearNumber"),
        ("NearNumber=%2B1" + "2" * 20, "NearNumber"),
        ("NearNumber=%2B%D9%A3%D9%A3%D9%A3", "NearNumber"),  # Arabic-Indic digits
        ("NearNumber=" + "9" * 100_000, "NearNumber"),
    ],
)
def test_bad_geography_is_400_naming_the_parameter(
    fake: FakeTrunkingService, query: str, name: str
) -> None:
    before = fake.dump_state()
    response = raw(fake, "GET", search_path(fake, "/US/Local.json?" + query), base=V2010)
    assert_error(response, 400, 20001)
    assert response.json()["message"].startswith(f"Invalid {name}: ")
    assert fake.dump_state() == before


def test_bad_geography_through_the_twilio_client(client: Any) -> None:
    local = client.available_phone_numbers("US").local
    status, body = list_error(local.list, near_lat_long="somewhere")
    assert (status, body["code"]) == (400, 20001) and "NearLatLong" in body["message"]
    status, body = list_error(local.list, near_number="+12125550100", distance=1000)
    assert (status, body["code"]) == (400, 20001) and "Distance" in body["message"]


# -- AreaCode ---------------------------------------------------------------------------------


def test_area_code_on_every_type_with_nanp_numbers(client: Any) -> None:
    us, ca = client.available_phone_numbers("US"), client.available_phone_numbers("CA")
    for code in (800, 833, 844, 855, 866, 877, 888):
        found = us.toll_free.list(area_code=code, limit=5)
        assert len(found) == 5 and all(n.phone_number.startswith(f"+1{code}") for n in found)
    assert {n.iso_country for n in ca.toll_free.list(area_code=877, limit=5)} == {"CA"}
    assert all(n.phone_number.startswith("+1604") for n in ca.local.list(area_code=604, limit=5))
    # an area code with nothing of that type, or of no served row, or of no NANP country: [],
    # not an error (21451 and 21452 are the buy's codes)
    assert us.toll_free.list(area_code=415) == []
    assert us.local.list(area_code=800) == []
    assert us.local.list(area_code=111) == []
    assert ca.local.list(area_code=415) == []
    assert client.available_phone_numbers("GB").local.list(area_code=20) == []


@pytest.mark.parametrize("form", ["Local", "TollFree"])
def test_area_code_on_a_typed_buy_form_is_21457(
    fake: FakeTrunkingService, client: Any, form: str
) -> None:
    """twilio's typed ``create`` has no ``area_code`` (the spec's typed forms have none); a
    hand-made request that sends it gets Twilio's 21457, before any other check."""
    path = f"/2010-04-01/Accounts/{fake.default_account_sid}/IncomingPhoneNumbers/{form}.json"
    for body in ("PhoneNumber=%2B14155550100&AreaCode=415", "AreaCode=415", "AreaCode=x"):
        response = raw(fake, "POST", path, body, base=V2010)
        assert_error(response, 400, 21457)
        assert "AreaCode" in response.json()["message"]
    assert client.incoming_phone_numbers.list() == []  # nothing bought
    offer = client.available_phone_numbers("US").local.list(limit=1)[0].phone_number
    assert_error(raw(fake, "POST", path, "FriendlyName=x", base=V2010), 400, 20001)  # no number
    assert client.incoming_phone_numbers.local.create(phone_number=offer).phone_number == offer
    bought = client.incoming_phone_numbers.create(area_code="415")  # the main list takes it
    assert bought.phone_number.startswith("+1415")


# -- the faster search gives the numbers it gave --------------------------------------------------


def test_the_numbers_of_a_seed_are_the_ones_the_search_always_gave(client: Any) -> None:
    """Pinned from the search before its speed-up (issue 15 part 2): the numbers a seed offers
    did not change (their capabilities and coordinates did: docs/decisions.md)."""
    local = client.available_phone_numbers("US").local
    assert [n.phone_number for n in local.list(limit=5)] == [
        "+14145171876", "+12168295472", "+16172524582", "+13059251634", "+12139963984",
    ]  # fmt: skip
    toll_free = client.available_phone_numbers("US").toll_free.list(area_code=888, limit=3)
    assert [n.phone_number for n in toll_free] == ["+18889251847", "+18886875647", "+18888162159"]
    mobile = client.available_phone_numbers("GB").mobile.list(contains="77%", limit=3)
    assert [n.phone_number for n in mobile] == ["+447577415359", "+447406177007", "+447577772022"]


def test_a_listing_and_the_number_it_buys_agree(client: Any) -> None:
    for offer in client.available_phone_numbers("US").local.list(limit=10):
        bought = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
        assert bought.capabilities == offer.capabilities
        assert (bought.address_requirements, bought.beta) == (
            offer.address_requirements, offer.beta,
        )  # fmt: skip


def test_capabilities_follow_the_documented_odds(client: Any) -> None:
    found = client.available_phone_numbers("US").local.list(limit=1000)
    count = len(found)
    assert count == 1000 and all(n.capabilities["voice"] for n in found)
    sms = sum(n.capabilities["sms"] for n in found) / count
    mms = sum(n.capabilities["mms"] for n in found) / count
    fax = sum(n.capabilities["fax"] for n in found) / count
    beta = sum(bool(n.beta) for n in found) / count
    assert 0.91 < sms < 0.99 and 0.75 < mms < 0.88 and 0.24 < fax < 0.36 and beta < 0.09
    assert all(n.capabilities["sms"] for n in found if n.capabilities["mms"])
    needs = sum(n.address_requirements != "none" for n in found) / count
    assert 0.05 < needs < 0.15


def test_a_huge_near_value_is_refused_at_once(fake: FakeTrunkingService) -> None:
    for name, value in (
        ("NearLatLong", "1," * (1 << 19)),
        ("NearLatLong", "1" * (1 << 20)),
        ("NearNumber", "+" + "1" * (1 << 20)),
        ("Distance", "9" * (1 << 20)),
    ):
        path = search_path(fake, f"/US/Local.json?{name}=" + quote(value))
        times = []
        for _ in range(3):
            started = time.perf_counter()
            response = raw(fake, "GET", path, base=V2010)
            times.append(time.perf_counter() - started)
        assert_error(response, 400, 20001)
        assert response.json()["message"].startswith(f"Invalid {name}: ")
        assert min(times) < 0.5  # well under a second: refused by its length
