"""Pages are assembled from cached, already-encoded items (issue 7). Every kind of write, through
the API or the Python API, must show in the next page: nothing stale is ever served."""

from __future__ import annotations

from typing import Any, Dict, List

from twilio.rest import Client

from fake_trunking import FakeTrunkingService


def _page(trunks: Any) -> List[Dict[str, Any]]:
    fields = ("friendly_name", "recording", "auth_type")
    return [{f: getattr(t, f) for f in fields} for t in trunks.page(page_size=50)]


def test_every_write_shows_in_the_next_page(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(friendly_name="before").sid
    assert _page(trunks)[0]["friendly_name"] == "before"

    trunks(sid).update(friendly_name="after")
    assert _page(trunks)[0]["friendly_name"] == "after"

    trunks(sid).recordings().update(mode="record-from-answer")
    assert _page(trunks)[0]["recording"]["mode"] == "record-from-answer"

    cl = fake.seed_credential_list()
    trunks(sid).credentials_lists.create(credential_list_sid=cl)
    assert _page(trunks)[0]["auth_type"] == "CREDENTIAL_LIST"
    trunks(sid).credentials_lists(cl).delete()
    assert _page(trunks)[0]["auth_type"] == ""

    fake.seed_trunks(count=1, friendly_name="seeded")
    assert [t["friendly_name"] for t in _page(trunks)] == ["after", "seeded"]

    snapshot = fake.dump_state()
    trunks(sid).delete()
    assert [t["friendly_name"] for t in _page(trunks)] == ["seeded"]
    fake.load_state(snapshot)
    assert [t["friendly_name"] for t in _page(trunks)] == ["after", "seeded"]

    fake.reset()
    assert _page(trunks) == []


def test_phone_number_pages_follow_moves(fake: FakeTrunkingService, trunks: Any) -> None:
    a, b = trunks.create().sid, trunks.create().sid
    pn = fake.seed_phone_number()
    trunks(a).phone_numbers.create(phone_number_sid=pn)
    assert [p.trunk_sid for p in trunks(a).phone_numbers.page()] == [a]
    trunks(b).phone_numbers.create(phone_number_sid=pn)
    assert list(trunks(a).phone_numbers.page()) == []
    assert [p.trunk_sid for p in trunks(b).phone_numbers.page()] == [b]


def test_the_same_item_on_two_hosts_keeps_its_own_urls(fake: FakeTrunkingService) -> None:
    plain = fake.client().trunking.v1.trunks
    sid = plain.create().sid
    edge = Client(fake.default_account_sid, "t", edge="sydney", region="au1").trunking.v1.trunks
    assert next(iter(plain.page())).url == f"https://trunking.twilio.com/v1/Trunks/{sid}"
    edge_url = next(iter(edge.page())).url
    assert edge_url == f"https://trunking.sydney.au1.twilio.com/v1/Trunks/{sid}"
    assert next(iter(plain.page())).url == f"https://trunking.twilio.com/v1/Trunks/{sid}"
