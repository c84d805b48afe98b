"""The direct transport serves API v2010 too (issue 15, "everywhere Trunking is"; issue 17).

A v2010 provisioning scenario through a user-built ``Client`` on ``transport="direct"`` sends
nothing through ``requests`` (and, async, nothing through aiohttp), and everything a user can
observe of it is the same as on ``transport="http"``: the client's last request and response,
``TwilioRestException``, ``fake.calls`` (passwords redacted), a saved cassette, the log lines.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List
from unittest import mock

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking.intercept import twilio_client

FIXED = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
PASSWORD = "Acme-Trunk-2026"


@pytest.fixture(autouse=True)
def _default_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests choose their transport themselves, whatever the run forces."""
    monkeypatch.delenv(twilio_client.TRANSPORT_ENV, raising=False)


@pytest.fixture
def sends() -> Iterator[List[str]]:
    """Every request ``requests`` prepares (the full path), by URL."""
    seen: List[str] = []
    original = requests.Session.prepare_request

    def spy(session: Any, request: Any) -> Any:
        seen.append(str(request.url))
        return original(session, request)

    with mock.patch.object(requests.Session, "prepare_request", spy):
        yield seen


def _observe(transport: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    caplog.clear()
    level = caplog.at_level(logging.INFO, logger="twilio.http_client")
    with level, FakeTrunkingService(seed=7, transport=transport, clock=lambda: FIXED) as fake:
        client = Client(fake.default_account_sid, fake.auth_token())
        http = client.http_client
        lists = client.sip.credential_lists
        made = [lists.create(friendly_name=f"list {i}") for i in range(3)]
        out["created"] = (
            http._test_only_last_request.__dict__,
            http._test_only_last_response.status_code,
            http._test_only_last_response.text,
            dict(http._test_only_last_response.headers),
        )
        lists(made[0].sid).credentials.create(username="pbx", password=PASSWORD)
        with pytest.raises(TwilioRestException) as raised:
            lists(made[0].sid).credentials.create(username="weak", password="short")
        out["400"] = raised.value.__dict__
        out["listed"] = [c.sid for c in lists.list(page_size=1)]  # three v2010 pages
        found = client.available_phone_numbers("US").local.list(area_code=415, limit=2)
        number = client.incoming_phone_numbers.create(phone_number=found[0].phone_number)
        out["number"] = (number.sid, number.phone_number, number.date_created)
        with pytest.raises(TwilioRestException) as raised:
            lists("CL" + "0" * 32).fetch()
        out["404"] = raised.value.__dict__
        client.incoming_phone_numbers(number.sid).delete()
        out["calls"] = [(c.request, c.response) for c in fake.calls]
        path = fake.save_cassette(tmp_path / f"{transport}.yaml")
        out["cassette"] = re.sub(r"recorded_at: .*", "", path.read_text(encoding="utf-8"))
    out["log"] = [r.getMessage() for r in caplog.records if r.name == "twilio.http_client"]
    return out


def test_v2010_is_answered_directly_and_looks_the_same(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sends: List[str]
) -> None:
    direct = _observe("direct", tmp_path, caplog)
    assert sends == []  # the direct run sent nothing through requests
    http = _observe("http", tmp_path, caplog)
    assert len(sends) == len(http["calls"]) and all("api.twilio.com" in u for u in sends)
    for key in direct:
        assert direct[key] == http[key], key
    assert direct["400"]["status"] == 400 and direct["404"]["status"] == 404
    assert len(direct["listed"]) == 3
    assert PASSWORD not in direct["cassette"] and PASSWORD not in repr(direct["calls"])
    assert direct["log"] and "-- BEGIN Twilio API Request --" in direct["log"]


def test_async_v2010_is_answered_directly() -> None:
    from fake_trunking.intercept import aiohttp_mock

    seen: List[str] = []
    original = aiohttp_mock.respond

    async def spy(target: Any, request: Any, url: Any, kwargs: Any) -> Any:
        seen.append(str(url))
        return await original(target, request, url, kwargs)

    async def scenario(fake: FakeTrunkingService) -> List[str]:
        client = fake.async_client()
        try:
            lists = client.sip.credential_lists
            made = [await lists.create_async(friendly_name=f"l{i}") for i in range(3)]
            listed = [c.sid async for c in await lists.stream_async(page_size=2)]
            assert listed == [c.sid for c in made]
            return listed
        finally:
            await client.http_client.close()

    with mock.patch.object(aiohttp_mock, "respond", spy):
        with FakeTrunkingService(seed=3, transport="direct") as fake:
            direct = asyncio.run(scenario(fake))
        assert seen == []  # nothing went through aiohttp
        with FakeTrunkingService(seed=3, transport="http") as fake:
            full = asyncio.run(scenario(fake))
        assert seen and all("api.twilio.com" in u for u in seen)
    assert direct == full
