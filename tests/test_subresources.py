"""Every sub-resource of a trunk (issue 3) through the real twilio client: origination URLs,
credential lists, IP ACLs, phone numbers, recording; their rules, the cascade on trunk delete."""

from __future__ import annotations

import re
from typing import Any, Dict

import pytest

from fake_trunking import FakeTrunkingService

from .helpers import Clock, list_error, raw, rest_error

OTHER = "AC" + "e" * 32
OU_FIELDS = {
    "account_sid", "sid", "trunk_sid", "weight", "enabled", "sip_url", "friendly_name",
    "priority", "date_created", "date_updated", "url",
}  # fmt: skip
LIST_FIELDS = {
    "account_sid", "sid", "trunk_sid", "friendly_name", "date_created", "date_updated", "url",
}  # fmt: skip


def make_ou(tk: Any, **overrides: Any) -> Any:
    args: Dict[str, Any] = {
        "weight": 10,
        "priority": 20,
        "enabled": True,
        "friendly_name": "primary",
        "sip_url": "sip:pbx@sip.example.com:5060",
    }
    args.update(overrides)
    return tk.origination_urls.create(**args)


@pytest.fixture
def trunk_sid(trunks: Any) -> str:
    sid: str = trunks.create(friendly_name="parent").sid
    return sid


@pytest.fixture
def tk(trunks: Any, trunk_sid: str) -> Any:
    return trunks(trunk_sid)


# -- OriginationUrls -----------------------------------------------------------------------


def test_origination_url_crud(fake: FakeTrunkingService, tk: Any, trunk_sid: str) -> None:
    created = tk.origination_urls.create_with_http_info(
        weight=1, priority=2, enabled=False, friendly_name="edge", sip_url="sip:edge@example.com"
    )
    assert created.status_code == 201
    ou = created.data
    assert re.fullmatch(r"OU[0-9a-f]{32}", ou.sid)
    body = fake.calls[-1].body
    assert set(body) == OU_FIELDS
    assert body["url"] == (
        f"https://trunking.twilio.com/v1/Trunks/{trunk_sid}/OriginationUrls/{ou.sid}"
    )
    assert (body["weight"], body["priority"], body["enabled"]) == (1, 2, False)
    assert (body["friendly_name"], body["sip_url"]) == ("edge", "sip:edge@example.com")
    assert (body["trunk_sid"], body["account_sid"]) == (trunk_sid, fake.default_account_sid)
    assert body["date_created"] == body["date_updated"]
    assert fake.calls[-1].params == {
        "Weight": "1",
        "Priority": "2",
        "Enabled": "false",
        "FriendlyName": "edge",
        "SipUrl": "sip:edge@example.com",
    }

    fetched = tk.origination_urls(ou.sid).fetch_with_http_info()
    assert fetched.status_code == 200
    assert fake.calls[-1].body == body
    assert [o.sid for o in tk.origination_urls.list()] == [ou.sid]

    updated = tk.origination_urls(ou.sid).update_with_http_info(weight=65535)
    assert updated.status_code == 200
    after = fake.calls[-1].body
    changed = {k for k in body if body[k] != after[k]} - {"date_updated"}
    assert changed == {"weight"}  # a partial update keeps everything else

    deleted = tk.origination_urls(ou.sid).delete_with_http_info()
    assert (deleted.status_code, deleted.data) == (204, True)
    assert fake.calls[-1].response.body == b""
    err = rest_error(tk.origination_urls(ou.sid).fetch)
    assert (err.status, err.code) == (404, 20404)
    assert fake.calls[-1].body["message"] == (
        f"The requested resource /Trunks/{trunk_sid}/OriginationUrls/{ou.sid} was not found"
    )
    assert tk.origination_urls.list() == []


def test_origination_url_update_every_field_and_date() -> None:
    clock = Clock()
    with FakeTrunkingService(seed=9, clock=clock) as fake:
        tk = fake.client().trunking.v1.trunks(fake.seed_trunks()[0])
        ou = make_ou(tk)
        clock.advance(minutes=5)
        new = tk.origination_urls(ou.sid).update(
            weight=0, priority=65535, enabled=False, friendly_name="", sip_url="SIP:x@y.example"
        )
        assert (new.weight, new.priority, new.enabled) == (0, 65535, False)
        assert (new.friendly_name, new.sip_url) == ("", "SIP:x@y.example")
        assert new.date_created == ou.date_created
        assert (new.date_updated - ou.date_updated).total_seconds() == 300


@pytest.mark.parametrize("missing", ["weight", "priority", "enabled", "friendly_name", "sip_url"])
def test_origination_url_create_requires_all_five(
    fake: FakeTrunkingService, tk: Any, missing: str
) -> None:
    wire = {
        "weight": "Weight",
        "priority": "Priority",
        "enabled": "Enabled",
        "friendly_name": "FriendlyName",
        "sip_url": "SipUrl",
    }[missing]
    before = fake.dump_state()
    err = rest_error(make_ou, tk, **{missing: None})  # None is dropped by the client
    assert (err.status, err.code) == (400, 20001)
    assert fake.calls[-1].body["message"] == f"Missing required parameter {wire} in the post body"
    assert fake.dump_state() == before


SIP_RULE = (
    "Invalid SipUrl: must be a SIP URI sip:[user@]host[:port][;params] (RFC 3261) in printable "
    "ASCII without whitespace: "
)
BAD_OU = [
    ({"weight": -1}, "Invalid Weight: must be an integer from 0 to 65535"),
    ({"weight": 65536}, "Invalid Weight: must be an integer from 0 to 65535"),
    ({"weight": "ten"}, "Invalid Weight: must be an integer"),
    ({"weight": "1.5"}, "Invalid Weight: must be an integer"),
    ({"priority": -1}, "Invalid Priority: must be an integer from 0 to 65535"),
    ({"priority": 70000}, "Invalid Priority: must be an integer from 0 to 65535"),
    ({"enabled": "maybe"}, "Invalid Enabled: must be true or false"),
    ({"friendly_name": "n" * 65}, "Invalid FriendlyName: must be at most 64 characters"),
    ({"sip_url": "sips:secure@example.com"}, SIP_RULE + "sips: is not supported"),
    ({"sip_url": "http://example.com"}, SIP_RULE + "it does not start with sip:"),
    ({"sip_url": "sip:"}, SIP_RULE + "it has no host"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "message"), BAD_OU)
def test_origination_url_validation(
    fake: FakeTrunkingService, tk: Any, bad: Dict[str, Any], message: str
) -> None:
    ou = make_ou(tk)
    before = fake.dump_state()
    err = rest_error(make_ou, tk, **bad)
    assert (err.status, err.code) == (400, 20001)
    assert fake.calls[-1].body["message"] == message
    err = rest_error(tk.origination_urls(ou.sid).update, **bad)
    assert (err.status, err.code) == (400, 20001)
    assert fake.calls[-1].body["message"] == message
    assert fake.dump_state() == before


def test_integers_take_an_optional_sign(fake: FakeTrunkingService, trunk_sid: str) -> None:
    path = f"/v1/Trunks/{trunk_sid}/OriginationUrls"
    form = "Weight=%2B5&Priority=-0&Enabled=TRUE&FriendlyName=a&SipUrl=sip%3Aa%40b.example"
    response = raw(fake, "POST", path, form)
    assert response.status == 201
    assert (response.json()["weight"], response.json()["priority"]) == (5, 0)
    assert response.json()["enabled"] is True
    for bad in ("%205", "5%20", "0x10", "", "1e3"):
        response = raw(fake, "POST", path, form.replace("Weight=%2B5", f"Weight={bad}"))
        assert response.status == 400, bad
        assert response.json()["message"] == "Invalid Weight: must be an integer"


def test_origination_url_boundaries(tk: Any) -> None:
    low = make_ou(tk, weight=0, priority=0, friendly_name="f" * 64)
    high = make_ou(tk, weight=65535, priority=65535, friendly_name="")
    assert (low.weight, low.priority, len(low.friendly_name)) == (0, 0, 64)
    assert (high.weight, high.priority, high.friendly_name) == (65535, 65535, "")


# -- associations: credential lists and IP ACLs ----------------------------------------------

LISTS = [
    ("credentials_lists", "credential_list_sid", "seed_credential_list", "CL", "CredentialLists"),
    (
        "ip_access_control_lists",
        "ip_access_control_list_sid",
        "seed_ip_access_control_list",
        "AL",
        "IpAccessControlLists",
    ),
]


@pytest.mark.parametrize(("accessor", "arg", "seeder", "prefix", "segment"), LISTS)
def test_list_association_crud(
    fake: FakeTrunkingService,
    tk: Any,
    trunk_sid: str,
    accessor: str,
    arg: str,
    seeder: str,
    prefix: str,
    segment: str,
) -> None:
    sid = getattr(fake, seeder)(None, "Office list")
    assert re.fullmatch(prefix + r"[0-9a-f]{32}", sid)
    lists = getattr(tk, accessor)
    created = lists.create_with_http_info(**{arg: sid})
    assert created.status_code == 201
    body = fake.calls[-1].body
    assert set(body) == LIST_FIELDS
    assert body["sid"] == sid and body["trunk_sid"] == trunk_sid
    assert body["account_sid"] == fake.default_account_sid
    assert body["friendly_name"] == "Office list"  # the registry object's name
    assert body["url"] == f"https://trunking.twilio.com/v1/Trunks/{trunk_sid}/{segment}/{sid}"
    fetched = lists(sid).fetch_with_http_info()
    assert fetched.status_code == 200 and fake.calls[-1].body == body
    assert [x.sid for x in lists.list()] == [sid]

    err = rest_error(lists.create, **{arg: sid})  # twice
    assert (err.status, err.code) == (400, 21245)
    assert fake.calls[-1].body["message"] == (
        "Credential List or IP-ACL already associated with Trunk"
    )

    deleted = lists(sid).delete_with_http_info()
    assert (deleted.status_code, deleted.data) == (204, True)
    assert fake.calls[-1].response.body == b""
    assert lists.list() == []
    assert rest_error(lists(sid).fetch).status == 404
    assert rest_error(lists(sid).delete).status == 404
    assert lists.create(**{arg: sid}).sid == sid  # can be associated again


@pytest.mark.parametrize(("accessor", "arg", "seeder", "prefix", "segment"), LISTS)
def test_a_list_can_be_associated_with_several_trunks(
    fake: FakeTrunkingService,
    trunks: Any,
    accessor: str,
    arg: str,
    seeder: str,
    prefix: str,
    segment: str,
) -> None:
    sid = getattr(fake, seeder)()
    one, two = trunks.create().sid, trunks.create().sid
    for tk_sid in (one, two):
        assert getattr(trunks(tk_sid), accessor).create(**{arg: sid}).trunk_sid == tk_sid
    assert [x.sid for x in getattr(trunks(one), accessor).list()] == [sid]
    assert [x.sid for x in getattr(trunks(two), accessor).list()] == [sid]


ASSOCIATIONS = [
    ("credentials_lists", "credential_list_sid", "CredentialListSid", "CL"),
    ("ip_access_control_lists", "ip_access_control_list_sid", "IpAccessControlListSid", "AL"),
    ("phone_numbers", "phone_number_sid", "PhoneNumberSid", "PN"),
]


@pytest.mark.parametrize(("accessor", "arg", "wire", "prefix"), ASSOCIATIONS)
def test_association_sid_rules(
    fake: FakeTrunkingService,
    tk: Any,
    trunk_sid: str,
    accessor: str,
    arg: str,
    wire: str,
    prefix: str,
) -> None:
    lists = getattr(tk, accessor)
    before = fake.dump_state()
    wrong = "XX" if prefix != "CL" else "AL"
    for bad in (f"{prefix}123", f"{wrong}{'0' * 32}", f"{prefix}{'z' * 32}", f"{prefix}{'0' * 33}"):
        err = rest_error(lists.create, **{arg: bad})
        assert (err.status, err.code) == (400, 20001), bad
        assert fake.calls[-1].body["message"].startswith(f"Invalid {wire}: ")
    err = rest_error(lists.create, **{arg: None})
    assert (err.status, err.code) == (400, 20001)
    assert fake.calls[-1].body["message"] == f"Missing required parameter {wire} in the post body"

    unknown = f"{prefix}{'0' * 32}"
    err = rest_error(lists.create, **{arg: unknown})
    assert (err.status, err.code) == (404, 20404)
    segment = lists._uri.rsplit("/", 1)[1]
    assert fake.calls[-1].body["message"] == (
        f"The requested resource /Trunks/{trunk_sid}/{segment}/{unknown} was not found"
    )
    seeders = {
        "CL": fake.seed_credential_list,
        "AL": fake.seed_ip_access_control_list,
        "PN": fake.seed_phone_number,
    }
    before = fake.dump_state()
    foreign = seeders[prefix](OTHER)  # exists, but in another account
    before = fake.dump_state()
    err = rest_error(lists.create, **{arg: foreign})
    assert (err.status, err.code) == (404, 20404)
    assert fake.dump_state() == before
    # fetch/delete of something never associated, and a wrong-shaped SID in the path
    assert rest_error(lists(unknown).fetch).status == 404
    assert rest_error(lists(unknown).delete).status == 404
    err = rest_error(lists(f"{prefix}1").fetch)
    assert (err.status, err.code) == (404, 20404)


def test_association_of_a_wrong_shaped_sid_names_the_rule(
    fake: FakeTrunkingService, tk: Any
) -> None:
    rest_error(tk.credentials_lists.create, credential_list_sid="CL1")
    assert fake.calls[-1].body["message"] == (
        "Invalid CredentialListSid: must match ^CL[0-9a-fA-F]{32}$"
    )


# -- phone numbers -------------------------------------------------------------------------


def test_phone_number_association_body_comes_from_the_registry(
    fake: FakeTrunkingService, tk: Any, trunk_sid: str
) -> None:
    pn = fake.seed_phone_number(
        phone_number="+14158675309",
        friendly_name="Main line",
        voice_url="https://example.com/voice",
        voice_application_sid="AP" + "1" * 32,
        sms_application_sid="AP" + "2" * 32,
        address_requirements="local",
        capabilities={"voice": True, "sms": False, "mms": False, "fax": False},
        beta=True,
    )
    before = fake.dump_state()
    registry = {o["sid"]: o for o in before["accounts"][fake.default_account_sid]["registry"]["PN"]}
    obj = registry[pn]
    assert obj["voice_application_sid"] == "AP" + "1" * 32
    created = tk.phone_numbers.create_with_http_info(phone_number_sid=pn)
    assert created.status_code == 201
    body = fake.calls[-1].body
    for name in (
        "account_sid", "address_requirements", "api_version", "beta", "capabilities",
        "date_created", "friendly_name", "phone_number", "sid", "sms_application_sid",
        "sms_fallback_method", "sms_fallback_url", "sms_method", "sms_url", "status_callback",
        "status_callback_method", "voice_caller_id_lookup", "voice_fallback_method",
        "voice_fallback_url", "voice_method", "voice_url",
    ):  # fmt: skip
        assert body[name] == obj[name], name
    assert body["phone_number"] == "+14158675309"
    assert body["friendly_name"] == "Main line"
    assert body["address_requirements"] == "local"
    assert body["beta"] is True
    assert body["trunk_sid"] == trunk_sid
    assert body["voice_application_sid"] is None  # associating clears it
    assert body["url"] == f"https://trunking.twilio.com/v1/Trunks/{trunk_sid}/PhoneNumbers/{pn}"
    assert body["links"] == {
        "phone_number": "https://api.twilio.com/2010-04-01/Accounts/"
        f"{fake.default_account_sid}/IncomingPhoneNumbers/{pn}"
    }
    number = tk.phone_numbers(pn).fetch()
    assert (number.sid, number.phone_number, number.trunk_sid) == (pn, "+14158675309", trunk_sid)
    assert number.capabilities == {"voice": True, "sms": False, "mms": False, "fax": False}
    assert [p.sid for p in tk.phone_numbers.list()] == [pn]

    err = rest_error(tk.phone_numbers.create, phone_number_sid=pn)  # twice on the same trunk
    assert (err.status, err.code) == (400, 21245)
    assert fake.calls[-1].body["message"].startswith("Trunk Validation Error: ")

    deleted = tk.phone_numbers(pn).delete_with_http_info()
    assert (deleted.status_code, deleted.data) == (204, True)
    assert tk.phone_numbers.list() == []
    after = fake.dump_state()["accounts"][fake.default_account_sid]["registry"]["PN"]
    assert [o["trunk_sid"] for o in after if o["sid"] == pn] == [None]  # the number stays owned


def test_phone_number_moves_to_a_second_trunk(fake: FakeTrunkingService, trunks: Any) -> None:
    one, two = trunks.create().sid, trunks.create().sid
    pn = fake.seed_phone_number()
    trunks(one).phone_numbers.create(phone_number_sid=pn)
    moved = trunks(two).phone_numbers.create_with_http_info(phone_number_sid=pn)
    assert moved.status_code == 201
    assert moved.data.trunk_sid == two
    assert trunks(one).phone_numbers.list() == []
    assert [p.trunk_sid for p in trunks(two).phone_numbers.list()] == [two]
    assert rest_error(trunks(one).phone_numbers(pn).fetch).status == 404
    # and back again
    assert trunks(one).phone_numbers.create(phone_number_sid=pn).trunk_sid == one
    assert trunks(two).phone_numbers.list() == []


def test_seeded_phone_numbers_validate(fake: FakeTrunkingService) -> None:
    fake.seed_phone_number(phone_number="+15005550006")
    with pytest.raises(ValueError):
        fake.seed_phone_number(phone_number="+15005550006")  # one owner per number
    with pytest.raises(ValueError):
        fake.seed_phone_number(OTHER, phone_number="+15005550006")
    with pytest.raises(ValueError):
        fake.seed_phone_number(phone_number="4155550100")
    with pytest.raises(ValueError):
        fake.seed_phone_number(address_requirements="sometimes")
    with pytest.raises(TypeError):
        fake.seed_phone_number(colour="blue")


# -- auth_type / auth_type_set ---------------------------------------------------------------


@pytest.mark.parametrize("first", ["CL", "AL"])
def test_auth_type_follows_associations(fake: FakeTrunkingService, tk: Any, first: str) -> None:
    cl = fake.seed_credential_list()
    al = fake.seed_ip_access_control_list()

    def attach(kind: str) -> None:
        if kind == "CL":
            tk.credentials_lists.create(credential_list_sid=cl)
        else:
            tk.ip_access_control_lists.create(ip_access_control_list_sid=al)

    def detach(kind: str) -> None:
        if kind == "CL":
            tk.credentials_lists(cl).delete()
        else:
            tk.ip_access_control_lists(al).delete()

    def state() -> Any:
        trunk = tk.fetch()
        return trunk.auth_type, trunk.auth_type_set

    label = {"CL": "CREDENTIAL_LIST", "AL": "IP_ACL"}
    second = "AL" if first == "CL" else "CL"
    assert state() == ("", [])
    attach(first)
    assert state() == (label[first], [label[first]])
    attach(second)
    assert state() == ("CREDENTIAL_LIST,IP_ACL", ["CREDENTIAL_LIST", "IP_ACL"])
    detach(first)
    assert state() == (label[second], [label[second]])
    detach(second)
    assert state() == ("", [])


def test_auth_type_stays_while_any_list_of_a_kind_remains(
    fake: FakeTrunkingService, tk: Any
) -> None:
    a, b = fake.seed_credential_list(), fake.seed_credential_list()
    tk.credentials_lists.create(credential_list_sid=a)
    tk.credentials_lists.create(credential_list_sid=b)
    tk.credentials_lists(a).delete()
    assert tk.fetch().auth_type_set == ["CREDENTIAL_LIST"]
    # phone numbers and origination URLs do not count
    tk.credentials_lists(b).delete()
    tk.phone_numbers.create(phone_number_sid=fake.seed_phone_number())
    make_ou(tk)
    assert tk.fetch().auth_type == ""


def test_associations_do_not_touch_the_trunk_date_updated() -> None:
    clock = Clock()
    with FakeTrunkingService(seed=2, clock=clock) as fake:
        tk = fake.client().trunking.v1.trunks(fake.seed_trunks()[0])
        before = tk.fetch().date_updated
        clock.advance(days=1)
        tk.credentials_lists.create(credential_list_sid=fake.seed_credential_list())
        tk.recordings().update(mode="record-from-answer")
        assert tk.fetch().date_updated == before


# -- Recording -------------------------------------------------------------------------------

MODES = [
    "do-not-record",
    "record-from-ringing",
    "record-from-answer",
    "record-from-ringing-dual",
    "record-from-answer-dual",
]

TRIM_RULE = "Invalid Trim: must be one of trim-silence, do-not-trim"


def test_recording_fetch_default_and_update(fake: FakeTrunkingService, tk: Any) -> None:
    response = tk.recordings().fetch_with_http_info()
    assert response.status_code == 200
    assert fake.calls[-1].body == {"mode": "do-not-record", "trim": "do-not-trim"}
    assert (response.data.mode, response.data.trim) == ("do-not-record", "do-not-trim")
    assert tk.recordings.get().fetch().mode == "do-not-record"

    updated = tk.recordings().update_with_http_info(mode="record-from-answer", trim="trim-silence")
    assert updated.status_code == 200
    assert fake.calls[-1].body == {"mode": "record-from-answer", "trim": "trim-silence"}
    assert tk.fetch().recording == {"mode": "record-from-answer", "trim": "trim-silence"}

    # partial updates keep the other field, and the trunk mirrors every change
    assert tk.recordings().update(trim="do-not-trim").mode == "record-from-answer"
    assert tk.fetch().recording == {"mode": "record-from-answer", "trim": "do-not-trim"}
    assert tk.recordings().update(mode="do-not-record").trim == "do-not-trim"
    assert tk.fetch().recording == {"mode": "do-not-record", "trim": "do-not-trim"}
    assert tk.recordings().update().mode == "do-not-record"  # an empty update is fine


@pytest.mark.parametrize("mode", MODES)
def test_every_recording_mode(tk: Any, mode: str) -> None:
    assert tk.recordings().update(mode=mode).mode == mode
    assert tk.fetch().recording["mode"] == mode


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "Record-From-Answer-Twice"}, "Invalid Mode: must be one of " + ", ".join(MODES)),
        ({"mode": "always"}, "Invalid Mode: must be one of " + ", ".join(MODES)),
        ({"trim": "TRIM-SILENCE-NOW"}, TRIM_RULE),
        ({"mode": "record-from-answer", "trim": ""}, TRIM_RULE),
    ],
)  # fmt: skip
def test_recording_enums_are_validated(
    fake: FakeTrunkingService, tk: Any, kwargs: Dict[str, str], message: str
) -> None:
    before = fake.dump_state()
    err = rest_error(tk.recordings().update, **kwargs)
    assert (err.status, err.code) == (400, 20001)
    assert fake.calls[-1].body["message"] == message
    assert fake.dump_state() == before
    assert tk.fetch().recording == {"mode": "do-not-record", "trim": "do-not-trim"}


def test_recordings_are_per_trunk(trunks: Any) -> None:
    one, two = trunks.create().sid, trunks.create().sid
    trunks(one).recordings().update(mode="record-from-ringing")
    assert trunks(two).recordings().fetch().mode == "do-not-record"
    assert trunks(two).fetch().recording["mode"] == "do-not-record"


# -- cascade -------------------------------------------------------------------------------


def test_deleting_a_trunk_cascades(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(domain_name="cascade.pstn.twilio.com").sid
    tk = trunks(sid)
    ou = make_ou(tk).sid
    cl = fake.seed_credential_list()
    al = fake.seed_ip_access_control_list()
    pn = fake.seed_phone_number()
    tk.credentials_lists.create(credential_list_sid=cl)
    tk.ip_access_control_lists.create(ip_access_control_list_sid=al)
    tk.phone_numbers.create(phone_number_sid=pn)
    tk.recordings().update(mode="record-from-answer")

    assert tk.delete() is True
    for call in (
        tk.fetch,
        tk.origination_urls(ou).fetch,
        tk.origination_urls(ou).delete,
        tk.credentials_lists(cl).fetch,
        tk.ip_access_control_lists(al).fetch,
        tk.phone_numbers(pn).fetch,
        tk.recordings().fetch,
        tk.recordings().update,
    ):
        err = rest_error(call)
        assert (err.status, err.code) == (404, 20404)
    for make in (
        lambda: make_ou(tk),
        lambda: tk.credentials_lists.create(credential_list_sid=cl),
        lambda: tk.phone_numbers.create(phone_number_sid=pn),
    ):
        assert rest_error(make).status == 404
    for sub in (
        tk.origination_urls,
        tk.credentials_lists,
        tk.ip_access_control_lists,
        tk.phone_numbers,
    ):
        status, body = list_error(sub.list)
        assert (status, body["code"]) == (404, 20404)

    snapshot = fake.dump_state()["accounts"][fake.default_account_sid]
    assert snapshot["trunks"] == []
    for key in ("origination_urls", "credential_lists", "ip_access_control_lists", "phone_numbers"):
        assert snapshot[key] == {}
    assert [o["trunk_sid"] for o in snapshot["registry"]["PN"]] == [None]

    # the phone number, the lists and the domain are free for another trunk
    other = trunks.create(domain_name="cascade.pstn.twilio.com")
    assert trunks(other.sid).phone_numbers.create(phone_number_sid=pn).trunk_sid == other.sid
    assert trunks(other.sid).credentials_lists.create(credential_list_sid=cl).sid == cl
    assert trunks(other.sid).fetch().recording["mode"] == "do-not-record"


# -- account isolation -----------------------------------------------------------------------


def test_every_resource_is_isolated_per_account(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(domain_name="mine.pstn.twilio.com").sid
    tk = trunks(sid)
    ou = make_ou(tk).sid
    cl, al, pn = (
        fake.seed_credential_list(),
        fake.seed_ip_access_control_list(),
        fake.seed_phone_number(),
    )
    tk.credentials_lists.create(credential_list_sid=cl)
    tk.ip_access_control_lists.create(ip_access_control_list_sid=al)
    tk.phone_numbers.create(phone_number_sid=pn)
    before = fake.dump_state()

    theirs = fake.client(OTHER).trunking.v1.trunks
    assert theirs.list() == []
    other_tk = theirs(sid)
    for call in (
        other_tk.fetch,
        other_tk.update,
        other_tk.delete,
        other_tk.origination_urls(ou).fetch,
        other_tk.origination_urls(ou).update,
        other_tk.origination_urls(ou).delete,
        other_tk.credentials_lists(cl).fetch,
        other_tk.credentials_lists(cl).delete,
        other_tk.ip_access_control_lists(al).fetch,
        other_tk.ip_access_control_lists(al).delete,
        other_tk.phone_numbers(pn).fetch,
        other_tk.phone_numbers(pn).delete,
        other_tk.recordings().fetch,
        other_tk.recordings().update,
        lambda: make_ou(other_tk),
    ):
        err = rest_error(call)
        assert (err.status, err.code) == (404, 20404)
    for sub in (
        other_tk.origination_urls,
        other_tk.credentials_lists,
        other_tk.ip_access_control_lists,
        other_tk.phone_numbers,
    ):
        assert list_error(sub.list)[0] == 404
    # their own trunk cannot take our lists or numbers
    own = theirs.create().sid
    for make in (
        lambda: theirs(own).credentials_lists.create(credential_list_sid=cl),
        lambda: theirs(own).ip_access_control_lists.create(ip_access_control_list_sid=al),
        lambda: theirs(own).phone_numbers.create(phone_number_sid=pn),
    ):
        assert rest_error(make).status == 404
    theirs(own).delete()
    assert (
        fake.dump_state()["accounts"][fake.default_account_sid]
        == (before["accounts"][fake.default_account_sid])
    )
    assert [t.sid for t in trunks.list()] == [sid]


def test_sub_resource_urls_follow_the_request_host(fake: FakeTrunkingService) -> None:
    tk_sid = fake.seed_trunks()[0]
    response = raw(
        fake,
        "POST",
        f"/v1/Trunks/{tk_sid}/OriginationUrls",
        "Weight=1&Priority=1&Enabled=true&FriendlyName=a&SipUrl=sip%3Aa%40b.example",
        base="https://trunking.dublin.ie1.twilio.com",
    )
    assert response.status == 201
    assert response.json()["url"].startswith(
        f"https://trunking.dublin.ie1.twilio.com/v1/Trunks/{tk_sid}/OriginationUrls/OU"
    )
