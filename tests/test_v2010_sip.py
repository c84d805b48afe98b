"""API v2010 SIP resources (issue 15): CredentialLists and Credentials, IpAccessControlLists and
IpAddresses, through twilio 9.13 in process, async and in server mode; the v2010 wire format;
one world with Trunking's associations."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
import requests

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for

from .helpers import assert_error, raw, rest_error

V2010 = "https://api.twilio.com"
RFC2822 = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000\Z")


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1515) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


def lists_path(fake: FakeTrunkingService) -> str:
    return f"/2010-04-01/Accounts/{fake.default_account_sid}/SIP/CredentialLists"


# -- the foundation: routing, hosts, wire format ----------------------------------------------


def test_credential_list_round_trip_through_the_twilio_client(
    fake: FakeTrunkingService, client: Any
) -> None:
    made = client.sip.credential_lists.create(friendly_name="Office")
    account = fake.default_account_sid
    assert made.sid.startswith("CL") and made.account_sid == account
    assert made.friendly_name == "Office"
    assert made.uri == f"/2010-04-01/Accounts/{account}/SIP/CredentialLists/{made.sid}.json"
    assert made.subresource_uris == {
        "credentials": f"/2010-04-01/Accounts/{account}/SIP/CredentialLists/{made.sid}"
        "/Credentials.json"
    }
    assert fake.calls[-1].status == 201
    body = fake.calls[-1].body
    assert RFC2822.match(body["date_created"]) and RFC2822.match(body["date_updated"])
    fetched = client.sip.credential_lists(made.sid).fetch()
    assert (fetched.sid, fetched.friendly_name, fetched.date_created) == (
        made.sid, "Office", made.date_created,
    )  # fmt: skip
    updated = client.sip.credential_lists(made.sid).update(friendly_name="HQ")
    assert updated.friendly_name == "HQ"
    assert [c.sid for c in client.sip.credential_lists.list()] == [made.sid]
    assert client.sip.credential_lists(made.sid).delete() is True
    assert fake.calls[-1].status == 204
    error = rest_error(client.sip.credential_lists(made.sid).fetch)
    assert (error.status, error.code) == (404, 20404)
    assert client.sip.credential_lists.list() == []


def test_dates_are_rfc_2822_from_the_fake_clock(fake: FakeTrunkingService) -> None:
    from datetime import datetime, timezone

    moment = datetime(2015, 8, 19, 19, 48, 45, tzinfo=timezone.utc)
    with FakeTrunkingService(seed=1, clock=lambda: moment) as timed:
        made = timed.client().sip.credential_lists.create(friendly_name="x")
        assert timed.calls[-1].body["date_created"] == "Wed, 19 Aug 2015 19:48:45 +0000"
        assert made.date_created == moment


def test_list_envelope_is_v2010s(fake: FakeTrunkingService, client: Any) -> None:
    for i in range(3):
        client.sip.credential_lists.create(friendly_name=f"L{i}")
    path = lists_path(fake)
    first = raw(fake, "GET", path + ".json?PageSize=2", base=V2010)
    body = first.json()
    assert set(body) == {
        "credential_lists", "first_page_uri", "next_page_uri", "previous_page_uri", "page",
        "page_size", "start", "end", "uri",
    }  # fmt: skip
    sids = [c["sid"] for c in body["credential_lists"]]
    assert body["first_page_uri"] == f"{path}.json?PageSize=2&Page=0"
    assert body["uri"] == f"{path}.json?PageSize=2&Page=0"
    assert body["next_page_uri"] == f"{path}.json?PageSize=2&Page=1&PageToken=PA{sids[-1]}"
    assert body["previous_page_uri"] is None
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (0, 2, 0, 1)
    second = raw(fake, "GET", body["next_page_uri"], base=V2010).json()
    assert len(second["credential_lists"]) == 1
    assert (second["page"], second["start"], second["end"]) == (1, 2, 2)
    assert second["next_page_uri"] is None
    first_sid = second["credential_lists"][0]["sid"]
    assert second["previous_page_uri"] == f"{path}.json?PageSize=2&Page=0&PageToken=PB{first_sid}"
    empty = raw(fake, "GET", f"/2010-04-01/Accounts/{fake.default_account_sid}/SIP/"
                "IpAccessControlLists.json", base=V2010)  # fmt: skip
    if empty.status == 200:
        assert (empty.json()["start"], empty.json()["end"]) == (0, 0)


def test_every_pagination_entry_point_walks_a_v2010_list(client: Any) -> None:
    made = [client.sip.credential_lists.create(friendly_name=f"L{i}").sid for i in range(5)]
    lists = client.sip.credential_lists
    assert [c.sid for c in lists.list(page_size=2)] == made
    assert [c.sid for c in lists.stream(page_size=2)] == made
    assert [c.sid for c in lists.list(limit=3, page_size=2)] == made[:3]
    page = lists.page(page_size=2)
    seen = [c.sid for c in page]
    while page.next_page_url:
        page = page.next_page()
        seen += [c.sid for c in page]
    assert seen == made
    back = page.previous_page()
    assert [c.sid for c in back] == made[2:4]
    assert [c.sid for c in lists.get_page(lists.page(page_size=2).next_page_url)] == made[2:4]


def test_a_walk_is_stable_under_writes(client: Any) -> None:
    made = [client.sip.credential_lists.create(friendly_name=f"L{i}").sid for i in range(4)]
    page = client.sip.credential_lists.page(page_size=2)
    client.sip.credential_lists(made[1]).delete()  # the token's anchor goes
    client.sip.credential_lists.create(friendly_name="late")
    rest = [c.sid for c in page.next_page()]
    assert rest == made[2:4]


def test_unknown_v2010_paths_are_20404_naming_the_path(fake: FakeTrunkingService) -> None:
    account = fake.default_account_sid
    for path in (
        f"/2010-04-01/Accounts/{account}/Calls.json",
        f"/2010-04-01/Accounts/{account}/SIP/CredentialLists",  # no .json
        f"/2010-04-01/Accounts/{account}/SIP/CredentialLists/CL123.json",
        f"/2010-04-01/Accounts/{account}/SIP/CredentialLists/TK{'0' * 32}.json",
        f"/2010-04-01/Accounts/{account}/SIP/Domains.json",
        "/2010-04-01/Accounts.json",
        "/2010-04-01/Accounts/not-an-account/SIP/CredentialLists.json",
        "/2010-04-01",
    ):
        answer = raw(fake, "GET", path, base=V2010)
        assert_error(answer, 404, 20404, f"The requested resource {path} was not found")


def test_each_host_serves_only_its_own_tree(fake: FakeTrunkingService) -> None:
    account = fake.default_account_sid
    on_api = raw(fake, "GET", "/v1/Trunks", base=V2010)
    assert_error(on_api, 404, 20404)
    on_trunking = raw(fake, "GET", lists_path(fake) + ".json", base="https://trunking.twilio.com")
    assert_error(on_trunking, 404, 20404)
    edge = requests.get(
        f"https://api.sydney.au1.twilio.com/2010-04-01/Accounts/{account}/SIP/CredentialLists.json",
        auth=(account, fake.auth_token(account)),
        timeout=5,
    )
    assert edge.status_code == 200 and edge.json()["credential_lists"] == []


def test_the_path_account_must_be_the_callers(fake: FakeTrunkingService) -> None:
    other = "AC" + "f" * 32
    answer = raw(fake, "GET", f"/2010-04-01/Accounts/{other}/SIP/CredentialLists.json", base=V2010)
    assert_error(answer, 401, 20003, "Authenticate")
    made = raw(
        fake, "POST", f"/2010-04-01/Accounts/{other}/SIP/CredentialLists.json",
        "FriendlyName=x", base=V2010,
    )  # fmt: skip
    assert_error(made, 401, 20003)
    assert other not in fake.dump_state()["accounts"]
    assert_error(raw(fake, "GET", lists_path(fake) + ".json", auth=None, base=V2010), 401, 20003)


def test_method_not_allowed_lists_the_methods(fake: FakeTrunkingService) -> None:
    answer = raw(fake, "DELETE", lists_path(fake) + ".json", base=V2010)
    assert_error(answer, 405, 20004)
    assert answer.headers["Allow"] == "GET, POST"


def test_credential_list_parameters(fake: FakeTrunkingService, client: Any) -> None:
    path = lists_path(fake) + ".json"
    missing = raw(fake, "POST", path, "", base=V2010)
    assert_error(missing, 400, 20001, "Missing required parameter FriendlyName in the post body")
    long = raw(fake, "POST", path, "FriendlyName=" + "x" * 65, base=V2010)
    assert_error(long, 400, 20001)
    assert client.sip.credential_lists.list() == []
    made = client.sip.credential_lists.create(friendly_name="x" * 64)
    update = raw(fake, "POST", f"{lists_path(fake)}/{made.sid}.json", "", base=V2010)
    assert_error(update, 400, 20001, "Missing required parameter FriendlyName in the post body")


# -- one world: the registry Trunking associates ------------------------------------------


def test_a_v2010_list_is_what_trunking_associates(fake: FakeTrunkingService, client: Any) -> None:
    made = client.sip.credential_lists.create(friendly_name="PBX")
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    linked = client.trunking.v1.trunks(trunk.sid).credentials_lists.create(
        credential_list_sid=made.sid
    )
    assert linked.friendly_name == "PBX"
    client.sip.credential_lists(made.sid).update(friendly_name="PBX 2")
    again = client.trunking.v1.trunks(trunk.sid).credentials_lists(made.sid).fetch()
    assert again.friendly_name == "PBX 2"
    seeded = fake.seed_credential_list(friendly_name="Seeded")
    assert client.sip.credential_lists(seeded).fetch().friendly_name == "Seeded"
    assert [c.sid for c in client.sip.credential_lists.list()] == [made.sid, seeded]


def test_accounts_do_not_see_each_others_lists(fake: FakeTrunkingService) -> None:
    mine = fake.client().sip.credential_lists.create(friendly_name="mine")
    other = "AC" + "e" * 32
    theirs = fake.client(other)
    assert theirs.sip.credential_lists.list() == []
    error = rest_error(theirs.sip.credential_lists(mine.sid).fetch)
    assert (error.status, error.code) == (404, 20404)


# -- every way in ---------------------------------------------------------------------


def test_server_mode_serves_both_trees() -> None:
    with FakeTrunkingServer(seed=3, timeout=5.0) as server:
        account = "AC" + "1" * 32
        client = client_for(server.base_url, account, "t")
        made = client.sip.credential_lists.create(friendly_name="served")
        assert made.uri == f"/2010-04-01/Accounts/{account}/SIP/CredentialLists/{made.sid}.json"
        trunk = client.trunking.v1.trunks.create(friendly_name="t")
        client.trunking.v1.trunks(trunk.sid).credentials_lists.create(credential_list_sid=made.sid)
        for i in range(3):
            client.sip.credential_lists.create(friendly_name=f"n{i}")
        assert len(client.sip.credential_lists.list(page_size=2)) == 4
        assert trunk.url.startswith(server.base_url)


def test_async_client_round_trip(fake: FakeTrunkingService) -> None:
    import asyncio

    async def flow() -> Any:
        client = fake.async_client()
        made = await client.sip.credential_lists.create_async(friendly_name="async")
        fetched = await client.sip.credential_lists(made.sid).fetch_async()
        listed = await client.sip.credential_lists.list_async(page_size=1)
        await client.sip.credential_lists(made.sid).delete_async()
        await client.http_client.close()
        return made, fetched, listed

    made, fetched, listed = asyncio.run(flow())
    assert fetched.friendly_name == "async" and [c.sid for c in listed] == [made.sid]
    assert fake.client().sip.credential_lists.list() == []
