"""Any number of fakes, started and stopped in any order (issue 13, point 1).

The interception is one process-wide stack: installed when the first fake starts, removed when the
last one stops; a request is answered by the most recently started fake still started; a stopped
fake never answers; while any fake is started, other hosts stay refused. The real twilio client
(sync and async) drives every check, under a guard that refuses any non-loopback lookup.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any, Iterator, List

import aiohttp
import pytest
import requests
import responses

from fake_trunking import FakeTrunkingService, mock_trunking

from .helpers import run_together
from .intercept_helpers import TRUNKS, no_network, patch_points, unpatched

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
def guard() -> Iterator[List[Any]]:
    assert unpatched(), "a test before this one left the interception installed"
    with no_network() as attempts:
        yield attempts
    assert attempts == [] or all(a[0] == "getaddrinfo" for a in attempts)


def create(fake: FakeTrunkingService, name: str) -> None:
    fake.client().trunking.v1.trunks.create(friendly_name=name)


def names(fake: FakeTrunkingService) -> List[str]:
    return [c.body["friendly_name"] for c in fake.calls if c.method == "POST"]


def refused_elsewhere() -> None:
    with pytest.raises(requests.exceptions.ConnectionError, match=r"api\.example\.com"):
        requests.get("https://api.example.com/x", timeout=2)


def test_the_most_recently_started_answers_then_the_one_before(guard: List[Any]) -> None:
    a = FakeTrunkingService(seed=1).start()
    b = FakeTrunkingService(seed=2).start()
    create(a, "from a's client")  # a's client: the same URL, so the most recent (b) answers
    assert names(b) == ["from a's client"] and a.calls == []
    b.stop()
    create(a, "after b stopped")
    assert names(a) == ["after b stopped"]
    refused_elsewhere()
    a.stop()
    assert unpatched()


def test_stopping_the_first_started_first_leaves_the_second_in_charge(guard: List[Any]) -> None:
    a = FakeTrunkingService(seed=1).start()
    b = FakeTrunkingService(seed=2).start()
    a.stop()
    assert b.active and not a.active
    create(a, "a is stopped")  # answered by b, in process: no lookup, no connection
    assert names(b) == ["a is stopped"] and a.calls == []
    refused_elsewhere()  # other hosts are still refused while b is started
    b.stop()
    assert unpatched()
    # nothing answers any more: the request goes to the real transport (refused by the guard)
    with pytest.raises(requests.exceptions.ConnectionError):
        create(a, "nobody")
    assert a.calls == [] and names(b) == ["a is stopped"]
    assert guard == [("getaddrinfo", "trunking.twilio.com")]
    guard.clear()


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_fakes_stopped_in_every_order(guard: List[Any], order: Any) -> None:
    before = patch_points()
    fakes = [FakeTrunkingService(seed=n).start() for n in range(3)]
    started = [0, 1, 2]
    for step, index in enumerate(order):
        fakes[index].stop()
        started.remove(index)
        if started:
            create(fakes[0], f"step {step}")
            assert names(fakes[started[-1]])[-1] == f"step {step}"
            refused_elsewhere()
    assert unpatched() and patch_points() == before
    assert sum(len(f.calls) for f in fakes) == 2  # one request per step with a fake started


def test_async_clients_follow_the_same_stack(guard: List[Any]) -> None:
    async def create_async(fake: FakeTrunkingService, name: str) -> None:
        client = fake.async_client()
        try:
            await client.trunking.v1.trunks.create_async(friendly_name=name)
        finally:
            await client.http_client.close()

    a = FakeTrunkingService(seed=1).start()
    b = FakeTrunkingService(seed=2).start()
    asyncio.run(create_async(a, "to b"))
    a.stop()
    asyncio.run(create_async(a, "still b"))
    assert names(b) == ["to b", "still b"] and a.calls == []
    b.stop()
    assert unpatched()


def test_a_stopped_fake_never_answers_even_under_a_later_fake(guard: List[Any]) -> None:
    a = FakeTrunkingService(seed=1).start()
    a.stop()
    with FakeTrunkingService(seed=2) as b:
        create(a, "b's")
    assert a.calls == [] and names(b) == ["b's"]
    assert unpatched()


def test_a_users_responses_mock_outliving_the_fake(guard: List[Any]) -> None:
    """Out of order with a user's mock: theirs started inside ours and stopped after it."""
    fake = FakeTrunkingService().start()
    theirs = responses.RequestsMock(assert_all_requests_are_fired=False)
    theirs.start()
    theirs.get("https://api.example.com/x", json={"mine": True})
    create(fake, "under theirs")
    fake.stop()  # ours is under theirs: it stays as a plain pass-through
    assert requests.get("https://api.example.com/x").json() == {"mine": True}
    with pytest.raises(requests.exceptions.ConnectionError, match="Responses"):
        requests.get(TRUNKS)  # theirs refuses it: the stopped fake does not answer
    theirs.stop(allow_assert=False)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(TRUNKS, timeout=2)  # the first request takes our pass-through out
    assert unpatched() and names(fake) == ["under theirs"]
    guard.clear()


def test_a_users_aioresponses_outliving_the_fake(guard: List[Any]) -> None:
    from aioresponses import aioresponses

    from fake_trunking.intercept.aiohttp_mock import _RESPONSE_CLASS

    async def get(url: str) -> Any:
        async with aiohttp.ClientSession() as session:
            response = await session.get(url)
            return await response.json()

    fake = FakeTrunkingService().start()
    theirs = aioresponses()
    theirs.start()
    theirs.get("https://api.example.com/x", payload={"mine": True}, response_class=_RESPONSE_CLASS)
    fake.stop()  # ours is under theirs: it stays as a plain pass-through
    assert asyncio.run(get("https://api.example.com/x")) == {"mine": True}
    theirs.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(get("https://api.example.com/y"))  # takes our pass-through out
    assert unpatched() and fake.calls == []
    guard.clear()


def test_mock_trunking_contexts_in_any_order(guard: List[Any]) -> None:
    first, second = mock_trunking(seed=1), mock_trunking(seed=2)
    a, b = first.start(), second.start()
    first.stop()
    create(b, "b")
    second.stop()
    assert unpatched() and names(b) == ["b"] and a.calls == []


def test_start_and_stop_from_many_threads(guard: List[Any]) -> None:
    """Threads start and stop their own fakes in any interleaving; every request in between is
    answered by a started fake, and after the last stop ``requests`` is unpatched."""
    failures: List[BaseException] = []
    lock = threading.Lock()
    fakes: List[FakeTrunkingService] = []

    def work(i: int) -> int:
        served = 0
        for round_ in range(15):
            fake = FakeTrunkingService(seed=i * 100 + round_)
            with lock:
                fakes.append(fake)
            fake.start()
            try:
                create(fake, f"{i}/{round_}")
                served += 1
            except BaseException as exc:  # collected: asserted below
                failures.append(exc)
            finally:
                fake.stop()
        return served

    served = run_together(6, work)
    assert failures == [] and served == [15] * 6
    assert sum(len(f.calls) for f in fakes) == 90  # each request served exactly once
    assert unpatched()
