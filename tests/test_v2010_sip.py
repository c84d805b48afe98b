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
        "/2010-04-01/Accounts.xml",  # the Accounts list is served as .json only
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


# -- Credentials ------------------------------------------------------------------------

PASSWORD = "IWasAtSignal2018"


def creds_path(fake: FakeTrunkingService, cl: str) -> str:
    return f"{lists_path(fake)}/{cl}/Credentials"


def test_credentials_every_operation(fake: FakeTrunkingService, client: Any) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    creds = client.sip.credential_lists(cl).credentials
    made = creds.create(username="alice", password=PASSWORD)
    account = fake.default_account_sid
    assert made.sid.startswith("CR") and (made.username, made.credential_list_sid) == ("alice", cl)
    assert made.account_sid == account
    assert (
        made.uri
        == f"/2010-04-01/Accounts/{account}/SIP/CredentialLists/{cl}/Credentials/{made.sid}.json"
    )
    body = fake.calls[-1].body
    assert set(body) == {
        "sid", "account_sid", "credential_list_sid", "username", "date_created", "date_updated",
        "uri",
    }  # fmt: skip
    assert creds(made.sid).fetch().username == "alice"
    hash_before = fake.dump_state()["accounts"][account]["credentials"][cl][0]["password_hash"]
    updated = creds(made.sid).update(password="AnotherPassw0rd")
    assert updated.username == "alice"
    hash_after = fake.dump_state()["accounts"][account]["credentials"][cl][0]["password_hash"]
    assert hash_after != hash_before
    others = [creds.create(username=f"u{i}", password=PASSWORD).sid for i in range(3)]
    assert [c.sid for c in creds.list(page_size=2)] == [made.sid, *others]
    assert [c.sid for c in creds.stream(page_size=3)] == [made.sid, *others]
    page = creds.page(page_size=3)
    assert [c.sid for c in page.next_page()] == others[2:]
    assert creds(made.sid).delete() is True
    assert [c.sid for c in creds.list()] == others
    error = rest_error(creds(made.sid).fetch)
    assert (error.status, error.code) == (404, 20404)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("Password=" + PASSWORD, "Missing required parameter Username in the post body"),
        ("Username=bob", "Missing required parameter Password in the post body"),
        ("Username=&Password=" + PASSWORD, "Invalid Username: must not be empty"),
        ("Username=" + "u" * 33 + "&Password=" + PASSWORD, None),
        ("Username=bob&Password=Short1Aa", None),  # 8 characters
        ("Username=bob&Password=alllowercase123", None),  # no upper case
        ("Username=bob&Password=ALLUPPERCASE123", None),  # no lower case
        ("Username=bob&Password=NoDigitsAtAllHere", None),
        ("Username=bob&Password=" + "Aa1" * 100, None),  # above the bound on hashing work
    ],
)
def test_credential_rules(fake: FakeTrunkingService, client: Any, form: str, message: Any) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    answer = raw(fake, "POST", creds_path(fake, cl) + ".json", form, base=V2010)
    assert_error(answer, 400, 20001, message)
    if message is None:
        text = answer.json()["message"]
        assert "Username" in text or "Password" in text
    assert client.sip.credential_lists(cl).credentials.list() == []


def test_the_password_rule_accepts_twilios_example_and_the_minimum(client: Any) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    creds = client.sip.credential_lists(cl).credentials
    creds.create(username="a" * 32, password="IWasAtSignal2018")
    creds.create(username="b", password="Abcdefghijk1")  # exactly 12
    error = rest_error(creds(creds.list()[0].sid).update, password="weak")
    assert (error.status, error.code) == (400, 20001)


def test_usernames_are_unique_in_a_list_only(client: Any) -> None:
    one = client.sip.credential_lists.create(friendly_name="one").sid
    two = client.sip.credential_lists.create(friendly_name="two").sid
    client.sip.credential_lists(one).credentials.create(username="alice", password=PASSWORD)
    error = rest_error(
        client.sip.credential_lists(one).credentials.create, username="alice", password=PASSWORD
    )
    assert (error.status, error.code) == (400, 20001) and "alice" in error.msg
    client.sip.credential_lists(two).credentials.create(username="alice", password=PASSWORD)
    client.sip.credential_lists(one).credentials.create(username="Alice", password=PASSWORD)


def test_credentials_of_a_missing_or_foreign_list_are_404(fake: FakeTrunkingService) -> None:
    mine = fake.client().sip.credential_lists.create(friendly_name="mine").sid
    other = fake.client("AC" + "e" * 32)
    for call in (
        other.sip.credential_lists(mine).credentials.list,
        lambda: other.sip.credential_lists(mine).credentials.create(
            username="x", password=PASSWORD
        ),
    ):
        with pytest.raises(Exception) as info:
            call()
        assert "20404" in str(info.value) or "404" in str(info.value)
    missing = "CL" + "0" * 32
    answer = raw(fake, "GET", creds_path(fake, missing) + ".json", base=V2010)
    assert_error(
        answer, 404, 20404, f"The requested resource {creds_path(fake, missing)}.json was not found"
    )


def test_deleting_a_list_deletes_its_credentials(fake: FakeTrunkingService, client: Any) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    cr = client.sip.credential_lists(cl).credentials.create(username="a", password=PASSWORD).sid
    client.sip.credential_lists(cl).delete()
    assert "credentials" not in fake.dump_state()["accounts"][fake.default_account_sid]
    answer = raw(fake, "GET", f"{creds_path(fake, cl)}/{cr}.json", base=V2010)
    assert_error(answer, 404, 20404)


# -- IP access control lists and addresses ------------------------------------------------


def test_ip_access_control_lists_every_operation(fake: FakeTrunkingService, client: Any) -> None:
    acls = client.sip.ip_access_control_lists
    made = acls.create(friendly_name="x" * 255)  # up to 255 characters (the spec)
    account = fake.default_account_sid
    assert made.sid.startswith("AL") and made.friendly_name == "x" * 255
    base = f"/2010-04-01/Accounts/{account}/SIP/IpAccessControlLists/{made.sid}"
    assert made.uri == base + ".json"
    assert made.subresource_uris == {"ip_addresses": base + "/IpAddresses.json"}
    assert acls(made.sid).fetch().sid == made.sid
    assert acls(made.sid).update(friendly_name="Office").friendly_name == "Office"
    more = [acls.create(friendly_name=f"n{i}").sid for i in range(3)]
    assert [a.sid for a in acls.list(page_size=2)] == [made.sid, *more]
    assert [a.sid for a in acls.page(page_size=2).next_page()] == more[1:]
    path = f"/2010-04-01/Accounts/{account}/SIP/IpAccessControlLists.json"
    assert_error(raw(fake, "POST", path, "FriendlyName=" + "x" * 256, base=V2010), 400, 20001)
    assert_error(raw(fake, "POST", path, "", base=V2010), 400, 20001,
                 "Missing required parameter FriendlyName in the post body")  # fmt: skip
    assert acls(made.sid).delete() is True
    assert [a.sid for a in acls.list()] == more


def test_ip_addresses_every_operation(fake: FakeTrunkingService, client: Any) -> None:
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    ips = client.sip.ip_access_control_lists(al).ip_addresses
    made = ips.create(friendly_name="gateway", ip_address="203.0.113.10")
    assert made.sid.startswith("IP") and made.cidr_prefix_length == 32  # the default
    assert (made.ip_address, made.ip_access_control_list_sid) == ("203.0.113.10", al)
    account = fake.default_account_sid
    assert made.uri == (
        f"/2010-04-01/Accounts/{account}/SIP/IpAccessControlLists/{al}/IpAddresses/{made.sid}.json"
    )
    wide = ips.create(friendly_name="office", ip_address="198.51.100.0", cidr_prefix_length=24)
    assert wide.cidr_prefix_length == 24
    updated = ips(made.sid).update(ip_address="203.0.113.11", cidr_prefix_length=0)
    assert (updated.ip_address, updated.cidr_prefix_length, updated.friendly_name) == (
        "203.0.113.11", 0, "gateway",
    )  # fmt: skip
    assert ips(made.sid).update(friendly_name="gw").friendly_name == "gw"
    assert ips(made.sid).fetch().ip_address == "203.0.113.11"
    assert [i.sid for i in ips.list(page_size=1)] == [made.sid, wide.sid]
    assert [i.sid for i in ips.page(page_size=1).next_page()] == [wide.sid]
    assert ips(made.sid).delete() is True
    assert [i.sid for i in ips.list()] == [wide.sid]


@pytest.mark.parametrize(
    "form",
    [
        "FriendlyName=gw",  # no IpAddress
        "IpAddress=203.0.113.1",  # no FriendlyName
        "FriendlyName=gw&IpAddress=203.0.113",
        "FriendlyName=gw&IpAddress=203.0.113.256",
        "FriendlyName=gw&IpAddress=203.0.113.01",  # a leading zero
        "FriendlyName=gw&IpAddress=2001:db8::1",  # IPv4 only
        "FriendlyName=gw&IpAddress=example.com",
        "FriendlyName=gw&IpAddress=%D9%A1.2.3.4",  # a non-ASCII digit
        "FriendlyName=gw&IpAddress=203.0.113.1&CidrPrefixLength=33",
        "FriendlyName=gw&IpAddress=203.0.113.1&CidrPrefixLength=-1",
        "FriendlyName=gw&IpAddress=203.0.113.1&CidrPrefixLength=wide",
        "FriendlyName=" + "x" * 256 + "&IpAddress=203.0.113.1",
    ],
)
def test_ip_address_rules(fake: FakeTrunkingService, client: Any, form: str) -> None:
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    acls = f"/2010-04-01/Accounts/{fake.default_account_sid}/SIP/IpAccessControlLists"
    path = f"{acls}/{al}/IpAddresses.json"
    assert_error(raw(fake, "POST", path, form, base=V2010), 400, 20001)
    assert client.sip.ip_access_control_lists(al).ip_addresses.list() == []


def test_cidr_prefix_bounds_are_accepted(client: Any) -> None:
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    ips = client.sip.ip_access_control_lists(al).ip_addresses
    for n in (0, 32):
        assert ips.create(friendly_name="b", ip_address="0.0.0.0", cidr_prefix_length=n)
    error = rest_error(ips(ips.list()[0].sid).update, cidr_prefix_length=40)
    assert (error.status, error.code) == (400, 20001)


# -- one world: deletes, seeds, auth types ------------------------------------------------


def test_deleting_lists_a_trunk_uses_dissociates_them(
    fake: FakeTrunkingService, client: Any
) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    trunk = client.trunking.v1.trunks.create(friendly_name="t").sid
    trunking = client.trunking.v1.trunks(trunk)
    trunking.credentials_lists.create(credential_list_sid=cl)
    trunking.ip_access_control_lists.create(ip_access_control_list_sid=al)
    assert trunking.fetch().auth_type_set == ["CREDENTIAL_LIST", "IP_ACL"]
    client.sip.credential_lists(cl).delete()
    assert trunking.credentials_lists.list() == []
    assert trunking.fetch().auth_type_set == ["IP_ACL"]
    client.sip.ip_access_control_lists(al).delete()
    assert trunking.ip_access_control_lists.list() == []
    assert trunking.fetch().auth_type == ""
    error = rest_error(trunking.credentials_lists.create, credential_list_sid=cl)
    assert (error.status, error.code) == (404, 20404)


def test_seeded_acls_are_v2010_objects_and_v2010_acls_associate(
    fake: FakeTrunkingService, client: Any
) -> None:
    seeded = fake.seed_ip_access_control_list(friendly_name="Seeded ACL")
    fetched = client.sip.ip_access_control_lists(seeded).fetch()
    assert fetched.friendly_name == "Seeded ACL"
    made = client.sip.ip_access_control_lists.create(friendly_name="Made").sid
    trunk = client.trunking.v1.trunks.create(friendly_name="t").sid
    linked = client.trunking.v1.trunks(trunk).ip_access_control_lists.create(
        ip_access_control_list_sid=made
    )
    assert linked.friendly_name == "Made"
    ip = client.sip.ip_access_control_lists(seeded).ip_addresses.create(
        friendly_name="gw", ip_address="192.0.2.1"
    )
    assert ip.ip_access_control_list_sid == seeded
    # the association's dates are the object's, in Trunking's ISO form
    assert linked.date_created == client.sip.ip_access_control_lists(made).fetch().date_created


def test_a_trunking_delete_of_the_association_keeps_the_v2010_list(client: Any) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    trunk = client.trunking.v1.trunks.create(friendly_name="t").sid
    client.trunking.v1.trunks(trunk).credentials_lists.create(credential_list_sid=cl)
    client.trunking.v1.trunks(trunk).credentials_lists(cl).delete()
    assert client.sip.credential_lists(cl).fetch().friendly_name == "PBX"
    client.trunking.v1.trunks(trunk).delete()
    assert client.sip.credential_lists(cl).fetch().friendly_name == "PBX"


# -- faults, state ----------------------------------------------------------------------


def test_a_fault_path_tells_the_two_apis_apart(fake: FakeTrunkingService, client: Any) -> None:
    fake.inject_fault(503, path=r"/2010-04-01/Accounts/\w+/SIP/CredentialLists\.json", times=None)
    fake.inject_fault(500, path=r"/Trunks/\w+/CredentialLists", times=None)
    error = rest_error(client.sip.credential_lists.create, friendly_name="x")
    assert (error.status, error.code) == (503, 20503)
    trunk = client.trunking.v1.trunks.create(friendly_name="t")  # neither fault matches
    assert trunk.sid
    seeded = fake.seed_credential_list(friendly_name="s")
    assert client.sip.credential_lists(seeded).fetch().sid == seeded  # the instance path is not hit
    error = rest_error(
        client.trunking.v1.trunks(trunk.sid).credentials_lists.create, credential_list_sid=seeded
    )
    assert error.status == 500


def test_state_round_trip_carries_every_v2010_object(
    fake: FakeTrunkingService, client: Any
) -> None:
    import json

    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    client.sip.credential_lists(cl).credentials.create(username="alice", password=PASSWORD)
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    client.sip.ip_access_control_lists(al).ip_addresses.create(
        friendly_name="gw", ip_address="203.0.113.5", cidr_prefix_length=28
    )
    key = client.new_keys.create(friendly_name="ci")
    snapshot = fake.dump_state()
    text = json.dumps(snapshot)
    assert PASSWORD not in text and key.secret not in text
    account = fake.default_account_sid
    with FakeTrunkingService(seed=99) as other:
        other.load_state(snapshot)
        assert other.dump_state() == snapshot
        there = other.client(account)
        assert [c.username for c in there.sip.credential_lists(cl).credentials.list()] == ["alice"]
        ip = there.sip.ip_access_control_lists(al).ip_addresses.list()[0]
        assert (ip.ip_address, ip.cidr_prefix_length) == ("203.0.113.5", 28)
        from twilio.rest import Client

        keyed = Client(key.sid, key.secret, account)
        assert [c.sid for c in keyed.sip.credential_lists.list()] == [cl]


def _broken(snapshot: Any, account: str, edit: Any) -> Any:
    import copy

    bad = copy.deepcopy(snapshot)
    edit(bad["accounts"][account])
    return bad


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda a: next(iter(a["credentials"].values()))[0].update(password_hash=PASSWORD),
         "password_hash is not a salted hash"),
        (lambda a: next(iter(a["credentials"].values()))[0].update(password=PASSWORD),
         "missing or unknown"),
        (lambda a: next(iter(a["credentials"].values()))[0].update(username="u" * 33),
         "username"),
        (lambda a: next(iter(a["credentials"].values())).append(
            dict(next(iter(a["credentials"].values()))[0], sid="CR" + "1" * 32)),
         "appears twice"),
        (lambda a: a["credentials"].update({"CL" + "9" * 32: []}), "no such CL object"),
        (lambda a: next(iter(a["ip_addresses"].values()))[0].update(ip_address="300.1.1.1"),
         "IpAddress"),
        (lambda a: next(iter(a["ip_addresses"].values()))[0].update(cidr_prefix_length=33),
         "CidrPrefixLength"),
        (lambda a: a["registry"]["SK"][0].update(secret_hash="plain-secret"),
         "secret_hash is not a salted hash"),
        (lambda a: a["registry"]["SK"][0].update(secret="plain-secret"), "missing or unknown"),
    ],
)  # fmt: skip
def test_bad_v2010_state_is_refused_and_changes_nothing(
    fake: FakeTrunkingService, client: Any, edit: Any, says: str
) -> None:
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    client.sip.credential_lists(cl).credentials.create(username="alice", password=PASSWORD)
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    client.sip.ip_access_control_lists(al).ip_addresses.create(
        friendly_name="g", ip_address="192.0.2.1"
    )
    client.new_keys.create()
    snapshot = fake.dump_state()
    with pytest.raises(ValueError, match=says):
        fake.load_state(_broken(snapshot, fake.default_account_sid, edit))
    assert fake.dump_state() == snapshot


# -- cassettes --------------------------------------------------------------------------


def test_a_saved_v2010_flow_verifies_and_loads(
    fake: FakeTrunkingService, client: Any, tmp_path: Any
) -> None:
    from fake_trunking.cassettes.verify import verify

    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    client.sip.credential_lists(cl).credentials.create(username="alice", password=PASSWORD)
    al = client.sip.ip_access_control_lists.create(friendly_name="Office").sid
    client.sip.ip_access_control_lists(al).ip_addresses.create(
        friendly_name="gw", ip_address="203.0.113.5"
    )
    gone = client.sip.ip_access_control_lists.create(friendly_name="Gone").sid
    client.sip.ip_access_control_lists(gone).delete()
    key = client.new_keys.create(friendly_name="k")
    client.keys(key.sid).fetch()
    client.api.accounts(fake.default_account_sid).fetch()
    trunk = client.trunking.v1.trunks.create(friendly_name="t").sid
    client.trunking.v1.trunks(trunk).credentials_lists.create(credential_list_sid=cl)
    client.sip.credential_lists.list(page_size=1)
    client.sip.credential_lists(cl).update(friendly_name="PBX 2")
    path = fake.save_cassette(tmp_path / "flow.yaml")
    result = verify(path)
    assert result.ok, [str(d) for d in result.differences]
    with FakeTrunkingService(seed=3) as loaded:
        loaded.load_cassette(path)
        there = loaded.client()
        assert [c.friendly_name for c in there.sip.credential_lists.list()] == ["PBX 2"]
        assert [a.friendly_name for a in there.sip.ip_access_control_lists.list()] == ["Office"]
        linked = there.trunking.v1.trunks.list()[0].sid
        assert [c.sid for c in there.trunking.v1.trunks(linked).credentials_lists.list()] == [cl]


def test_record_mode_records_v2010_on_its_own_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from fake_trunking.cassettes.record import open_backend
    from fake_trunking.cassettes.verify import verify

    account, token = "AC" + "5" * 32, "simulated-token"
    with FakeTrunkingServer(seed=21, credentials={account: token}) as twilio:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", account)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
        monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", account)
        monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", twilio.base_url)
        path = tmp_path / "rec.yaml"
        with open_backend("record", path, {}) as backend:
            client = backend.client()
            cl = client.sip.credential_lists.create(friendly_name="PBX").sid
            client.sip.credential_lists(cl).credentials.create(username="a", password=PASSWORD)
            trunk = client.trunking.v1.trunks.create(friendly_name="t").sid
            client.trunking.v1.trunks(trunk).credentials_lists.create(credential_list_sid=cl)
    text = path.read_text()
    assert "https://api.twilio.com/2010-04-01/Accounts/" in text
    assert "https://trunking.twilio.com/v1/Trunks" in text
    assert PASSWORD not in text and token not in text
    result = verify(path)
    assert result.ok, [str(d) for d in result.differences]
