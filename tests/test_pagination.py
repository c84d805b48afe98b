"""Pagination for trunks and every sub-collection (one code path), through the twilio client's
``list``, ``stream``, ``page``, ``next_page``, ``previous_page`` and ``get_page``."""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

from fake_trunking import FakeTrunkingService

from .helpers import list_error, raw

OTHER = "AC" + "d" * 32


class Kind:
    """One collection: how to add and remove its items through the twilio client."""

    def __init__(
        self,
        key: str,
        segment: str,
        accessor: str,
        make: Callable[[FakeTrunkingService, Any, Optional[str]], str],
        remove: Callable[[Any, str], None],
    ) -> None:
        self.key = key
        self.segment = segment
        self.accessor = accessor
        self.make = make
        self.remove = remove

    def __repr__(self) -> str:
        return self.key

    def list_api(self, fake: FakeTrunkingService, tk_sid: Optional[str], **client_kw: Any) -> Any:
        trunks = fake.client(**client_kw).trunking.v1.trunks
        return trunks if tk_sid is None else getattr(trunks(tk_sid), self.accessor)

    def path(self, tk_sid: Optional[str]) -> str:
        return "/v1/Trunks" if tk_sid is None else f"/v1/Trunks/{tk_sid}/{self.segment}"


def _make_trunk(fake: FakeTrunkingService, api: Any, tk_sid: Optional[str]) -> str:
    sid: str = api.create().sid
    return sid


def _make_ou(fake: FakeTrunkingService, api: Any, tk_sid: Optional[str]) -> str:
    sid: str = api.create(
        weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:o@example.com"
    ).sid
    return sid


def _maker(seeder: str, arg: str) -> Callable[[FakeTrunkingService, Any, Optional[str]], str]:
    def make(fake: FakeTrunkingService, api: Any, tk_sid: Optional[str]) -> str:
        sid: str = getattr(fake, seeder)()
        return str(api.create(**{arg: sid}).sid)

    return make


def _remove(api: Any, sid: str) -> None:
    api(sid).delete()


KINDS = [
    Kind("trunks", "", "", _make_trunk, _remove),
    Kind("origination_urls", "OriginationUrls", "origination_urls", _make_ou, _remove),
    Kind(
        "credential_lists",
        "CredentialLists",
        "credentials_lists",
        _maker("seed_credential_list", "credential_list_sid"),
        _remove,
    ),
    Kind(
        "ip_access_control_lists",
        "IpAccessControlLists",
        "ip_access_control_lists",
        _maker("seed_ip_access_control_list", "ip_access_control_list_sid"),
        _remove,
    ),
    Kind(
        "phone_numbers",
        "PhoneNumbers",
        "phone_numbers",
        _maker("seed_phone_number", "phone_number_sid"),
        _remove,
    ),
]


@pytest.fixture
def big() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=77, max_trunks_per_account=None) as service:
        yield service


def setup_kind(fake: FakeTrunkingService, kind: Kind, n: int) -> tuple[Optional[str], List[str]]:
    """A parent trunk (None for trunks) and ``n`` items made through the client, oldest first."""
    tk_sid = None if kind.key == "trunks" else fake.seed_trunks()[0]
    api = kind.list_api(fake, tk_sid)
    return tk_sid, [kind.make(fake, api, tk_sid) for _ in range(n)]


def bulk(fake: FakeTrunkingService, kind: Kind, n: int) -> tuple[Optional[str], List[str]]:
    """``n`` items without HTTP: seeded trunks, or sub-resources written into a state snapshot."""
    if kind.key == "trunks":
        return None, fake.seed_trunks(count=n)
    tk_sid = fake.seed_trunks()[0]
    account = fake.default_account_sid
    snap = fake.dump_state()
    entry = snap["accounts"][account]
    now = "2024-01-01T00:00:00Z"
    if kind.key == "origination_urls":
        sids = [f"OU{i:032x}" for i in range(n)]
        entry["origination_urls"][tk_sid] = [
            {
                "sid": sid,
                "account_sid": account,
                "trunk_sid": tk_sid,
                "weight": 1,
                "priority": 1,
                "enabled": True,
                "friendly_name": "o",
                "sip_url": "sip:o@x.com",
                "date_created": now,
                "date_updated": now,
            }
            for sid in sids
        ]
    else:
        seeder = {
            "credential_lists": fake.seed_credential_list,
            "ip_access_control_lists": fake.seed_ip_access_control_list,
            "phone_numbers": fake.seed_phone_number,
        }[kind.key]
        sids = [seeder() for _ in range(n)]
        snap = fake.dump_state()
        snap["accounts"][account][kind.key][tk_sid] = sids
    fake.load_state(snap)
    return tk_sid, sids


def query(url: str) -> Dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- page size ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_default_page_size_is_50(big: FakeTrunkingService, kind: Kind) -> None:
    tk_sid, sids = bulk(big, kind, 51)
    api = kind.list_api(big, tk_sid)
    page = api.page()
    assert [r.sid for r in page] == sids[:50]
    meta = big.calls[-1].body["meta"]
    assert (meta["page"], meta["page_size"], meta["key"]) == (0, 50, kind.key)
    assert big.calls[-1].body.keys() == {kind.key, "meta"}
    nxt = page.next_page()
    assert [r.sid for r in nxt] == sids[50:]
    assert nxt.next_page() is None
    assert [r.sid for r in api.list()] == sids


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_page_size_is_clamped_to_1000(big: FakeTrunkingService, kind: Kind) -> None:
    tk_sid, sids = bulk(big, kind, 1001)
    api = kind.list_api(big, tk_sid)
    first = len(big.calls)
    listed = api.list(limit=1500)
    calls = big.calls[first:]
    assert [r.sid for r in listed] == sids
    assert len(calls) == 2
    assert calls[0].params == {"PageSize": "1500"}  # the client sends the limit unclamped
    assert calls[0].body["meta"]["page_size"] == 1000
    assert len(calls[0].body[kind.key]) == 1000
    assert query(calls[0].body["meta"]["next_page_url"])["PageSize"] == "1000"
    assert len(calls[1].body[kind.key]) == 1


@pytest.mark.parametrize("kind", KINDS, ids=repr)
@pytest.mark.parametrize("size", ["0", "-1", "abc", "1.5", ""])
def test_bad_page_size_is_400_20001(fake: FakeTrunkingService, kind: Kind, size: str) -> None:
    tk_sid, _ = setup_kind(fake, kind, 1)
    response = raw(fake, "GET", kind.path(tk_sid) + "?PageSize=" + size)
    body = response.json()
    assert (response.status, body["code"]) == (400, 20001)
    assert body["message"].startswith("Invalid PageSize: ")


def test_bad_page_size_through_the_client(trunks: Any) -> None:
    status, body = list_error(trunks.page, page_size=-1)
    assert (status, body["code"]) == (400, 20001)
    status, body = list_error(trunks.page, page_number=-1)
    assert (status, body["code"], body["message"]) == (
        400,
        20001,
        "Invalid Page: must be an integer of at least 0",
    )


# -- meta -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_meta_urls_are_absolute_and_complete(fake: FakeTrunkingService, kind: Kind) -> None:
    tk_sid, sids = setup_kind(fake, kind, 7)
    api = kind.list_api(fake, tk_sid)
    base = "https://trunking.twilio.com" + kind.path(tk_sid)
    page0 = api.page(page_size=3)
    meta = fake.calls[-1].body["meta"]
    assert meta == {
        "page": 0,
        "page_size": 3,
        "first_page_url": f"{base}?PageSize=3&Page=0",
        "previous_page_url": None,
        "url": f"{base}?PageSize=3&Page=0",
        "next_page_url": f"{base}?PageSize=3&Page=1&PageToken=PA{sids[2]}",
        "key": kind.key,
    }
    page1 = page0.next_page()
    assert [r.sid for r in page1] == sids[3:6]
    meta = fake.calls[-1].body["meta"]
    assert fake.calls[-1].url == f"{base}?PageSize=3&Page=1&PageToken=PA{sids[2]}"
    assert meta == {
        "page": 1,
        "page_size": 3,
        "first_page_url": f"{base}?PageSize=3&Page=0",
        "previous_page_url": f"{base}?PageSize=3&Page=0&PageToken=PB{sids[3]}",
        "url": f"{base}?PageSize=3&Page=1&PageToken=PA{sids[2]}",
        "next_page_url": f"{base}?PageSize=3&Page=2&PageToken=PA{sids[5]}",
        "key": kind.key,
    }
    page2 = page1.next_page()
    assert [r.sid for r in page2] == sids[6:]
    assert fake.calls[-1].body["meta"]["next_page_url"] is None
    assert page2.next_page() is None
    back = page2.previous_page()
    assert [r.sid for r in back] == sids[3:6]
    back = back.previous_page()
    assert [r.sid for r in back] == sids[:3]
    assert fake.calls[-1].body["meta"]["previous_page_url"] is None
    assert back.previous_page() is None


def test_empty_list_meta(fake: FakeTrunkingService, trunks: Any) -> None:
    assert trunks.list() == []
    assert fake.calls[-1].body == {
        "trunks": [],
        "meta": {
            "page": 0,
            "page_size": 50,
            "first_page_url": "https://trunking.twilio.com/v1/Trunks?PageSize=50&Page=0",
            "previous_page_url": None,
            "url": "https://trunking.twilio.com/v1/Trunks?PageSize=50&Page=0",
            "next_page_url": None,
            "key": "trunks",
        },
    }


@pytest.mark.parametrize(
    ("client_kw", "host"),
    [
        ({"edge": "sydney", "region": "au1"}, "trunking.sydney.au1.twilio.com"),
        ({"region": "ie1"}, "trunking.ie1.twilio.com"),
        ({"edge": "dublin"}, "trunking.dublin.us1.twilio.com"),
    ],
)
@pytest.mark.parametrize("kind", [KINDS[0], KINDS[4]], ids=repr)
def test_meta_urls_follow_the_edge_and_region_host(
    fake: FakeTrunkingService, kind: Kind, client_kw: Dict[str, str], host: str
) -> None:
    tk_sid, sids = setup_kind(fake, kind, 5)
    api = kind.list_api(fake, tk_sid, **client_kw)
    first = len(fake.calls)
    assert [r.sid for r in api.list(page_size=2)] == sids
    calls = fake.calls[first:]
    assert len(calls) == 3
    for call in calls:
        assert call.request.base_url == f"https://{host}"
        meta = call.body["meta"]
        for name in ("first_page_url", "url", "next_page_url", "previous_page_url"):
            if meta[name] is not None:
                assert meta[name].startswith(f"https://{host}{kind.path(tk_sid)}?"), meta[name]
        for item in call.body[kind.key]:
            assert item["url"].startswith(f"https://{host}/v1/Trunks/")
    if kind.key == "trunks":
        created = api.create()
        assert created.url == f"https://{host}/v1/Trunks/{created.sid}"
        assert set(created.links.values()) == {
            f"https://{host}/v1/Trunks/{created.sid}/{seg}"
            for seg in (
                "OriginationUrls",
                "CredentialLists",
                "IpAccessControlLists",
                "PhoneNumbers",
            )
        }


# -- the client's entry points ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_list_stream_page_and_get_page(fake: FakeTrunkingService, kind: Kind) -> None:
    tk_sid, sids = setup_kind(fake, kind, 7)
    api = kind.list_api(fake, tk_sid)

    first = len(fake.calls)
    assert [r.sid for r in api.list(limit=3, page_size=2)] == sids[:3]
    assert len(fake.calls) - first == 2  # stops as soon as the limit is reached

    first = len(fake.calls)
    assert [r.sid for r in api.list(limit=5)] == sids[:5]
    assert fake.calls[first].params == {"PageSize": "5"}

    assert [r.sid for r in api.list(page_size=2)] == sids
    assert [r.sid for r in api.stream(page_size=3)] == sids
    assert [r.sid for r in api.stream(limit=4, page_size=3)] == sids[:4]
    assert [r.sid for r in api.stream()] == sids

    page = api.page(page_size=4)
    assert [r.sid for r in page] == sids[:4]
    same = api.get_page(page.next_page_url)
    assert [r.sid for r in same] == sids[4:]
    again = api.get_page(fake.calls[-1].body["meta"]["previous_page_url"])
    assert [r.sid for r in again] == sids[:4]
    first_page = api.get_page(fake.calls[-1].body["meta"]["first_page_url"])
    assert [r.sid for r in first_page] == sids[:4]
    # page() with an explicit token, as a client may store it
    by_token = api.page(page_token=f"PA{sids[1]}", page_number=1, page_size=2)
    assert [r.sid for r in by_token] == sids[2:4]


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_page_without_token_and_forged_tokens(fake: FakeTrunkingService, kind: Kind) -> None:
    tk_sid, sids = setup_kind(fake, kind, 3)
    api = kind.list_api(fake, tk_sid)
    status, body = list_error(api.page, page_number=1)
    assert (status, body["code"], body["message"]) == (
        400,
        20001,
        "PageToken is required for paging.",
    )
    theirs_tk = fake.client(OTHER).trunking.v1.trunks.create().sid
    other_tk = fake.seed_trunks()[0]
    forged = [
        "garbage",
        "PA",
        "PZ" + sids[0],
        "pa" + sids[0],
        "PATK" + "0" * 32,
        "PA" + theirs_tk,  # another account's trunk
        "PA" + other_tk if kind.key != "trunks" else "PAOU" + "1" * 32,  # another collection
    ]
    for token in forged:
        status, body = list_error(api.page, page_token=token, page_size=2)
        assert (status, body["code"], body["message"]) == (400, 21481, "Invalid PageToken"), token
        assert fake.calls[-1].body["more_info"] == "https://www.twilio.com/docs/errors/21481"


def test_a_token_of_another_trunks_collection_is_refused(fake: FakeTrunkingService) -> None:
    one, two = fake.seed_trunks(count=2)
    trunks = fake.client().trunking.v1.trunks
    ou = _make_ou(fake, trunks(one).origination_urls, one)
    _make_ou(fake, trunks(two).origination_urls, two)
    status, body = list_error(trunks(two).origination_urls.page, page_token=f"PA{ou}")
    assert (status, body["code"]) == (400, 21481)


def test_empty_page_token_is_treated_as_absent(fake: FakeTrunkingService, trunks: Any) -> None:
    fake.seed_trunks(count=3)
    response = raw(fake, "GET", "/v1/Trunks?PageToken=&PageSize=2")
    assert response.status == 200
    assert len(response.json()["trunks"]) == 2


def test_list_errors_surface_as_twilio_exception(fake: FakeTrunkingService, trunks: Any) -> None:
    missing = trunks("TK" + "0" * 32)
    for sub in (
        "origination_urls",
        "credentials_lists",
        "ip_access_control_lists",
        "phone_numbers",
    ):
        status, body = list_error(getattr(missing, sub).list)
        assert (status, body["code"]) == (404, 20404)


# -- stability under concurrent creates and deletes -------------------------------------------


def _walk(
    fake: FakeTrunkingService,
    kind: Kind,
    tk_sid: Optional[str],
    live: List[str],
    rng: random.Random,
    size: int,
) -> tuple[List[str], set[str]]:
    """Walk the collection page by page; between pages create and delete at random.

    Returns the SIDs served in order and the SIDs that existed throughout the walk."""
    api = kind.list_api(fake, tk_sid)
    throughout = set(live)
    served: List[str] = []
    page = api.page(page_size=size)
    while page is not None:
        records = [r.sid for r in page]
        served.extend(records)
        # the anchor of the next page (this page's last item) may go away too
        if records and rng.random() < 0.3:
            victim = records[-1]
            kind.remove(api, victim)
            live.remove(victim)
            throughout.discard(victim)
        for _ in range(rng.randint(0, 2)):
            if live and rng.random() < 0.6:
                victim = live.pop(rng.randrange(len(live)))
                kind.remove(api, victim)
                throughout.discard(victim)
            else:
                live.append(kind.make(fake, api, tk_sid))
        page = page.next_page()
    return served, throughout


@pytest.mark.parametrize("kind", KINDS, ids=repr)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_walk_never_repeats_or_skips(fake: FakeTrunkingService, kind: Kind, seed: int) -> None:
    tk_sid, live = setup_kind(fake, kind, 20)
    rng = random.Random(seed)
    served, throughout = _walk(fake, kind, tk_sid, live, rng, size=3)
    assert len(served) == len(set(served)), "a walk served an item twice"
    assert throughout <= set(served), "a walk skipped an item that existed throughout"
    order = {sid: i for i, sid in enumerate(served)}
    survivors = [s for s in served if s in throughout]
    assert survivors == sorted(survivors, key=order.__getitem__)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_walk_backwards_after_deletes(fake: FakeTrunkingService, kind: Kind) -> None:
    tk_sid, sids = setup_kind(fake, kind, 9)
    api = kind.list_api(fake, tk_sid)
    last = api.page(page_size=3).next_page().next_page()
    assert [r.sid for r in last] == sids[6:]
    api(sids[6]).delete()  # the anchor of the previous-page token
    api(sids[4]).delete()
    back = last.previous_page()
    assert [r.sid for r in back] == [sids[2], sids[3], sids[5]]


def test_a_phone_number_moved_away_and_back_is_not_served_twice(
    fake: FakeTrunkingService,
) -> None:
    one, two = fake.seed_trunks(count=2)
    trunks = fake.client().trunking.v1.trunks
    pns = [fake.seed_phone_number() for _ in range(4)]
    for pn in pns:
        trunks(one).phone_numbers.create(phone_number_sid=pn)
    page = trunks(one).phone_numbers.page(page_size=2)
    served = [p.sid for p in page]
    assert served == pns[:2]
    trunks(two).phone_numbers.create(phone_number_sid=pns[0])  # moves away ...
    trunks(one).phone_numbers.create(phone_number_sid=pns[0])  # ... and back
    page = page.next_page()
    while page is not None:
        served.extend(p.sid for p in page)
        page = page.next_page()
    assert served == pns


def test_collection_re_add_keeps_the_first_position_after_compaction() -> None:
    from fake_trunking.core.collection import Collection

    items = Collection()
    sids = [f"PN{i:032x}" for i in range(200)]
    for sid in sids:
        items.add(sid, {"sid": sid})
    for sid in sids[:150]:  # enough deletes to compact the dead slots away
        items.remove(sid)
    items.add(sids[10], {"sid": sids[10]})  # its slot was compacted: re-inserted in place
    items.add(sids[149], {"sid": sids[149]})
    expected = [sids[10], sids[149], *sids[150:]]
    assert [r["sid"] for r in items] == expected
    records, has_previous, has_next = items.page(2, f"PA{sids[10]}")
    assert [r["sid"] for r in records] == [sids[149], sids[150]]
    assert (has_previous, has_next) == (True, True)
    records, has_previous, _ = items.page(5, f"PB{sids[150]}")
    assert [r["sid"] for r in records] == [sids[10], sids[149]] and not has_previous
    # a slot not compacted yet is revived in place too
    items.remove(sids[160])
    items.add(sids[160], {"sid": sids[160]})
    assert [r["sid"] for r in items] == expected
    assert len(items) == 52
