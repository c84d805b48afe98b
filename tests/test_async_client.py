"""The async twilio client (``AsyncTwilioHttpClient``, aiohttp) on the same fake (issue 9).

Every ``*_async`` method of trunks and of every sub-resource, their errors and pagination, through
the plugin's ``trunking_async_client`` fixture; a parity test that runs one scenario through the
sync and the async client against two identically seeded fakes and finds the same wire traffic;
mixed sync/async use of one state. pytest-asyncio style; see test_async_plugin.py for anyio.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, List, Tuple

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking.clients.lazy_async import LazyAsyncTwilioHttpClient

from .helpers import Clock

pytestmark = [
    pytest.mark.asyncio,
    # twilio 9.13.0's async client builds aiohttp.BasicAuth, deprecated in aiohttp 3.14
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
]

SIP = "sip:pbx@sip.example.com:5060"


async def rest_error(call: Awaitable[Any]) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        await call
    return info.value


async def list_error(call: Awaitable[Any]) -> Tuple[int, Dict[str, Any]]:
    """A failing list/page: twilio raises plain ``TwilioException(msg, response)``."""
    with pytest.raises(TwilioException) as info:
        await call
    assert not isinstance(info.value, TwilioRestException)
    response = info.value.args[1]
    return response.status_code, json.loads(response.text)


async def make_ou(tk: Any, **overrides: Any) -> Any:
    args: Dict[str, Any] = {
        "weight": 10,
        "priority": 20,
        "enabled": True,
        "friendly_name": "primary",
        "sip_url": SIP,
    }
    args.update(overrides)
    return await tk.origination_urls.create_async(**args)


@pytest.fixture
def trunks(trunking_async_client: Any) -> Any:
    return trunking_async_client.trunking.v1.trunks


# -- trunks ----------------------------------------------------------------------------------


async def test_trunk_crud(fake_trunking: FakeTrunkingService, trunks: Any) -> None:
    created = await trunks.create_async(
        friendly_name="edge & core",
        domain_name="edge-async.pstn.twilio.com",
        disaster_recovery_url="https://example.com/dr",
        disaster_recovery_method="post",
        transfer_mode="enable-all",
        secure=True,
        cnam_lookup_enabled=False,
        transfer_caller_id="from-transferor",
    )
    assert created.sid.startswith("TK") and len(created.sid) == 34
    assert (created.friendly_name, created.domain_name) == (
        "edge & core",
        "edge-async.pstn.twilio.com",
    )
    assert (created.secure, created.cnam_lookup_enabled) == (True, False)
    assert created.disaster_recovery_method == "POST"
    assert created.transfer_caller_id == "from-transferor"
    assert created.account_sid == fake_trunking.default_account_sid
    assert fake_trunking.calls[-1].status == 201
    assert fake_trunking.calls[-1].params["FriendlyName"] == "edge & core"

    fetched = await trunks(created.sid).fetch_async()
    assert fetched.sid == created.sid and fetched.date_created == created.date_created
    assert fake_trunking.calls[-1].body == fake_trunking.calls[-2].body  # fetch == create body

    updated = await trunks(created.sid).update_async(friendly_name="renamed", secure=False)
    assert (updated.friendly_name, updated.secure) == ("renamed", False)
    assert updated.domain_name == "edge-async.pstn.twilio.com"  # a partial update keeps it
    again = await fetched.update_async(friendly_name="via instance")  # instance methods too
    assert again.friendly_name == "via instance"
    assert (await fetched.fetch_async()).friendly_name == "via instance"

    assert await trunks(created.sid).delete_async() is True
    assert fake_trunking.calls[-1].status == 204
    err = await rest_error(trunks(created.sid).fetch_async())
    assert (err.status, err.code, err.method) == (404, 20404, "GET")
    assert err.msg == (
        f"Unable to fetch record: The requested resource /Trunks/{created.sid} was not found"
    )
    assert await trunks.list_async() == []


async def test_with_http_info_async_variants(trunks: Any) -> None:
    created = await trunks.create_with_http_info_async(friendly_name="info")
    assert created.status_code == 201
    sid = created.data.sid
    fetched = await trunks(sid).fetch_with_http_info_async()
    assert (fetched.status_code, fetched.data.friendly_name) == (200, "info")
    assert fetched.headers["Content-Type"] == "application/json"
    assert fetched.headers["Twilio-Request-Id"].startswith("RQ")
    updated = await trunks(sid).update_with_http_info_async(friendly_name="new")
    assert (updated.status_code, updated.data.friendly_name) == (200, "new")
    deleted = await trunks(sid).delete_with_http_info_async()
    assert (deleted.status_code, deleted.data) == (204, True)
    assert "Content-Type" not in deleted.headers  # the 204 carries no body and no content type


async def test_trunk_errors(fake_trunking: FakeTrunkingService, trunks: Any) -> None:
    first = await trunks.create_async(domain_name="taken.pstn.twilio.com")
    before = fake_trunking.dump_state()

    err = await rest_error(trunks.create_async(domain_name="taken.pstn.twilio.com"))
    assert (err.status, err.code) == (400, 21248)
    assert err.msg == "Unable to create record: Trunk Domain already taken"
    err = await rest_error(trunks.create_async(domain_name="not a domain"))
    assert (err.status, err.code) == (400, 21245)
    err = await rest_error(trunks.create_async(friendly_name="n" * 65))
    assert (err.status, err.code) == (400, 20001)
    assert err.msg.endswith("Invalid FriendlyName: must be at most 64 characters")
    err = await rest_error(trunks(first.sid).update_async(transfer_mode="sometimes"))
    assert (err.status, err.code, err.method) == (400, 20001, "POST")
    err = await rest_error(trunks("TK" + "0" * 32).delete_async())
    assert (err.status, err.code, err.method) == (404, 20404, "DELETE")
    err = await rest_error(trunks("not-a-sid").fetch_async())
    assert (err.status, err.code) == (404, 20404)
    assert fake_trunking.dump_state() == before  # failed requests change nothing


async def test_authentication_errors() -> None:
    sid = "AC" + "a" * 32
    with FakeTrunkingService(credentials={sid: "right"}) as fake:
        wrong = Client(sid, "wrong", http_client=LazyAsyncTwilioHttpClient())
        try:
            err = await rest_error(wrong.trunking.v1.trunks("TK" + "0" * 32).fetch_async())
            assert (err.status, err.code) == (401, 20003)
            status, body = await list_error(wrong.trunking.v1.trunks.list_async())
            assert (status, body["code"]) == (401, 20003)
        finally:
            await wrong.http_client.close()
        right = fake.async_client(sid)
        try:
            assert await right.trunking.v1.trunks.list_async() == []
        finally:
            await right.http_client.close()


async def test_accounts_are_isolated(fake_trunking: FakeTrunkingService) -> None:
    other = "AC" + "b" * 32
    mine = fake_trunking.async_client()
    theirs = fake_trunking.async_client(other)
    try:
        trunk = await mine.trunking.v1.trunks.create_async(friendly_name="mine")
        assert await theirs.trunking.v1.trunks.list_async() == []
        err = await rest_error(theirs.trunking.v1.trunks(trunk.sid).fetch_async())
        assert (err.status, err.code) == (404, 20404)
        assert fake_trunking.calls[-1].request.headers["authorization"].startswith("Basic ")
    finally:
        await mine.http_client.close()
        await theirs.http_client.close()


# -- pagination --------------------------------------------------------------------------------


async def test_list_stream_page_next_previous_and_get_page(
    fake_trunking: FakeTrunkingService, trunks: Any
) -> None:
    sids = [(await trunks.create_async(friendly_name=f"t{i}")).sid for i in range(5)]

    assert [t.sid for t in await trunks.list_async()] == sids
    assert [t.sid for t in await trunks.list_async(page_size=2)] == sids

    served = len(fake_trunking.calls)
    streamed = [t.sid async for t in await trunks.stream_async(limit=3, page_size=2)]
    assert streamed == sids[:3]
    urls = [c.url for c in fake_trunking.calls[served:]]
    assert len(urls) == 2  # stops after `limit` without fetching a third page
    assert urls[0] == "https://trunking.twilio.com/v1/Trunks?PageSize=2"
    assert urls[1] == (
        f"https://trunking.twilio.com/v1/Trunks?PageSize=2&Page=1&PageToken=PA{sids[1]}"
    )

    page = await trunks.page_async(page_size=2)
    walked: List[str] = [t.sid for t in page]
    while True:
        nxt = await page.next_page_async()
        if nxt is None:
            break
        page = nxt
        walked += [t.sid for t in page]
    assert walked == sids
    back = await page.previous_page_async()
    assert back is not None and [t.sid for t in back] == sids[2:4]

    next_url = fake_trunking.calls[served + 1].url
    again = await trunks.get_page_async(next_url)
    assert [t.sid for t in again] == sids[2:4]

    by_token = await trunks.page_async(page_token=f"PA{sids[0]}", page_number=1, page_size=3)
    assert [t.sid for t in by_token] == sids[1:4]


async def test_pagination_errors(fake_trunking: FakeTrunkingService, trunks: Any) -> None:
    await trunks.create_async()
    status, body = await list_error(trunks.page_async(page_token="PAforged", page_number=1))
    assert (status, body["code"]) == (400, 21481)
    status, body = await list_error(trunks.page_async(page_number=2))
    assert (status, body["code"], body["message"]) == (
        400,
        20001,
        "PageToken is required for paging.",
    )
    status, body = await list_error(trunks("TK" + "0" * 32).origination_urls.list_async())
    assert (status, body["code"]) == (404, 20404)


# -- sub-resources -----------------------------------------------------------------------------


async def test_origination_url_crud_and_errors(
    fake_trunking: FakeTrunkingService, trunks: Any
) -> None:
    trunk = await trunks.create_async(friendly_name="parent")
    tk = trunks(trunk.sid)
    ou = await make_ou(tk)
    assert ou.sid.startswith("OU") and ou.trunk_sid == trunk.sid
    assert (ou.weight, ou.priority, ou.enabled, ou.sip_url) == (10, 20, True, SIP)
    assert fake_trunking.calls[-1].params == {
        "Weight": "10",
        "Priority": "20",
        "Enabled": "true",
        "FriendlyName": "primary",
        "SipUrl": SIP,
    }
    fetched = await tk.origination_urls(ou.sid).fetch_async()
    assert fetched.friendly_name == "primary"
    updated = await tk.origination_urls(ou.sid).update_async(weight=65535, enabled=False)
    assert (updated.weight, updated.enabled, updated.priority) == (65535, False, 20)
    second = await make_ou(tk, friendly_name="backup")
    assert [o.sid for o in await tk.origination_urls.list_async(page_size=1)] == [
        ou.sid,
        second.sid,
    ]
    assert [o.sid async for o in await tk.origination_urls.stream_async()] == [
        ou.sid,
        second.sid,
    ]

    before = fake_trunking.dump_state()
    err = await rest_error(make_ou(tk, sip_url="sips:secure@example.com"))
    assert (err.status, err.code) == (400, 20001)
    err = await rest_error(make_ou(tk, weight=None))  # None is not sent: a missing parameter
    assert err.msg.endswith("Missing required parameter Weight in the post body")
    err = await rest_error(tk.origination_urls(ou.sid).update_async(priority=70000))
    assert (err.status, err.code) == (400, 20001)
    assert fake_trunking.dump_state() == before

    assert await tk.origination_urls(ou.sid).delete_async() is True
    err = await rest_error(tk.origination_urls(ou.sid).fetch_async())
    assert (err.status, err.code) == (404, 20404)
    assert [o.sid for o in await tk.origination_urls.list_async()] == [second.sid]


@pytest.mark.parametrize(
    ("accessor", "arg", "seeder"),
    [
        ("credentials_lists", "credential_list_sid", "seed_credential_list"),
        ("ip_access_control_lists", "ip_access_control_list_sid", "seed_ip_access_control_list"),
    ],
)
async def test_list_associations(
    fake_trunking: FakeTrunkingService, trunks: Any, accessor: str, arg: str, seeder: str
) -> None:
    trunk = await trunks.create_async()
    lists = getattr(trunks(trunk.sid), accessor)
    sid = getattr(fake_trunking, seeder)(None, "Office")
    created = await lists.create_async(**{arg: sid})
    assert (created.sid, created.trunk_sid, created.friendly_name) == (sid, trunk.sid, "Office")
    assert (await lists(sid).fetch_async()).sid == sid
    assert [x.sid for x in await lists.list_async()] == [sid]
    page = await lists.page_async()
    assert [x.sid for x in page] == [sid] and await page.next_page_async() is None

    err = await rest_error(lists.create_async(**{arg: sid}))
    assert (err.status, err.code) == (400, 21245)
    missing = sid[:2] + "0" * 32
    err = await rest_error(lists.create_async(**{arg: missing}))
    assert (err.status, err.code) == (404, 20404)
    err = await rest_error(lists.create_async(**{arg: "bogus"}))
    assert (err.status, err.code) == (400, 20001)

    assert (await trunks(trunk.sid).fetch_async()).auth_type_set != []
    assert await lists(sid).delete_async() is True
    assert await lists.list_async() == []
    assert (await trunks(trunk.sid).fetch_async()).auth_type_set == []
    err = await rest_error(lists(sid).delete_async())
    assert (err.status, err.code) == (404, 20404)


async def test_phone_numbers(fake_trunking: FakeTrunkingService, trunks: Any) -> None:
    a = await trunks.create_async(friendly_name="a")
    b = await trunks.create_async(friendly_name="b")
    pn = fake_trunking.seed_phone_number(phone_number="+14155550100", friendly_name="main")
    numbers_a = trunks(a.sid).phone_numbers
    created = await numbers_a.create_async(phone_number_sid=pn)
    assert (created.sid, created.trunk_sid, created.phone_number) == (pn, a.sid, "+14155550100")
    assert (await numbers_a(pn).fetch_async()).friendly_name == "main"
    assert [n.sid for n in await numbers_a.list_async()] == [pn]

    moved = await trunks(b.sid).phone_numbers.create_async(phone_number_sid=pn)  # moves it
    assert moved.trunk_sid == b.sid
    assert await numbers_a.list_async() == []
    err = await rest_error(numbers_a(pn).fetch_async())
    assert (err.status, err.code) == (404, 20404)
    err = await rest_error(numbers_a.create_async(phone_number_sid="PN" + "0" * 32))
    assert (err.status, err.code) == (404, 20404)

    assert await trunks(b.sid).phone_numbers(pn).delete_async() is True
    assert await trunks(b.sid).phone_numbers.list_async() == []


async def test_recording(fake_trunking: FakeTrunkingService, trunks: Any) -> None:
    trunk = await trunks.create_async()
    recording = trunks(trunk.sid).recordings()
    fetched = await recording.fetch_async()
    assert (fetched.mode, fetched.trim) == ("do-not-record", "do-not-trim")
    updated = await recording.update_async(mode="record-from-answer")
    assert (updated.mode, updated.trim) == ("record-from-answer", "do-not-trim")
    updated = await recording.update_async(trim="trim-silence")
    assert (updated.mode, updated.trim) == ("record-from-answer", "trim-silence")
    mirrored = await trunks(trunk.sid).fetch_async()
    assert mirrored.recording == {"mode": "record-from-answer", "trim": "trim-silence"}
    err = await rest_error(recording.update_async(mode="record-always"))
    assert (err.status, err.code) == (400, 20001)
    err = await rest_error(trunks("TK" + "0" * 32).recordings().fetch_async())
    assert (err.status, err.code) == (404, 20404)


async def test_deleting_a_trunk_cascades(fake_trunking: FakeTrunkingService, trunks: Any) -> None:
    trunk = await trunks.create_async()
    tk = trunks(trunk.sid)
    ou = await make_ou(tk)
    cl = fake_trunking.seed_credential_list()
    await tk.credentials_lists.create_async(credential_list_sid=cl)
    await tk.delete_async()
    status, _ = await list_error(tk.origination_urls.list_async())
    assert status == 404
    err = await rest_error(tk.origination_urls(ou.sid).fetch_async())
    assert (err.status, err.code) == (404, 20404)


# -- mixed sync and async: one state -----------------------------------------------------------


async def test_sync_create_then_async_fetch_and_back(
    fake_trunking: FakeTrunkingService, trunking_client: Any, trunking_async_client: Any
) -> None:
    sync_trunks = trunking_client.trunking.v1.trunks
    async_trunks = trunking_async_client.trunking.v1.trunks

    made_sync = sync_trunks.create(friendly_name="sync")
    assert (await async_trunks(made_sync.sid).fetch_async()).friendly_name == "sync"
    made_async = await async_trunks.create_async(friendly_name="async")
    assert sync_trunks(made_async.sid).fetch().friendly_name == "async"

    sync_trunks(made_async.sid).origination_urls.create(
        weight=1, priority=1, enabled=True, friendly_name="o", sip_url=SIP
    )
    ous = await async_trunks(made_async.sid).origination_urls.list_async()
    assert [o.friendly_name for o in ous] == ["o"]
    await async_trunks(made_sync.sid).update_async(friendly_name="renamed by async")
    assert sync_trunks(made_sync.sid).fetch().friendly_name == "renamed by async"

    assert [t.sid for t in sync_trunks.list()] == [made_sync.sid, made_async.sid]
    assert [t.sid for t in await async_trunks.list_async()] == [made_sync.sid, made_async.sid]
    await async_trunks(made_sync.sid).delete_async()
    assert [t.sid for t in sync_trunks.list()] == [made_async.sid]
    # one request log, in the order served, whichever client sent it
    assert [c.method for c in fake_trunking.calls] == [
        "POST", "GET", "POST", "GET", "POST", "GET", "POST", "GET", "GET", "GET", "DELETE", "GET",
    ]  # fmt: skip


async def test_a_page_walk_may_switch_clients(
    trunking_client: Any, trunking_async_client: Any
) -> None:
    sids = [trunking_client.trunking.v1.trunks.create().sid for _ in range(3)]
    first = trunking_client.trunking.v1.trunks.page(page_size=2)
    next_url = first._payload["meta"]["next_page_url"]
    rest = await trunking_async_client.trunking.v1.trunks.get_page_async(next_url)
    assert [t.sid for t in first] + [t.sid for t in rest] == sids


# -- parity: the same scenario through both clients gives the same traffic ---------------------

Run = Callable[..., Awaitable[Any]]


async def _sync_run(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(obj, name)(*args, **kwargs)


async def _async_run(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    if name == "stream":
        return [x async for x in await obj.stream_async(*args, **kwargs)]
    return await getattr(obj, f"{name}_async")(*args, **kwargs)


async def _scenario(fake: FakeTrunkingService, client: Any, run: Run) -> List[Any]:
    """Every operation once or more, errors included; returns what the caller saw."""
    seen: List[Any] = []

    async def step(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await run(obj, name, *args, **kwargs)
        except TwilioRestException as exc:
            seen.append(("rest", exc.status, exc.code, exc.msg, exc.method, exc.uri))
            return None
        except TwilioException as exc:
            seen.append(("page", exc.args[1].status_code, exc.args[1].text))
            return None
        if isinstance(result, list) or hasattr(result, "__iter__"):  # a list or a Page
            seen.append([getattr(r, "sid", None) for r in result])
        else:  # an instance (a recording has no sid) or delete's True
            seen.append((type(result).__name__, getattr(result, "sid", None), repr(result)))
        return result

    trunks = client.trunking.v1.trunks
    t1 = await step(trunks, "create", friendly_name="one", domain_name="one.pstn.twilio.com")
    await step(trunks, "create", domain_name="one.pstn.twilio.com")  # 21248
    t2 = await step(trunks, "create", friendly_name="two", secure=True, cnam_lookup_enabled=True)
    await step(trunks, "create", friendly_name="three", transfer_mode="sip-only")
    await step(trunks(t1.sid), "fetch")
    await step(trunks(t1.sid), "update", friendly_name="uno", disaster_recovery_method="get")
    await step(trunks("TK" + "0" * 32), "fetch")
    await step(trunks, "list")
    await step(trunks, "list", page_size=2)
    await step(trunks, "stream", limit=2, page_size=1)
    page = await step(trunks, "page", page_size=2)
    nxt = await step(page, "next_page")
    await step(nxt, "previous_page")
    await step(
        trunks,
        "get_page",
        f"https://trunking.twilio.com/v1/Trunks?PageSize=1&Page=1&PageToken=PA{t1.sid}",
    )
    tk = trunks(t2.sid)
    ou = await step(tk.origination_urls, "create", 1, 2, True, "ou", SIP)
    await step(tk.origination_urls, "create", 1, 2, True, "ou", "http://x")  # 400
    await step(tk.origination_urls(ou.sid), "update", weight=5, sip_url="sip:other@example.com")
    await step(tk.origination_urls(ou.sid), "fetch")
    await step(tk.origination_urls, "list")
    cl = fake.seed_credential_list(None, "creds")
    al = fake.seed_ip_access_control_list(None, "ips")
    pn = fake.seed_phone_number(None, "+14155550123", "main")
    await step(tk.credentials_lists, "create", cl)
    await step(tk.credentials_lists, "create", cl)  # 21245
    await step(tk.credentials_lists(cl), "fetch")
    await step(tk.credentials_lists, "list")
    await step(tk.ip_access_control_lists, "create", al)
    await step(tk.ip_access_control_lists(al), "fetch")
    await step(tk.ip_access_control_lists, "list")
    await step(tk.phone_numbers, "create", pn)
    await step(tk.phone_numbers(pn), "fetch")
    await step(tk.phone_numbers, "list")
    await step(tk.recordings(), "fetch")
    await step(tk.recordings(), "update", mode="record-from-ringing-dual", trim="trim-silence")
    await step(tk.recordings(), "update", mode="nope")  # 400
    await step(tk, "fetch")
    await step(tk.ip_access_control_lists(al), "delete")
    await step(tk.credentials_lists(cl), "delete")
    await step(tk.phone_numbers(pn), "delete")
    await step(tk.origination_urls(ou.sid), "delete")
    await step(tk, "delete")
    await step(tk.origination_urls, "list")  # 404 as a page error
    await step(tk, "fetch")
    await step(trunks, "list")
    return seen


def _wire(fake: FakeTrunkingService) -> List[Tuple[Any, ...]]:
    return [
        (
            c.method,
            c.url,
            c.request.body,
            c.request.headers.get("content-type"),
            c.status,
            c.response.headers,
            c.response.body,
        )
        for c in fake.calls
    ]


async def test_the_same_scenario_gives_the_same_traffic_through_both_clients() -> None:
    with FakeTrunkingService(seed=77, clock=Clock()) as sync_fake:
        sync_seen = await _scenario(sync_fake, sync_fake.client(), _sync_run)
    with FakeTrunkingService(seed=77, clock=Clock()) as async_fake:
        client = async_fake.async_client()
        try:
            async_seen = await _scenario(async_fake, client, _async_run)
        finally:
            await client.http_client.close()
    assert len(sync_fake.calls) == len(async_fake.calls) > 40
    assert async_seen == sync_seen
    for sync_call, async_call in zip(_wire(sync_fake), _wire(async_fake)):
        assert async_call == sync_call
    assert async_fake.dump_state() == sync_fake.dump_state()
