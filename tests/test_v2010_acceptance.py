"""Issue 15's acceptance review, as a new user: what the issue asks that no other test pins.

The other v2010 tests (tests/test_v2010_*.py and friends) cover each resource; this file holds
the items they left open, each through ``twilio==9.13``:

- every pagination entry point (``list``, ``stream``, ``page``, ``next_page``,
  ``previous_page``, ``get_page`` and their ``*_async`` forms) on *every* v2010 list;
- the whole provisioning flow on the async client, and on both hosts' edge/region forms (sync
  and async);
- a v2010 path the fake does not serve (AssignedAddOns among them) is 404/20404 naming the
  path through the twilio client, in process, async and in server mode, never a refused
  connection;
- every cross-API read agrees (the fields an IncomingPhoneNumber and its Trunking association
  share, their dates, a Trunking move), and the seed and the clock apply to both APIs;
- v2010 errors over a real socket (server mode) are Twilio bodies with the spec's codes;
- the admin endpoints see, seed, fault and reset v2010 objects.

Every response body is validated against its API's spec by the autouse fixture
(tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for
from fake_trunking.server.admin_client import AdminClient

from .helpers import Clock, list_error, rest_error

PASSWORD = "Acceptance-Passw0rd"


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1517) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


# -- every pagination entry point on every v2010 list -----------------------------------------

# A maker takes a sync client and answers (the list object of the client it is given, the SIDs
# the list holds in order). The list object is looked up again on the async client.
Lister = Callable[[Any], Any]


def _five(make: Callable[[int], str]) -> List[str]:
    return [make(i) for i in range(5)]


def _credential_lists(client: Any) -> Tuple[Lister, List[str]]:
    made = _five(lambda i: client.sip.credential_lists.create(friendly_name=f"L{i}").sid)
    return (lambda c: c.sip.credential_lists), made


def _credentials(client: Any) -> Tuple[Lister, List[str]]:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    creds = client.sip.credential_lists(cl).credentials
    made = _five(lambda i: creds.create(username=f"u{i}", password=PASSWORD).sid)
    return (lambda c: c.sip.credential_lists(cl).credentials), made


def _acls(client: Any) -> Tuple[Lister, List[str]]:
    made = _five(lambda i: client.sip.ip_access_control_lists.create(friendly_name=f"A{i}").sid)
    return (lambda c: c.sip.ip_access_control_lists), made


def _ip_addresses(client: Any) -> Tuple[Lister, List[str]]:
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    ips = client.sip.ip_access_control_lists(al).ip_addresses
    made = _five(lambda i: ips.create(friendly_name=f"gw{i}", ip_address=f"192.0.2.{i + 1}").sid)
    return (lambda c: c.sip.ip_access_control_lists(al).ip_addresses), made


def _keys(client: Any) -> Tuple[Lister, List[str]]:
    made = _five(lambda i: client.new_keys.create(friendly_name=f"k{i}").sid)
    return (lambda c: c.keys), made


def _accounts(client: Any) -> Tuple[Lister, List[str]]:
    main = client.api.accounts(client.account_sid).fetch().sid
    subs = [client.api.accounts.create(friendly_name=f"sub {i}").sid for i in range(4)]
    return (lambda c: c.api.accounts), [main, *subs]


def _numbers(client: Any) -> Tuple[Lister, List[str]]:
    made = _five(lambda i: client.incoming_phone_numbers.create(area_code="415").sid)
    return (lambda c: c.incoming_phone_numbers), made


def _typed(kind: str, country: str) -> Callable[[Any], Tuple[Lister, List[str]]]:
    def make(client: Any) -> Tuple[Lister, List[str]]:
        offers = getattr(client.available_phone_numbers(country), kind).list(limit=5)
        form = getattr(client.incoming_phone_numbers, kind)
        made = [form.create(phone_number=o.phone_number).sid for o in offers]
        client.incoming_phone_numbers.create(area_code="212" if kind != "local" else "888")
        return (lambda c: getattr(c.incoming_phone_numbers, kind)), made

    return make


LISTS: Dict[str, Callable[[Any], Tuple[Lister, List[str]]]] = {
    "credential_lists": _credential_lists,
    "credentials": _credentials,
    "ip_access_control_lists": _acls,
    "ip_addresses": _ip_addresses,
    "keys": _keys,
    "accounts": _accounts,
    "incoming_phone_numbers": _numbers,
    "incoming_phone_numbers.local": _typed("local", "US"),
    "incoming_phone_numbers.toll_free": _typed("toll_free", "US"),
    "incoming_phone_numbers.mobile": _typed("mobile", "GB"),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_pagination_entry_point_walks_every_v2010_list(
    fake: FakeTrunkingService, client: Any, name: str
) -> None:
    lister, made = LISTS[name](client)
    items = lister(client)
    assert [x.sid for x in items.list()] == made
    assert [x.sid for x in items.list(page_size=2)] == made
    assert [x.sid for x in items.stream(page_size=2)] == made
    assert [x.sid for x in items.list(limit=3, page_size=2)] == made[:3]
    assert [x.sid for x in items.stream(limit=3)] == made[:3]
    pages = [items.page(page_size=2)]
    while pages[-1].next_page_url:
        pages.append(pages[-1].next_page())
    assert [[x.sid for x in p] for p in pages] == [made[0:2], made[2:4], made[4:]]
    assert pages[-1].next_page() is None
    assert [x.sid for x in pages[-1].previous_page()] == made[2:4]
    assert pages[0].previous_page() is None
    assert [x.sid for x in items.get_page(pages[0].next_page_url)] == made[2:4]
    # every page URI is host-relative, on the list's own path, in v2010's envelope
    body = fake.calls[-1].body
    assert body["uri"].startswith("/2010-04-01/") and "meta" not in body
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (1, 2, 2, 3)

    async def walk() -> Tuple[List[str], ...]:
        aclient = fake.async_client()
        try:
            alist = lister(aclient)
            listed = [x.sid for x in await alist.list_async(page_size=2)]
            streamed = [x.sid async for x in await alist.stream_async(page_size=2)]
            limited = [x.sid for x in await alist.list_async(limit=3, page_size=2)]
            page = await alist.page_async(page_size=2)
            walked = [x.sid for x in page]
            while page.next_page_url:
                page = await page.next_page_async()
                walked += [x.sid for x in page]
            back = [x.sid for x in await page.previous_page_async()]
            got = await alist.get_page_async((await alist.page_async(page_size=2)).next_page_url)
            return listed, streamed, limited, walked, back, [x.sid for x in got]
        finally:
            await aclient.http_client.close()

    listed, streamed, limited, walked, back, got = asyncio.run(walk())
    assert listed == streamed == walked == made
    assert limited == made[:3] and back == made[2:4] and got == made[2:4]


def test_searches_and_the_country_list_answer_every_entry_point(client: Any) -> None:
    """AvailablePhoneNumbers lists are one page (tests/test_v2010_numbers.py): every entry point
    answers that page and stops."""
    local = client.available_phone_numbers("US").local
    first = [n.phone_number for n in local.list(limit=5)]
    assert [n.phone_number for n in local.stream(limit=5)] == first
    assert [n.phone_number for n in local.page(page_size=5)] == first
    assert local.page(page_size=5).next_page() is None
    assert local.page(page_size=5).previous_page() is None
    countries = client.available_phone_numbers
    codes = [c.country_code for c in countries.list()]
    assert [c.country_code for c in countries.stream()] == codes
    assert [c.country_code for c in countries.page()] == codes
    assert countries.page().next_page() is None


# -- the whole flow on the async client ----------------------------------------------------------


async def provision_async(client: Any) -> Dict[str, Any]:
    """The provisioning session of tests/test_v2010_flow.py, on the ``*_async`` methods."""
    sip = client.sip
    cl = await sip.credential_lists.create_async(friendly_name="PBX users")
    cred = await sip.credential_lists(cl.sid).credentials.create_async(
        username="alice", password=PASSWORD
    )
    weak = None
    try:
        await sip.credential_lists(cl.sid).credentials.create_async(username="bob", password="x")
    except TwilioRestException as error:
        weak = (error.status, error.code)
    acl = await sip.ip_access_control_lists.create_async(friendly_name="PBX addresses")
    ip = await sip.ip_access_control_lists(acl.sid).ip_addresses.create_async(
        friendly_name="gateway", ip_address="192.0.2.10", cidr_prefix_length=32
    )
    offers = await client.available_phone_numbers("US").local.list_async(area_code=206, limit=3)
    number = await client.incoming_phone_numbers.create_async(
        phone_number=offers[0].phone_number, friendly_name="main line"
    )
    taken = None
    try:
        await client.incoming_phone_numbers.create_async(phone_number="+14155550123")
    except TwilioRestException as error:
        taken = (error.status, error.code)
    account = await client.api.accounts(client.account_sid).fetch_async()
    key = await client.new_keys.create_async(friendly_name="deploy")
    trunk = await client.trunking.v1.trunks.create_async(friendly_name="pbx")
    on_trunk = client.trunking.v1.trunks(trunk.sid)
    await on_trunk.credentials_lists.create_async(credential_list_sid=cl.sid)
    await on_trunk.ip_access_control_lists.create_async(ip_access_control_list_sid=acl.sid)
    await on_trunk.phone_numbers.create_async(phone_number_sid=number.sid)
    seen = {
        "offers": [o.phone_number[:5] for o in offers],
        "weak": weak,
        "taken": taken,
        "account": account.sid == client.account_sid and account.status == "active",
        "key": key.sid[:2],
        "auth_type_set": (await on_trunk.fetch_async()).auth_type_set,
        "trunk_sid": (await client.incoming_phone_numbers(number.sid).fetch_async()).trunk_sid
        == trunk.sid,
        "credentials": [
            c.username for c in await sip.credential_lists(cl.sid).credentials.list_async()
        ],
        "addresses": [
            a.ip_address
            for a in await sip.ip_access_control_lists(acl.sid).ip_addresses.list_async()
        ],
        "linked": [p.sid == number.sid for p in await on_trunk.phone_numbers.list_async()],
    }
    # release everything
    await client.incoming_phone_numbers(number.sid).delete_async()
    seen["after_release"] = await on_trunk.phone_numbers.list_async()
    await sip.ip_access_control_lists(acl.sid).ip_addresses(ip.sid).delete_async()
    await sip.ip_access_control_lists(acl.sid).delete_async()
    await sip.credential_lists(cl.sid).credentials(cred.sid).delete_async()
    await sip.credential_lists(cl.sid).delete_async()
    seen["auth_type_after"] = (await on_trunk.fetch_async()).auth_type
    await on_trunk.delete_async()
    await client.keys(key.sid).delete_async()
    seen["left"] = [
        await sip.credential_lists.list_async(),
        await sip.ip_access_control_lists.list_async(),
        await client.incoming_phone_numbers.list_async(),
        await client.trunking.v1.trunks.list_async(),
        await client.keys.list_async(),
    ]
    return seen


EXPECTED_ASYNC = {
    "offers": ["+1206"] * 3,
    "weak": (400, 20001),
    "taken": (400, 21422),
    "account": True,
    "key": "SK",
    "auth_type_set": ["CREDENTIAL_LIST", "IP_ACL"],
    "trunk_sid": True,
    "credentials": ["alice"],
    "addresses": ["192.0.2.10"],
    "linked": [True],
    "after_release": [],
    "auth_type_after": "",
    "left": [[], [], [], [], []],
}


def _run_async(make: Callable[[], Any]) -> Dict[str, Any]:
    async def go() -> Dict[str, Any]:
        aclient = make()
        try:
            return await provision_async(aclient)
        finally:
            await aclient.http_client.close()

    return asyncio.run(go())


def test_the_whole_flow_on_the_async_client(fake: FakeTrunkingService) -> None:
    assert _run_async(fake.async_client) == EXPECTED_ASYNC
    assert {c.path.split("/")[1] for c in fake.calls} == {"2010-04-01", "v1"}
    assert PASSWORD not in repr(fake.calls)
    (state,) = fake.dump_state()["accounts"].values()
    assert state["trunks"] == [] and all(v == [] for v in state["registry"].values())


# -- both hosts, in their edge and region forms --------------------------------------------------

EDGE_FORMS = [
    ({"edge": "sydney", "region": "au1"}, "api.sydney.au1.twilio.com"),
    ({"region": "ie1"}, "api.ie1.twilio.com"),
    ({"edge": "dublin"}, "api.dublin.us1.twilio.com"),
]


@pytest.mark.parametrize(("form", "host"), EDGE_FORMS, ids=[h for _f, h in EDGE_FORMS])
def test_the_flow_on_an_edge_or_region_host(
    fake: FakeTrunkingService, form: Dict[str, str], host: str
) -> None:
    client = Client(fake.default_account_sid, fake.auth_token(), **form)
    for i in range(3):
        client.sip.credential_lists.create(friendly_name=f"L{i}")
    assert client.http_client._test_only_last_request.url.startswith(f"https://{host}/2010-04-01/")
    walked = client.sip.credential_lists.list(page_size=1)  # next_page_uri on the edge host
    assert len(walked) == 3
    cl = walked[0]
    assert cl.uri.startswith("/2010-04-01/Accounts/")  # host-relative whatever the host
    client.sip.credential_lists(cl.sid).credentials.create(username="a", password=PASSWORD)
    offer = client.available_phone_numbers("US").local.list(area_code=415, limit=1)[0]
    number = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    trunk = client.trunking.v1.trunks.create(friendly_name="edge")
    assert trunk.url.startswith(f"https://trunking.{host[len('api.') :]}/v1/Trunks/")
    client.trunking.v1.trunks(trunk.sid).credentials_lists.create(credential_list_sid=cl.sid)
    client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=number.sid)
    # the same world as the default hosts
    plain = fake.client()
    assert plain.incoming_phone_numbers(number.sid).fetch().trunk_sid == trunk.sid
    assert [c.sid for c in plain.sip.credential_lists.list()] == [c.sid for c in walked]
    error = rest_error(client.sip.credential_lists("CL" + "0" * 32).fetch)
    assert (error.status, error.code) == (404, 20404)
    assert host in {c.request.base_url.split("//")[1] for c in fake.calls}


@pytest.mark.parametrize(("form", "host"), EDGE_FORMS[:1], ids=[h for _f, h in EDGE_FORMS[:1]])
def test_the_async_flow_on_an_edge_host(
    fake: FakeTrunkingService, form: Dict[str, str], host: str
) -> None:
    assert _run_async(lambda: fake.async_client(**form)) == EXPECTED_ASYNC
    hosts = {c.request.base_url.split("//")[1] for c in fake.calls}
    assert hosts == {host, "trunking." + host[len("api.") :]}


# -- a v2010 path the fake does not serve: 404/20404 naming it, everywhere ------------------------


def _unserved(client: Any, number: str) -> List[Tuple[str, Callable[[], Any]]]:
    numbers = client.incoming_phone_numbers
    add_on = numbers(number).assigned_add_ons("XE" + "0" * 32)
    return [
        ("/AssignedAddOns.json", lambda: numbers(number).assigned_add_ons.list()),
        ("/Extensions.json", lambda: add_on.extensions.list()),
        ("/SigningKeys.json", lambda: client.api.account.signing_keys.list()),
        ("/Calls.json", lambda: client.api.account.calls.list()),
        ("/SIP/Domains.json", lambda: client.sip.domains.list()),
        ("/Applications.json", lambda: client.api.account.applications.list()),
    ]


def _assert_unserved(client: Any, number: str) -> None:
    for tail, call in _unserved(client, number):
        status, body = list_error(call)
        assert (status, body["code"], body["status"]) == (404, 20404, 404), tail
        assert body["message"].startswith("The requested resource /2010-04-01/Accounts/")
        assert body["message"].endswith(f"{tail} was not found")
        assert body["more_info"] == "https://www.twilio.com/docs/errors/20404"
    error = rest_error(client.api.account.calls.create, to="+15005550006", from_="+15005550006",
                       url="https://example.com/twiml")  # fmt: skip
    assert (error.status, error.code) == (404, 20404)


def test_an_unserved_v2010_path_is_20404_through_the_client(client: Any) -> None:
    number = client.incoming_phone_numbers.create(area_code="415").sid
    _assert_unserved(client, number)


def test_an_unserved_v2010_path_is_20404_in_server_mode() -> None:
    with FakeTrunkingServer(seed=4, timeout=5.0) as server:
        client = client_for(server.base_url, "AC" + "4" * 32, "t")
        number = client.incoming_phone_numbers.create(area_code="415").sid
        _assert_unserved(client, number)


def test_an_unserved_v2010_path_is_20404_on_the_async_client(fake: FakeTrunkingService) -> None:
    async def go() -> Any:
        aclient = fake.async_client()
        try:
            with pytest.raises(TwilioException) as info:
                await aclient.sip.domains.list_async()
            with pytest.raises(TwilioRestException) as made:
                await aclient.api.account.calls.create_async(
                    to="+15005550006", from_="+15005550006", url="https://example.com/twiml"
                )
            return info.value.args[1], made.value
        finally:
            await aclient.http_client.close()

    response, made = asyncio.run(go())
    body = json.loads(response.text)
    assert (response.status_code, body["code"]) == (404, 20404)
    assert body["message"].endswith("/SIP/Domains.json was not found")
    assert (made.status, made.code) == (404, 20404)


# -- one world: every cross-API read agrees -------------------------------------------------------

# the fields an IncomingPhoneNumber (v2010) and its Trunking PhoneNumber association both show
SHARED_NUMBER_FIELDS = (
    "account_sid", "address_requirements", "api_version", "beta", "capabilities",
    "friendly_name", "phone_number", "sid", "sms_application_sid", "sms_fallback_method",
    "sms_fallback_url", "sms_method", "sms_url", "status_callback", "status_callback_method",
    "trunk_sid", "voice_application_sid", "voice_caller_id_lookup", "voice_fallback_method",
    "voice_fallback_url", "voice_method", "voice_url",
)  # fmt: skip


def _instant(text: str) -> datetime:
    if text[0].isdigit():  # Trunking's ISO 8601
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return parsedate_to_datetime(text)  # v2010's RFC 2822


def test_a_number_reads_the_same_through_both_apis() -> None:
    clock = Clock(datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc))
    with FakeTrunkingService(seed=15, clock=clock) as fake:
        client = fake.client()
        trunk = client.trunking.v1.trunks.create(friendly_name="t")
        number = client.incoming_phone_numbers.create(area_code="303", friendly_name="main")
        clock.advance(seconds=30)
        client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=number.sid)
        associated = client.incoming_phone_numbers(number.sid).fetch()
        assert associated.trunk_sid == trunk.sid
        assert associated.date_updated == clock.now  # the association is a change of the number
        clock.advance(seconds=30)
        client.incoming_phone_numbers(number.sid).update(
            friendly_name="renamed", voice_url="https://example.com/voice", voice_method="GET",
            sms_url="https://example.com/sms", status_callback="https://example.com/status",
            voice_caller_id_lookup=True, sms_fallback_url="https://example.com/fallback",
        )  # fmt: skip
        v2010 = fake.calls[-1].body
        client.trunking.v1.trunks(trunk.sid).phone_numbers(number.sid).fetch()
        fetched = fake.calls[-1].body
        client.trunking.v1.trunks(trunk.sid).phone_numbers.list()
        (listed,) = fake.calls[-1].body["phone_numbers"]
        for shown in (fetched, listed):
            assert {f: shown[f] for f in SHARED_NUMBER_FIELDS} == {
                f: v2010[f] for f in SHARED_NUMBER_FIELDS
            }
            for date in ("date_created", "date_updated"):
                assert _instant(shown[date]) == _instant(v2010[date]), date
        assert _instant(v2010["date_updated"]) == clock.now  # the update's own moment
        assert _instant(v2010["date_created"]) == datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
        assert v2010["friendly_name"] == "renamed"


def test_lists_read_the_same_through_both_apis() -> None:
    clock = Clock(datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc))
    with FakeTrunkingService(seed=15, clock=clock) as fake:
        client = fake.client()
        trunk = client.trunking.v1.trunks(client.trunking.v1.trunks.create(friendly_name="t").sid)
        cl = client.sip.credential_lists.create(friendly_name="PBX").sid
        al = fake.seed_ip_access_control_list(friendly_name="Seeded")
        trunk.credentials_lists.create(credential_list_sid=cl)
        trunk.ip_access_control_lists.create(ip_access_control_list_sid=al)
        clock.advance(minutes=5)
        client.sip.credential_lists(cl).update(friendly_name="PBX 2")
        client.sip.ip_access_control_lists(al).update(friendly_name="Office")
        pairs = [
            (lambda: client.sip.credential_lists(cl).fetch(),
             lambda: trunk.credentials_lists(cl).fetch()),
            (lambda: client.sip.ip_access_control_lists(al).fetch(),
             lambda: trunk.ip_access_control_lists(al).fetch()),
        ]  # fmt: skip
        for v2010_read, trunking_read in pairs:
            v2010_read()
            mine = fake.calls[-1].body
            trunking_read()
            theirs = fake.calls[-1].body
            for f in ("sid", "account_sid", "friendly_name"):
                assert mine[f] == theirs[f], f
            for date in ("date_created", "date_updated"):
                assert _instant(mine[date]) == _instant(theirs[date]), date
            assert _instant(mine["date_updated"]) == clock.now
        assert [c.friendly_name for c in trunk.credentials_lists.list()] == ["PBX 2"]
        assert [a.friendly_name for a in trunk.ip_access_control_lists.list()] == ["Office"]


def test_a_trunking_association_moves_a_number_off_its_other_trunk(client: Any) -> None:
    """trunking-api.md: a number has one ``trunk_sid``; associating it with a second trunk
    moves it (201) and it leaves the first trunk's list; v2010 shows the move."""
    a = client.trunking.v1.trunks.create(friendly_name="a")
    b = client.trunking.v1.trunks.create(friendly_name="b")
    number = client.incoming_phone_numbers.create(area_code="212").sid
    a.phone_numbers.create(phone_number_sid=number)
    moved = b.phone_numbers.create(phone_number_sid=number)
    assert moved.trunk_sid == b.sid
    assert a.phone_numbers.list() == [] and rest_error(a.phone_numbers(number).fetch).status == 404
    assert client.incoming_phone_numbers(number).fetch().trunk_sid == b.sid
    assert [n.trunk_sid for n in client.incoming_phone_numbers.list()] == [b.sid]


def test_a_seeded_number_on_a_trunk_is_seen_by_v2010(
    fake: FakeTrunkingService, client: Any
) -> None:
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    pn = fake.seed_phone_number(phone_number="+13035550142", friendly_name="seeded")
    client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=pn)
    (listed,) = client.incoming_phone_numbers.list(phone_number="+13035550142")
    assert (listed.sid, listed.trunk_sid, listed.friendly_name) == (pn, trunk.sid, "seeded")
    # it is owned: the search never offers it, buying it is answered as the owner's own number
    offered = client.available_phone_numbers("US").local.list(area_code=303, limit=50)
    assert "+13035550142" not in {o.phone_number for o in offered}


def test_another_accounts_objects_are_reached_by_neither_api(fake: FakeTrunkingService) -> None:
    mine = fake.client()
    cl = mine.sip.credential_lists.create(friendly_name="mine").sid
    al = mine.sip.ip_access_control_lists.create(friendly_name="mine").sid
    pn = mine.incoming_phone_numbers.create(area_code="415").sid
    theirs = fake.client("AC" + "e" * 32)
    trunk = theirs.trunking.v1.trunks(theirs.trunking.v1.trunks.create(friendly_name="x").sid)
    for call, kwargs in (
        (trunk.credentials_lists.create, {"credential_list_sid": cl}),
        (trunk.ip_access_control_lists.create, {"ip_access_control_list_sid": al}),
        (trunk.phone_numbers.create, {"phone_number_sid": pn}),
    ):
        error = rest_error(call, **kwargs)
        assert (error.status, error.code) == (404, 20404)
    for read in (
        theirs.sip.credential_lists(cl).fetch,
        theirs.sip.ip_access_control_lists(al).fetch,
        theirs.incoming_phone_numbers(pn).fetch,
    ):
        assert (rest_error(read).status, rest_error(read).code) == (404, 20404)
    error = rest_error(theirs.incoming_phone_numbers(pn).update, trunk_sid=trunk._solution["sid"])
    assert error.status == 404
    assert mine.incoming_phone_numbers(pn).fetch().trunk_sid is None


def test_the_seed_makes_the_same_world_through_both_apis() -> None:
    def session(seed: int) -> List[str]:
        with FakeTrunkingService(seed=seed) as fake:
            client = fake.client()
            cl = client.sip.credential_lists.create(friendly_name="a").sid
            cr = (
                client.sip.credential_lists(cl)
                .credentials.create(username="u", password=PASSWORD)
                .sid
            )
            al = client.sip.ip_access_control_lists.create(friendly_name="b").sid
            ip = (
                client.sip.ip_access_control_lists(al)
                .ip_addresses.create(friendly_name="g", ip_address="192.0.2.1")
                .sid
            )
            tk = client.trunking.v1.trunks.create(friendly_name="t").sid
            pn = client.incoming_phone_numbers.create(area_code="415")
            sub = client.api.accounts.create().sid
            return [cl, cr, al, ip, tk, pn.sid, pn.phone_number, sub]

    assert session(8) == session(8)
    assert session(8) != session(9)


# -- v2010 errors over a real socket are Twilio bodies with the spec's codes ----------------------


def test_v2010_errors_in_server_mode_are_twilio_bodies() -> None:
    account = "AC" + "6" * 32
    with FakeTrunkingServer(seed=6, timeout=5.0) as server:
        base = f"{server.base_url}/2010-04-01/Accounts/{account}"
        auth = (account, "t")
        cl = requests.post(f"{base}/SIP/CredentialLists.json", data={"FriendlyName": "x"},
                           auth=auth, timeout=5).json()["sid"]  # fmt: skip
        cases = [
            ("GET", f"{base}/Calls.json", None, auth, 404, 20404),
            ("GET", f"{base}/SIP/CredentialLists", None, auth, 404, 20404),  # no .json
            ("GET", f"{server.base_url}/2010-04-01/Accounts/{'AC' + '7' * 32}/Keys.json", None,
             auth, 401, 20003),
            ("GET", f"{base}/SIP/CredentialLists.json", None, None, 401, 20003),
            ("DELETE", f"{base}/SIP/CredentialLists.json", None, auth, 405, 20004),
            ("POST", f"{base}/SIP/CredentialLists.json", {}, auth, 400, 20001),
            ("POST", f"{base}/SIP/CredentialLists/{cl}/Credentials.json",
             {"Username": "u", "Password": "weak"}, auth, 400, 20001),
            ("POST", f"{base}/IncomingPhoneNumbers.json", {"PhoneNumber": "+14155550123"}, auth,
             400, 21422),
            ("POST", f"{base}/IncomingPhoneNumbers.json", {"PhoneNumber": "4155550100"}, auth,
             400, 21421),
            ("POST", f"{base}/IncomingPhoneNumbers/Local.json", {"PhoneNumber": "+14155550100",
             "AreaCode": "415"}, auth, 400, 21457),
            ("GET", f"{base}/SIP/CredentialLists.json?PageToken=PAnope&Page=1", None, auth, 400,
             21481),
            ("GET", f"{base}/AvailablePhoneNumbers/DE/Local.json", None, auth, 404, 20404),
        ]  # fmt: skip
        for method, url, data, who, status, code in cases:
            answer = requests.request(method, url, data=data, auth=who, timeout=5)
            body = answer.json()
            assert answer.status_code == status, (url, body)
            assert answer.headers["Content-Type"].startswith("application/json")
            # Twilio's 20003 also carries ``detail`` (core/errors.py)
            assert set(body) - {"detail"} == {"code", "message", "more_info", "status"}, body
            assert (body["code"], body["status"]) == (code, status), (url, body)
            assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
        assert requests.get(f"{base}/SIP/CredentialLists.json", auth=auth,
                            timeout=5).json()["credential_lists"][0]["sid"] == cl  # fmt: skip
        assert len(server.fake.dump_state()["accounts"][account]["registry"]["CL"]) == 1


# -- the admin endpoints see, seed, fault and reset v2010 ------------------------------------------


def test_the_admin_endpoints_serve_v2010() -> None:
    account = "AC" + "8" * 32
    with FakeTrunkingServer(seed=8, timeout=5.0) as server:
        admin = AdminClient(server.base_url)
        client = client_for(server.base_url, account, "t")
        cl = admin.seed_credential_list(account, friendly_name="seeded CL")
        al = admin.seed_ip_access_control_list(account, friendly_name="seeded AL")
        pn = admin.seed_phone_number(account, phone_number="+12065550150")
        assert client.sip.credential_lists(cl).fetch().friendly_name == "seeded CL"
        assert client.sip.ip_access_control_lists(al).fetch().friendly_name == "seeded AL"
        assert client.incoming_phone_numbers(pn).fetch().phone_number == "+12065550150"
        made = client.sip.credential_lists.create(friendly_name="made").sid
        logged = [r for r in admin.requests() if "/2010-04-01/" in json.dumps(r)]
        assert len(logged) == 4
        registry = admin.dump_state()["accounts"][account]["registry"]
        assert [o["sid"] for o in registry["CL"]] == [cl, made]
        # a fault on a v2010 path leaves Trunking and the other v2010 paths alone
        admin.inject_fault(503, path=r"/2010-04-01/Accounts/\w+/IncomingPhoneNumbers\.json",
                           times=None)  # fmt: skip
        error = rest_error(client.incoming_phone_numbers.create, area_code="415")
        assert (error.status, error.code) == (503, 20503)
        assert client.incoming_phone_numbers(pn).fetch().sid == pn
        assert client.trunking.v1.trunks.create(friendly_name="t").sid
        admin.clear_faults()
        assert client.incoming_phone_numbers.create(area_code="415").sid
        admin.reset()
        assert client.sip.credential_lists.list() == []
        assert client.incoming_phone_numbers.list() == []


# -- a cassette saved from an edge host -----------------------------------------------------------


def _edge_flow(client: Any) -> List[Any]:
    cl = client.sip.credential_lists.create(friendly_name="L")
    client.sip.credential_lists(cl.sid).credentials.create(username="a", password=PASSWORD)
    offer = client.available_phone_numbers("US").local.list(area_code=415, limit=1)[0]
    number = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=number.sid)
    return [cl.sid, number.phone_number, trunk.sid, len(client.sip.credential_lists.list())]


def test_a_cassette_saved_on_an_edge_host_verifies_replays_and_loads(tmp_path: Any) -> None:
    from fake_trunking.cassettes import open_backend, verify

    edge = {"edge": "sydney", "region": "au1"}
    with FakeTrunkingService(seed=0) as fake:  # seed 0: what verify searches with
        expected = _edge_flow(Client(fake.default_account_sid, fake.auth_token(), **edge))
        path = fake.save_cassette(tmp_path / "edge.yaml")
    text = path.read_text()
    assert "https://api.sydney.au1.twilio.com/2010-04-01/" in text
    assert "https://trunking.sydney.au1.twilio.com/v1/" in text and PASSWORD not in text
    result = verify(path)
    assert result.ok, result.report()
    for make in (lambda c: c, lambda c: Client(c.username, c.password, c.account_sid, **edge)):
        with open_backend("replay", path, {}) as backend:
            assert _edge_flow(make(backend.client())) == expected
    with FakeTrunkingService(seed=5) as other:
        other.load_cassette(path)
        (number,) = other.client().incoming_phone_numbers.list()
        assert (number.phone_number, number.trunk_sid) == (expected[1], expected[2])


# -- v2010 paging rules, as tests/test_pagination.py pins them for Trunking -----------------------


@pytest.mark.parametrize("name", sorted(LISTS))
def test_v2010_paging_refuses_what_trunking_refuses(
    fake: FakeTrunkingService, client: Any, name: str
) -> None:
    lister, made = LISTS[name](client)
    items = lister(client)
    status, body = list_error(items.page, page_number=1)
    assert (status, body["code"], body["message"]) == (
        400, 20001, "PageToken is required for paging.",
    )  # fmt: skip
    prefix = made[0][:2]
    for token in ("garbage", "PA", "PZ" + made[0], "pa" + made[0], "PA" + prefix + "0" * 32,
                  "PATK" + "0" * 32):  # fmt: skip
        status, body = list_error(items.page, page_token=token, page_size=2)
        assert (status, body["code"], body["message"]) == (400, 21481, "Invalid PageToken"), token
    for size in ("0", "-1", "abc"):
        status, body = list_error(items.page, page_size=size)
        assert (status, body["code"]) == (400, 20001), size
    items.page(page_size=5000)
    assert fake.calls[-1].body["page_size"] == 1000  # clamped, as Trunking's
    items.page()
    assert fake.calls[-1].body["page_size"] == 50  # the default
    assert fake.calls[-1].body["next_page_uri"] is None
    # a token of another collection (the same account's)
    other_cl = fake.seed_credential_list(friendly_name="other") if prefix != "CL" else None
    foreign = other_cl or fake.seed_ip_access_control_list(friendly_name="other")
    status, body = list_error(items.page, page_token="PA" + foreign)
    assert (status, body["code"]) == (400, 21481)


def test_a_token_of_another_lists_credentials_is_refused(client: Any) -> None:
    one, two = (client.sip.credential_lists.create(friendly_name=n).sid for n in ("a", "b"))
    mine = client.sip.credential_lists(one).credentials.create(username="u", password=PASSWORD)
    client.sip.credential_lists(two).credentials.create(username="u", password=PASSWORD)
    status, body = list_error(
        client.sip.credential_lists(two).credentials.page, page_token="PA" + mine.sid
    )
    assert (status, body["code"]) == (400, 21481)


class _Kind:
    def __init__(
        self,
        lister: Callable[[Any], Any],
        make: Callable[[Any, int], str],
        page_kwargs: Dict[str, Any],
    ) -> None:
        self.lister, self.make, self.page_kwargs = lister, make, page_kwargs


def _walk_kinds(client: Any) -> Dict[str, _Kind]:
    cl = client.sip.credential_lists.create(friendly_name="walked").sid
    al = client.sip.ip_access_control_lists.create(friendly_name="walked").sid
    return {
        "credential_lists": _Kind(
            lambda c: c.sip.credential_lists,
            lambda c, i: c.sip.credential_lists.create(friendly_name=f"w{i}").sid, {},
        ),
        "credentials": _Kind(
            lambda c: c.sip.credential_lists(cl).credentials,
            lambda c, i: c.sip.credential_lists(cl).credentials.create(
                username=f"w{i}", password=PASSWORD).sid, {},
        ),
        "ip_addresses": _Kind(
            lambda c: c.sip.ip_access_control_lists(al).ip_addresses,
            lambda c, i: c.sip.ip_access_control_lists(al).ip_addresses.create(
                friendly_name=f"w{i}", ip_address=f"198.51.100.{i % 250}").sid, {},
        ),
        "keys": _Kind(lambda c: c.keys, lambda c, i: c.new_keys.create().sid, {}),
        # a filtered list: every other number made is outside the filter
        "incoming_phone_numbers?PhoneNumber": _Kind(
            lambda c: c.incoming_phone_numbers,
            lambda c, i: c.incoming_phone_numbers.create(area_code="415" if i % 2 else "212").sid,
            {"phone_number": "+1212"},
        ),
    }  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    "name", ["credential_lists", "credentials", "ip_addresses", "keys",
             "incoming_phone_numbers?PhoneNumber"],
)  # fmt: skip
def test_a_v2010_walk_never_repeats_or_skips_under_writes(
    client: Any, name: str, seed: int
) -> None:
    import random

    kind = _walk_kinds(client)[name]
    items = kind.lister(client)
    counter = iter(range(10_000))
    live = [kind.make(client, next(counter)) for _ in range(16)]
    fetch = kind.page_kwargs
    matching = (
        (lambda sid: sid in {n.sid for n in items.list(**fetch)}) if fetch else (lambda sid: True)
    )
    rng = random.Random(seed)
    throughout = {s for s in live if matching(s)}
    served: List[str] = []
    page = items.page(page_size=3, **fetch)
    while page is not None:
        records = [r.sid for r in page]
        served.extend(records)
        if records and rng.random() < 0.3:  # the next page's anchor goes
            items(records[-1]).delete()
            live.remove(records[-1])
            throughout.discard(records[-1])
        for _ in range(rng.randint(0, 2)):
            if live and rng.random() < 0.6:
                victim = live.pop(rng.randrange(len(live)))
                items(victim).delete()
                throughout.discard(victim)
            else:
                live.append(kind.make(client, next(counter)))
        page = page.next_page()
    assert len(served) == len(set(served)), "a walk served an item twice"
    assert throughout <= set(served), "a walk skipped an item that existed throughout"
    assert all(matching(s) for s in served if s in live)


def test_the_typed_list_forms_take_the_spec_filters(fake: FakeTrunkingService, client: Any) -> None:
    """``Local``, ``Mobile`` and ``TollFree`` lists take ``PhoneNumber``, ``FriendlyName``,
    ``Beta`` and ``Origin`` too (the spec), within their own type, and keep them in page URIs."""
    offers = client.available_phone_numbers("US").local.list(area_code=303, limit=4)
    local = [
        client.incoming_phone_numbers.local.create(
            phone_number=o.phone_number, friendly_name=f"n{i % 2}"
        ).sid
        for i, o in enumerate(offers)
    ]
    toll_free = client.incoming_phone_numbers.toll_free.create(
        phone_number=client.available_phone_numbers("US").toll_free.list(limit=1)[0].phone_number,
        friendly_name="n1",
    ).sid
    mobile = client.incoming_phone_numbers.mobile.create(
        phone_number=client.available_phone_numbers("GB").mobile.list(limit=1)[0].phone_number,
        friendly_name="n1",
    ).sid
    forms = client.incoming_phone_numbers
    assert [n.sid for n in forms.local.list(friendly_name="n1")] == local[1::2]
    assert [n.sid for n in forms.toll_free.list(friendly_name="n1")] == [toll_free]
    assert [n.sid for n in forms.mobile.list(friendly_name="n1")] == [mobile]
    assert [n.sid for n in forms.local.list(phone_number="+1303")] == local
    assert forms.toll_free.list(phone_number="+1303") == []
    assert [n.sid for n in forms.local.list(phone_number=offers[2].phone_number)] == [local[2]]
    assert [n.sid for n in forms.local.list(origin="twilio")] == local
    assert forms.mobile.list(origin="hosted") == []
    betas = {n.sid for n in forms.local.list(beta=True)}
    assert betas | {n.sid for n in forms.local.list(beta=False)} == set(local)
    page = forms.local.page(friendly_name="n0", page_size=1)
    assert (
        fake.calls[-1]
        .body["next_page_uri"]
        .startswith(
            f"/2010-04-01/Accounts/{fake.default_account_sid}/IncomingPhoneNumbers/Local.json"
            "?FriendlyName=n0&PageSize=1&Page=1&PageToken=PA"
        )
    )
    assert [n.sid for n in page] + [n.sid for n in page.next_page()] == local[0::2]


# -- the other ways in: the pytest plugin (network blocked), mock_trunking, nested fakes

PLUGIN_RUN = """
import asyncio

import pytest
import requests
from twilio.rest import Client

from fake_trunking import mock_trunking
from fake_trunking.intercept.network import NetworkBlockedError


def test_the_fixtures_serve_v2010(trunking_client, fake_trunking):
    client = trunking_client
    cl = client.sip.credential_lists.create(friendly_name="plugin")
    client.sip.credential_lists(cl.sid).credentials.create(username="a", password="Plugin-Passw0rd")
    number = client.incoming_phone_numbers.create(area_code="415")
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=number.sid)
    assert client.incoming_phone_numbers(number.sid).fetch().trunk_sid == trunk.sid
    edge = Client(fake_trunking.default_account_sid, fake_trunking.auth_token(),
                  edge="sydney", region="au1")
    assert edge.sip.credential_lists(cl.sid).fetch().friendly_name == "plugin"
    with pytest.raises(NetworkBlockedError, match="elsewhere.example.invalid"):
        __import__("socket").getaddrinfo("elsewhere.example.invalid", 443)


def test_the_async_fixture_serves_v2010(trunking_async_client):
    client = trunking_async_client

    async def go():
        made = await client.sip.credential_lists.create_async(friendly_name="async")
        listed = await client.sip.credential_lists.list_async()
        offers = await client.available_phone_numbers("US").local.list_async(limit=2)
        return made.sid, [c.sid for c in listed], len(offers)

    made, listed, offers = asyncio.run(go())
    assert listed == [made] and offers == 2


@mock_trunking(seed=3)
def test_mock_trunking_serves_v2010():
    client = Client("AC" + "3" * 32, "any-token")
    made = client.sip.ip_access_control_lists.create(friendly_name="decorated")
    assert [a.sid for a in client.sip.ip_access_control_lists.list()] == [made.sid]
    assert client.api.accounts("AC" + "3" * 32).fetch().status == "active"
"""


def test_the_plugin_and_mock_trunking_serve_v2010_with_the_network_blocked(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_inner=PLUGIN_RUN)
    result = pytester.runpytest("--trunking-block-network", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_nested_fake_answers_v2010_while_it_runs() -> None:
    account = "AC" + "2" * 32
    with FakeTrunkingService(seed=1) as outer:
        client = outer.client(account)
        client.sip.credential_lists.create(friendly_name="outer")
        with FakeTrunkingService(seed=2) as inner:
            assert client.sip.credential_lists.list() == []  # the inner fake answers
            client.incoming_phone_numbers.create(area_code="415")
            assert len(inner.client(account).incoming_phone_numbers.list()) == 1
        assert [c.friendly_name for c in client.sip.credential_lists.list()] == ["outer"]
        assert client.incoming_phone_numbers.list() == []


# -- thread safety: one winner where the real service has one -------------------------------------


def test_concurrent_buys_and_usernames_have_one_winner(fake: FakeTrunkingService) -> None:
    from .helpers import outcome, run_together

    accounts = ["AC" + f"{i:x}" * 32 for i in range(1, 9)]
    number = fake.client().available_phone_numbers("US").local.list(limit=1)[0].phone_number
    bought = run_together(
        8,
        lambda i: outcome(
            lambda: fake.client(accounts[i]).incoming_phone_numbers.create(phone_number=number)
        ),
    )
    assert sorted(code or 0 for _sid, code in bought) == [0] + [21422] * 7
    (winner,) = [accounts[i] for i, (sid, _c) in enumerate(bought) if sid]
    assert [n.phone_number for n in fake.client(winner).incoming_phone_numbers.list()] == [number]
    cl = fake.client().sip.credential_lists.create(friendly_name="PBX").sid
    made = run_together(
        8,
        lambda i: outcome(
            lambda: (
                fake.client()
                .sip.credential_lists(cl)
                .credentials.create(username="same", password=PASSWORD)
            )
        ),
    )
    assert sorted(code or 0 for _sid, code in made) == [0] + [20001] * 7
    assert len(fake.client().sip.credential_lists(cl).credentials.list()) == 1


@pytest.mark.parametrize("name", ["credentials", "incoming_phone_numbers.local", "accounts"])
def test_every_pagination_entry_point_in_server_mode(name: str) -> None:
    with FakeTrunkingServer(seed=11, timeout=5.0) as server:
        client = client_for(server.base_url, "AC" + "b" * 32, "t")
        lister, made = LISTS[name](client)
        items = lister(client)
        assert [x.sid for x in items.list(page_size=2)] == made
        assert [x.sid for x in items.stream(page_size=2, limit=4)] == made[:4]
        page = items.page(page_size=2)
        walked = [x.sid for x in page]
        while page.next_page_url:
            # host-relative in the body: twilio makes it api.twilio.com, the client rewrites it
            assert page.next_page_url.startswith("https://api.twilio.com/2010-04-01/")
            page = page.next_page()
            walked += [x.sid for x in page]
        assert walked == made
        assert [x.sid for x in page.previous_page()] == made[2:4]
        assert [x.sid for x in items.get_page(items.page(page_size=2).next_page_url)] == made[2:4]
