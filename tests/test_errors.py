"""Errors as data: unknown paths, unsupported methods, the order of checks, malformed bodies,
500/20500 for a bug inside the fake, and "a request that fails changes nothing"."""

from __future__ import annotations

import json
from typing import Any, Callable, List, Tuple

import pytest
from twilio.base.exceptions import TwilioException

from fake_trunking import FakeTrunkingService
from fake_trunking.apis.trunking_v1.association import PhoneNumber
from fake_trunking.apis.trunking_v1.origination_url import OriginationUrl
from fake_trunking.apis.trunking_v1.recording import Recording
from fake_trunking.handler import Handler

from .helpers import assert_error, basic, raw, rest_error

TK0 = "TK" + "0" * 32
SIP = "sip:a@b.example"


@pytest.fixture
def world(fake: FakeTrunkingService, trunks: Any) -> Tuple[str, str, str, str, str]:
    """A trunk with one of everything: ``(tk, ou, cl, al, pn)``."""
    tk_sid = trunks.create(domain_name="world.pstn.twilio.com").sid
    tk = trunks(tk_sid)
    ou = tk.origination_urls.create(
        weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:o@example.com"
    ).sid
    cl = tk.credentials_lists.create(credential_list_sid=fake.seed_credential_list()).sid
    al = tk.ip_access_control_lists.create(
        ip_access_control_list_sid=fake.seed_ip_access_control_list()
    ).sid
    pn = tk.phone_numbers.create(phone_number_sid=fake.seed_phone_number()).sid
    return tk_sid, ou, cl, al, pn


# -- 404 for unknown paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/Trunk",
        "/v1/trunks",
        "/v2/Trunks",
        "/v1/Trunks/",
        "/v1",
        "/",
        "/v1/Trunks/{tk}/",
        "/v1/Trunks/{tk}/Unknown",
        "/v1/Trunks/{tk}/originationurls",
        "/v1/Trunks/{tk}/OriginationUrls/{ou}/extra",
        "/v1/Trunks/{tk}/Recording/extra",
        "/v1/Trunks/{tk}/Recording/RE" + "0" * 32,
        "/v1/Trunks/{tk}/CredentialLists/{al}",  # an AL SID where a CL SID belongs
        "/v1/Trunks/{tk}/PhoneNumbers/{cl}",
        "/v1/Trunks/{ou}/OriginationUrls",  # an OU SID where the trunk SID belongs
    ],
)
def test_unknown_paths_are_404(fake: FakeTrunkingService, world: Any, path: str) -> None:
    tk, ou, cl, al, _pn = world
    concrete = path.format(tk=tk, ou=ou, cl=cl, al=al)
    response = raw(fake, "GET", concrete)
    shown = concrete[3:] if concrete.startswith("/v1/") else concrete
    assert_error(response, 404, 20404, f"The requested resource {shown} was not found")


def test_404_messages_name_the_sub_resource_path(fake: FakeTrunkingService, world: Any) -> None:
    tk, _ou, _cl, _al, _pn = world
    for segment, prefix in (
        ("OriginationUrls", "OU"),
        ("CredentialLists", "CL"),
        ("IpAccessControlLists", "AL"),
        ("PhoneNumbers", "PN"),
    ):
        sid = prefix + "f" * 32
        response = raw(fake, "GET", f"/v1/Trunks/{tk}/{segment}/{sid}")
        assert_error(
            response,
            404,
            20404,
            f"The requested resource /Trunks/{tk}/{segment}/{sid} was not found",
        )
        response = raw(fake, "GET", f"/v1/Trunks/{TK0}/{segment}")
        assert_error(
            response, 404, 20404, f"The requested resource /Trunks/{TK0}/{segment} was not found"
        )
    response = raw(fake, "POST", f"/v1/Trunks/{TK0}/Recording", "Mode=record-from-answer")
    assert_error(
        response, 404, 20404, f"The requested resource /Trunks/{TK0}/Recording was not found"
    )


# -- 405 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/Trunks/{tk}/OriginationUrls"),
        ("PUT", "/v1/Trunks/{tk}/OriginationUrls/{ou}"),
        ("PATCH", "/v1/Trunks/{tk}/OriginationUrls/{ou}"),
        ("POST", "/v1/Trunks/{tk}/CredentialLists/{cl}"),
        ("DELETE", "/v1/Trunks/{tk}/CredentialLists"),
        ("POST", "/v1/Trunks/{tk}/IpAccessControlLists/{al}"),
        ("PUT", "/v1/Trunks/{tk}/IpAccessControlLists"),
        ("POST", "/v1/Trunks/{tk}/PhoneNumbers/{pn}"),
        ("DELETE", "/v1/Trunks/{tk}/PhoneNumbers"),
        ("DELETE", "/v1/Trunks/{tk}/Recording"),
        ("PUT", "/v1/Trunks/{tk}/Recording"),
        ("HEAD", "/v1/Trunks"),
        ("OPTIONS", "/v1/Trunks/{tk}"),
    ],
)
def test_methods_not_allowed_are_405(
    fake: FakeTrunkingService, client: Any, world: Any, method: str, path: str
) -> None:
    tk, ou, cl, al, pn = world
    before = fake.dump_state()
    url = "https://trunking.twilio.com" + path.format(tk=tk, ou=ou, cl=cl, al=al, pn=pn)
    response = client.request(method, url, data={"Mode": "record-from-answer"})
    assert response.status_code == 405
    if method != "HEAD":
        assert_error(fake.calls[-1].response, 405, 20004, "Method not allowed")
    if method == "HEAD":
        assert response.text == ""  # HTTP: a HEAD response has no body
    else:
        assert json.loads(response.text)["code"] == 20004
    assert fake.dump_state() == before


def test_order_of_checks(fake: FakeTrunkingService, world: Any) -> None:
    # method before existence: a 405 even under a trunk that does not exist
    assert_error(raw(fake, "DELETE", f"/v1/Trunks/{TK0}/Recording"), 405, 20004)
    # existence before parameters: bad parameters to a missing trunk are a 404
    assert_error(raw(fake, "POST", f"/v1/Trunks/{TK0}", "FriendlyName=" + "x" * 99), 404, 20404)
    assert_error(raw(fake, "POST", f"/v1/Trunks/{TK0}/OriginationUrls", "Weight=abc"), 404, 20404)
    assert_error(raw(fake, "POST", f"/v1/Trunks/{TK0}/PhoneNumbers", ""), 404, 20404)
    # the first invalid parameter in declaration order is reported
    response = raw(fake, "POST", "/v1/Trunks", "Secure=maybe&FriendlyName=" + "x" * 65)
    assert_error(response, 400, 20001, "Invalid FriendlyName: must be at most 64 characters")


# -- malformed bodies -------------------------------------------------------------------------


def test_a_body_that_is_not_utf8_is_400(fake: FakeTrunkingService) -> None:
    before = fake.dump_state()
    response = fake.handle_url(
        "POST",
        "https://trunking.twilio.com/v1/Trunks",
        b"FriendlyName=\xff\xfe",
        {"Authorization": basic(fake.default_account_sid)},
    )
    assert_error(response, 400, 20001, "Invalid request body: not UTF-8")
    assert fake.dump_state() == before


def test_a_body_that_is_not_a_form_is_ignored(fake: FakeTrunkingService, world: Any) -> None:
    tk = world[0]
    response = fake.handle_url(
        "POST",
        f"https://trunking.twilio.com/v1/Trunks/{tk}/OriginationUrls",
        json.dumps({"Weight": 1}).encode(),
        {
            "Authorization": basic(fake.default_account_sid),
            "Content-Type": "application/json",
        },
    )
    assert_error(response, 400, 20001, "Missing required parameter Weight in the post body")


def test_repeated_parameters_first_value_wins(fake: FakeTrunkingService) -> None:
    response = raw(fake, "POST", "/v1/Trunks", "FriendlyName=first&FriendlyName=second")
    assert response.json()["friendly_name"] == "first"


# -- a failed request changes nothing ---------------------------------------------------------


def test_no_failing_request_changes_state(fake: FakeTrunkingService, world: Any) -> None:
    tk, ou, cl, al, pn = world
    other_tk = fake.client().trunking.v1.trunks.create(domain_name="other.pstn.twilio.com").sid
    fresh_pn = fake.seed_phone_number()
    failing: List[Tuple[str, str, str]] = [
        ("POST", "/v1/Trunks", "DomainName=world.pstn.twilio.com"),
        ("POST", "/v1/Trunks", "DomainName=bad_domain.pstn.twilio.com&FriendlyName=ok"),
        ("POST", f"/v1/Trunks/{tk}", "FriendlyName=new&DomainName=other.pstn.twilio.com"),
        ("POST", f"/v1/Trunks/{tk}", "FriendlyName=new&TransferMode=nope"),
        ("POST", f"/v1/Trunks/{tk}", "DomainName=&DisasterRecoveryUrl=nope"),
        ("POST", f"/v1/Trunks/{tk}/OriginationUrls", "Weight=1&Priority=1&Enabled=true"),
        ("POST", f"/v1/Trunks/{tk}/OriginationUrls/{ou}", "Weight=5&SipUrl=sips:x@y.z"),
        ("POST", f"/v1/Trunks/{tk}/CredentialLists", f"CredentialListSid={cl}"),
        ("POST", f"/v1/Trunks/{tk}/IpAccessControlLists", f"IpAccessControlListSid={al}"),
        ("POST", f"/v1/Trunks/{tk}/PhoneNumbers", f"PhoneNumberSid={pn}"),
        ("POST", f"/v1/Trunks/{tk}/PhoneNumbers", "PhoneNumberSid=PN" + "0" * 32),
        ("POST", f"/v1/Trunks/{other_tk}/PhoneNumbers", "PhoneNumberSid=PNxyz"),
        ("POST", f"/v1/Trunks/{tk}/Recording", "Mode=record-from-answer&Trim=nope"),
        ("DELETE", f"/v1/Trunks/{tk}/PhoneNumbers/{fresh_pn}", ""),
        ("DELETE", f"/v1/Trunks/{tk}/OriginationUrls/OU" + "0" * 32, ""),
        ("DELETE", f"/v1/Trunks/{TK0}", ""),
        ("GET", "/v1/Trunks?Page=2", ""),
        ("GET", "/v1/Trunks?PageToken=PAxyz", ""),
    ]
    before = fake.dump_state()
    for method, path, body in failing:
        response = raw(fake, method, path, body)
        assert 400 <= response.status < 500, (method, path, response.json())
        assert fake.dump_state() == before, (method, path)


# -- 500/20500: a bug inside the fake is an error body, never an exception --------------------


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("target", "attribute", "call"),
    [
        (OriginationUrl, "create", lambda tk, pn: tk.origination_urls.create(1, 1, True, "a", SIP)),
        (Recording, "update", lambda tk, pn: tk.recordings().update(mode="record-from-answer")),
        (Recording, "get", lambda tk, pn: tk.recordings().fetch()),
        (PhoneNumber, "render", lambda tk, pn: tk.phone_numbers.create(phone_number_sid=pn)),
    ],
)  # fmt: skip
def test_500_for_bugs_in_any_resource(
    fake: FakeTrunkingService,
    trunks: Any,
    monkeypatch: pytest.MonkeyPatch,
    target: Any,
    attribute: str,
    call: Callable[[Any, str], Any],
) -> None:
    tk = trunks(trunks.create().sid)
    pn = fake.seed_phone_number()
    monkeypatch.setattr(target, attribute, _boom)
    err = rest_error(call, tk, pn)
    assert (err.status, err.code) == (500, 20500)
    assert_error(fake.calls[-1].response, 500, 20500, "Internal Server Error: boom")


def test_500_on_a_list_surfaces_as_twilio_exception(
    fake: FakeTrunkingService, trunks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Handler, "list_page", _boom)
    with pytest.raises(TwilioException) as info:
        trunks.list()
    assert info.value.args[1].status_code == 500
    assert json.loads(info.value.args[1].text)["code"] == 20500


def test_500_message_for_an_exception_without_text(
    fake: FakeTrunkingService, trunks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bare(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError()

    monkeypatch.setattr(Recording, "get", bare)
    tk = trunks(trunks.create().sid)
    rest_error(tk.recordings().fetch)
    assert fake.calls[-1].body["message"] == "Internal Server Error: KeyError"


def test_error_bodies_never_use_the_rfc9457_shape(fake: FakeTrunkingService, world: Any) -> None:
    for method, path in (("GET", "/nope"), ("DELETE", "/v1/Trunks"), ("POST", "/v1/Trunks?x")):
        body = raw(fake, method, path, "Secure=x").json()
        assert not {"type", "title"} & set(body)
        assert set(body) == {"code", "message", "more_info", "status"}
