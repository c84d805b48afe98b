"""Issue 17: a page is kept, encoded, until the next write (``Handler.list_page``), and the call
log scans for secrets only the answers that can hold one (``Response.holds_secrets``). Neither
may ever serve a stale, foreign or unredacted answer."""

from __future__ import annotations

import contextlib
import json

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking.core.messages import Request, Response
from fake_trunking.core.redact import REDACTED
from fake_trunking.handler import PAGE_CACHE_SIZE

OTHER = "AC" + "b" * 32


def test_a_warm_page_is_the_same_bytes_object_and_a_write_makes_a_new_one() -> None:
    with FakeTrunkingService(seed=3) as fake:
        fake.seed_trunks(count=3)
        trunks = fake.client().trunking.v1.trunks
        trunks.page(page_size=2)
        trunks.page(page_size=2)
        first, second = (c.response.body for c in fake.calls)
        assert first is second  # served from the cache, not rendered again
        trunks.create(friendly_name="new")
        trunks.page(page_size=2)
        trunks.page(page_size=4)
        after_write, other_size = fake.calls[-2].response.body, fake.calls[-1].response.body
    assert after_write is not first
    assert len(json.loads(other_size)["trunks"]) == 4  # the query is part of the key
    assert [t["friendly_name"] for t in json.loads(other_size)["trunks"]][-1] == "new"


def test_two_accounts_never_share_a_page() -> None:
    with FakeTrunkingService(seed=4) as fake:
        fake.seed_trunks(count=2, friendly_name="mine")
        fake.seed_trunks(count=1, friendly_name="theirs", account_sid=OTHER)
        mine = fake.client().trunking.v1.trunks
        theirs = Client(OTHER, "t").trunking.v1.trunks
        assert [t.friendly_name for t in mine.page()] == ["mine", "mine"]
        assert [t.friendly_name for t in theirs.page()] == ["theirs"]
        assert [t.friendly_name for t in mine.page()] == ["mine", "mine"]
        # the same for an API v2010 list
        fake.seed_credential_list(friendly_name="mine")
        lists = fake.client().sip.credential_lists
        assert [c.friendly_name for c in lists.page()] == ["mine"]
        assert list(Client(OTHER, "t").sip.credential_lists.page()) == []


def test_a_refused_caller_never_gets_a_kept_page() -> None:
    with FakeTrunkingService(seed=5, credentials={OTHER: "right"}) as fake:
        fake.seed_trunks(count=1)
        url = "https://trunking.twilio.com/v1/Trunks"
        from fake_trunking.core.auth import basic_header

        sid = fake.default_account_sid
        good = fake.handle_url("GET", url, headers={"Authorization": basic_header(sid, "right")})
        bad = fake.handle_url("GET", url, headers={"Authorization": basic_header(sid, "wrong")})
    assert good.status == 200 and len(json.loads(good.body)["trunks"]) == 1
    assert bad.status == 401 and b"trunks" not in bad.body


def test_many_page_shapes_stay_correct_past_the_cache_bound() -> None:
    with FakeTrunkingService(seed=6) as fake:
        fake.seed_trunks(count=5)
        trunks = fake.client().trunking.v1.trunks
        expected = [t.sid for t in trunks.page(page_size=5)]
        for _round in range(2):
            for size in range(1, PAGE_CACHE_SIZE + 20):
                if size % 37 == 0 or size < 6:
                    assert [t.sid for t in trunks.page(page_size=size)] == expected[:size]
                else:  # fill the cache with other shapes (the URL differs by its query)
                    fake.handle_url(
                        "GET",
                        f"https://trunking.twilio.com/v1/Trunks?PageSize={size}",
                        headers={"Authorization": _auth(fake)},
                    )
        assert fake.handler._pages_bytes <= 16 << 20


def _auth(fake: FakeTrunkingService) -> str:
    from fake_trunking.core.auth import basic_header

    return basic_header(fake.default_account_sid, fake.auth_token())


def test_only_answers_that_can_hold_a_secret_are_scanned_and_those_are_redacted() -> None:
    with FakeTrunkingService(seed=7) as fake:
        client = fake.client()
        key = client.new_keys.create(friendly_name="k")
        assert key.secret and key.secret != REDACTED  # the client gets the secret, once
        client.api.accounts(fake.default_account_sid).fetch()
        client.trunking.v1.trunks.create(friendly_name="t")
        created_key, account, trunk = fake.calls[-3:]
    assert json.loads(created_key.response.body)["secret"] == REDACTED
    assert json.loads(account.response.body)["auth_token"] == REDACTED
    assert created_key.response.holds_secrets and account.response.holds_secrets
    assert trunk.response.holds_secrets is False


def test_an_answer_the_handler_did_not_make_is_scanned() -> None:
    """A response from elsewhere (cassette replay, a user's own ``handle`` wrapper) carries
    ``holds_secrets=None``: the log scans it, whatever its path."""
    from fake_trunking.core.calllog import CallLog
    from fake_trunking.core.messages import Call

    log = CallLog()
    body = json.dumps({"sid": "TK" + "0" * 32, "secret": "s3cr3t-value"}).encode()
    log.append(Call(Request("GET", "/v1/Trunks"), Response(200, {}, body), 0.0))
    assert b"s3cr3t-value" not in log[0].response.body


def test_items_kept_across_writes_are_never_stale() -> None:
    """Every kind of change to a trunk (its fields, its recording, its associations, its host)
    shows in the next page; a page of a fake that kept items equals one rendered from scratch."""
    import random

    rng = random.Random(11)
    with FakeTrunkingService(seed=8) as fake:
        client = fake.client()
        trunks = client.trunking.v1.trunks
        sids = [t.sid for t in (trunks.create(friendly_name=f"t{k}") for k in range(6))]
        lists = [fake.seed_credential_list() for _ in range(2)]
        acls = [fake.seed_ip_access_control_list() for _ in range(2)]
        edge = Client(fake.default_account_sid, fake.auth_token(), edge="sydney")
        for step in range(60):
            sid = rng.choice(sids)
            action = rng.randrange(6)
            if action == 0:
                trunks(sid).update(friendly_name=f"n{step}", secure=rng.random() < 0.5)
            elif action == 1:
                trunks(sid).recordings().update(
                    mode=rng.choice(["do-not-record", "record-from-ringing"])
                )
            elif action == 2:
                with contextlib.suppress(TwilioRestException):  # already associated: 400
                    trunks(sid).credentials_lists.create(credential_list_sid=rng.choice(lists))
            elif action == 3:
                for cl in trunks(sid).credentials_lists.list():
                    trunks(sid).credentials_lists(cl.sid).delete()
            elif action == 4:
                with contextlib.suppress(TwilioRestException):
                    trunks(sid).ip_access_control_lists.create(
                        ip_access_control_list_sid=rng.choice(acls)
                    )
            else:
                trunks(sid).update(cnam_lookup_enabled=rng.random() < 0.5)
            for view in (trunks, edge.trunking.v1.trunks):
                view.page(page_size=4)
                kept = fake.calls[-1].response.body
                fresh = FakeTrunkingService(seed=8)
                fresh.load_state(fake.dump_state())
                with fresh:
                    client_of_fresh = (
                        fresh.client()
                        if view is trunks
                        else Client(fresh.default_account_sid, fresh.auth_token(), edge="sydney")
                    )
                    client_of_fresh.trunking.v1.trunks.page(page_size=4)
                    assert fresh.calls[-1].response.body == kept, step
