"""The Faker provider: Twilio-shaped values that pass the fake's own rules, and reproducibility of
every SID and Faker value under ``FakeTrunkingService(seed=N)``."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
from faker import Faker

from fake_trunking import FakeTrunkingService
from fake_trunking.apis.trunking_v1.origination_url import OriginationUrl
from fake_trunking.apis.trunking_v1.trunk import check_domain
from fake_trunking.core.faker_provider import TwilioProvider, make_faker

from .helpers import Clock

E164_US = re.compile(r"\+1[2-9][0-8][0-9][2-9][0-9]{6}\Z")
SIP_PARAM = next(p for p in OriginationUrl.params if p.name == "SipUrl")


@pytest.fixture
def faker() -> Faker:
    return make_faker(2024)


@pytest.mark.parametrize("prefix", ["TK", "OU", "CL", "AL", "PN", "AC", "SK"])
def test_sids_by_prefix(faker: Faker, prefix: str) -> None:
    sids = {faker.twilio_sid(prefix) for _ in range(200)}
    assert len(sids) == 200
    assert all(re.fullmatch(prefix + r"[0-9a-f]{32}", s) for s in sids)


@pytest.mark.parametrize("prefix", ["tk", "T", "TKX", "T1", ""])
def test_bad_sid_prefix(faker: Faker, prefix: str) -> None:
    with pytest.raises(ValueError):
        faker.twilio_sid(prefix)


def test_account_sid(faker: Faker) -> None:
    assert re.fullmatch(r"AC[0-9a-f]{32}", faker.account_sid())


def test_domain_names_pass_the_fakes_domain_rule(faker: Faker) -> None:
    domains = [faker.trunk_domain_name() for _ in range(500)]
    for domain in domains:
        check_domain(domain)  # raises 21245 otherwise
        assert domain.endswith(".pstn.twilio.com")
    assert len(set(domains)) == 500


def test_sip_urls_pass_the_origination_url_rule(faker: Faker) -> None:
    for _ in range(200):
        url = faker.sip_url()
        assert url.startswith("sip:") and not url.startswith("sips:")
        assert SIP_PARAM.parse(url) == url


def test_e164_numbers_and_their_friendly_form(faker: Faker) -> None:
    for _ in range(300):
        number = faker.e164_number()
        assert E164_US.match(number), number
        friendly = faker.number_friendly_name(number)
        assert friendly == f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    assert faker.number_friendly_name("+442071838750") == "+442071838750"
    with pytest.raises(ValueError):
        faker.e164_number(country="GB")


def test_names_fit_the_64_character_limit(faker: Faker) -> None:
    for _ in range(200):
        assert 0 < len(faker.trunk_friendly_name()) <= 64
        assert 0 < len(faker.list_friendly_name("CL")) <= 64
        assert 0 < len(faker.list_friendly_name("AL")) <= 64


def test_the_provider_in_a_plain_faker_is_reproducible() -> None:
    def values(seed: int) -> List[str]:
        fake = Faker()
        fake.add_provider(TwilioProvider)
        fake.seed_instance(seed)
        return [fake.twilio_sid("TK"), fake.trunk_domain_name(), fake.sip_url(), fake.e164_number()]

    assert values(7) == values(7)
    assert values(7) != values(8)


# -- seed reproducibility of the service ------------------------------------------------------


def _scenario(seed: int) -> Dict[str, Any]:
    """The same operations on a fresh seeded fake; everything it minted or made up."""
    clock = Clock()
    with FakeTrunkingService(seed=seed, clock=clock) as fake:
        trunks = fake.client().trunking.v1.trunks
        made = [trunks.create(friendly_name="http").sid]
        made += fake.seed_trunks(count=3)
        tk = trunks(made[0])
        made.append(
            tk.origination_urls.create(
                weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:o@x.example"
            ).sid
        )
        made.append(fake.seed_credential_list())
        made.append(fake.seed_ip_access_control_list())
        made.append(fake.seed_phone_number())
        tk.phone_numbers.create(phone_number_sid=made[-1])
        tk.credentials_lists.create(credential_list_sid=made[-3])
        made.append(trunks.create().sid)
        return {
            "account": fake.default_account_sid,
            "sids": made,
            "state": fake.dump_state(),
            "request_ids": [c.response.headers["Twilio-Request-Id"] for c in fake.calls],
        }


def test_same_seed_same_sids_and_faker_values() -> None:
    one, two = _scenario(99), _scenario(99)
    assert one == two
    trunks = one["state"]["accounts"][one["account"]]["trunks"]
    assert all(t["friendly_name"] and t["domain_name"] for t in trunks[1:4])  # Faker-made
    numbers = one["state"]["accounts"][one["account"]]["registry"]["PN"]
    assert E164_US.match(numbers[0]["phone_number"])


def test_another_seed_differs() -> None:
    one, two = _scenario(99), _scenario(100)
    assert one["account"] != two["account"]
    assert not set(one["sids"]) & set(two["sids"])


def test_without_a_seed_values_differ() -> None:
    a, b = FakeTrunkingService(), FakeTrunkingService()
    assert a.default_account_sid != b.default_account_sid
    assert a.seed_trunks() != b.seed_trunks()


def test_reset_starts_over_from_the_seed() -> None:
    fake = FakeTrunkingService(seed=5)
    first = [*fake.seed_trunks(count=3), fake.seed_phone_number()]
    names = [
        t["friendly_name"]
        for t in fake.dump_state()["accounts"][fake.default_account_sid]["trunks"]
    ]
    fake.reset()
    assert fake.dump_state()["accounts"] == {}
    again = [*fake.seed_trunks(count=3), fake.seed_phone_number()]
    assert again == first
    assert [
        t["friendly_name"]
        for t in fake.dump_state()["accounts"][fake.default_account_sid]["trunks"]
    ] == names


# -- seed_trunks and the registry seeders -----------------------------------------------------


def test_seed_trunks_in_bulk() -> None:
    with FakeTrunkingService(seed=3, max_trunks_per_account=None) as fake:
        sids = fake.seed_trunks(count=2000)
        assert len(set(sids)) == 2000
        state = fake.dump_state()["accounts"][fake.default_account_sid]["trunks"]
        assert [t["sid"] for t in state] == sids
        domains = [t["domain_name"] for t in state]
        assert len({d.lower() for d in domains}) == 2000
        for domain in domains[:200]:
            check_domain(domain)
        trunks = fake.client().trunking.v1.trunks
        page = trunks.page(page_size=1000)
        assert [t.sid for t in page] == sids[:1000]
        assert [t.sid for t in page.next_page()] == sids[1000:]
        # a seeded trunk is an ordinary trunk
        assert trunks(sids[-1]).update(friendly_name="renamed").friendly_name == "renamed"


def test_seed_trunks_with_fields() -> None:
    fake = FakeTrunkingService(seed=4)
    sids = fake.seed_trunks(count=2, friendly_name="PBX", secure=True, transfer_mode="sip-only")
    state = fake.dump_state()["accounts"][fake.default_account_sid]["trunks"]
    assert [(t["friendly_name"], t["secure"], t["transfer_mode"]) for t in state] == [
        ("PBX", True, "sip-only")
    ] * 2
    assert [t["sid"] for t in state] == sids
    [one] = fake.seed_trunks(domain_name="given.pstn.twilio.com")
    assert fake.dump_state()["accounts"][fake.default_account_sid]["trunks"][-1]["domain_name"] == (
        "given.pstn.twilio.com"
    )
    assert one.startswith("TK")


def test_seed_trunks_refuses_bad_input() -> None:
    from fake_trunking import TwilioError

    fake = FakeTrunkingService(seed=4)
    fake.seed_trunks(domain_name="taken.pstn.twilio.com")
    before = fake.dump_state()
    with pytest.raises(ValueError):
        fake.seed_trunks(count=2, domain_name="two.pstn.twilio.com")
    with pytest.raises(ValueError):
        fake.seed_trunks(count=-1)
    with pytest.raises(ValueError):
        fake.seed_trunks("not-an-account")
    with pytest.raises(TypeError):
        fake.seed_trunks(colour="red")
    with pytest.raises(TwilioError) as info:
        fake.seed_trunks(transfer_mode="sometimes")
    assert info.value.code == 20001
    with pytest.raises(TwilioError) as info:
        fake.seed_trunks(domain_name="taken.pstn.twilio.com")
    assert info.value.code == 21248
    with pytest.raises(TwilioError) as info:
        fake.seed_trunks(domain_name="bad_domain.pstn.twilio.com")
    assert info.value.code == 21245
    with pytest.raises(TwilioError) as info:
        fake.seed_trunks("AC" + "5" * 32, count=101)
    assert info.value.code == 21244
    assert fake.dump_state() == before
    assert fake.seed_trunks(count=0) == []


def test_registry_seeders_make_faker_values(fake: FakeTrunkingService) -> None:
    cl = fake.seed_credential_list()
    al = fake.seed_ip_access_control_list()
    pn = fake.seed_phone_number()
    registry = fake.dump_state()["accounts"][fake.default_account_sid]["registry"]
    [cl_obj], [al_obj], [pn_obj] = registry["CL"], registry["AL"], registry["PN"]
    assert (cl_obj["sid"], al_obj["sid"], pn_obj["sid"]) == (cl, al, pn)
    assert cl_obj["friendly_name"] and al_obj["friendly_name"]
    assert E164_US.match(pn_obj["phone_number"])
    number = pn_obj["phone_number"]
    assert pn_obj["friendly_name"] == f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    assert pn_obj["address_requirements"] in ("none", "any", "local", "foreign")
    assert set(pn_obj["capabilities"]) == {"voice", "sms", "mms", "fax"}
    assert pn_obj["api_version"] == "2010-04-01"
    assert pn_obj["trunk_sid"] is None
    numbers = {fake.seed_phone_number() for _ in range(300)}
    phone_numbers = {
        o["phone_number"]
        for o in fake.dump_state()["accounts"][fake.default_account_sid]["registry"]["PN"]
    }
    assert len(numbers) == 300 and len(phone_numbers) == 301  # every number has one owner
