"""Concurrency through server mode (issue 8, part 4): many clients, each on its own connection,
against one ``FakeTrunkingServer``. Every request crosses real sockets and the server's
thread-per-connection model before it reaches the store's lock.

In-process thread tests are in ``test_threads.py``; these are the same promises over HTTP: no lost
write, no duplicate SID, exactly one winner in a race for a DomainName or a phone number, and page
walks (following ``next_page_url``) that never repeat or skip a resource that existed throughout.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple

import pytest
import requests

from fake_trunking import FakeTrunkingServer, client_for

from .helpers import outcome, run_together

THREADS = 8
TOKEN = "server-concurrency-token"
ACCOUNTS = [f"AC{n:032x}" for n in range(1, THREADS + 1)]


@pytest.fixture
def server() -> Iterator[FakeTrunkingServer]:
    credentials = {account: TOKEN for account in ACCOUNTS}
    with FakeTrunkingServer(
        seed=81, credentials=credentials, max_trunks_per_account=None
    ) as running:
        yield running


def client(server: FakeTrunkingServer, account: str = ACCOUNTS[0]) -> Any:
    """A fresh twilio client (its own HTTP session and connection) on the server."""
    return client_for(server.base_url, account, TOKEN)


def test_concurrent_partial_updates_of_one_trunk_lose_no_write(server: FakeTrunkingServer) -> None:
    """Eight clients each own one field of the same trunk and update it 15 times at once: every
    field ends with its owner's last value (a partial update never rewrites another field)."""
    sid = client(server).trunking.v1.trunks.create(friendly_name="shared").sid
    fields: List[Tuple[str, Callable[[int], Any]]] = [
        ("friendly_name", lambda j: f"name-{j}"),
        ("domain_name", lambda j: f"lost-write-{j}.pstn.twilio.com"),
        ("disaster_recovery_url", lambda j: f"https://dr.example.com/{j}"),
        ("disaster_recovery_method", lambda j: "GET" if j % 2 else "POST"),
        ("transfer_mode", lambda j: ["disable-all", "enable-all", "sip-only"][j % 3]),
        ("secure", lambda j: j % 2 == 0),
        ("cnam_lookup_enabled", lambda j: j % 2 == 1),
        ("transfer_caller_id", lambda j: "from-transferor" if j % 2 else "from-transferee"),
    ]
    rounds = 15

    def work(i: int) -> Any:
        name, value = fields[i]
        trunk = client(server).trunking.v1.trunks(sid)
        last = None
        for j in range(rounds):
            last = trunk.update(**{name: value(j)})
            assert getattr(last, name) == value(j)
        return last

    run_together(len(fields), work)
    final = client(server).trunking.v1.trunks(sid).fetch()
    for name, value in fields:
        assert getattr(final, name) == value(rounds - 1), name
    stored = server.fake.trunks(ACCOUNTS[0])
    assert len(stored) == 1 and stored[0]["friendly_name"] == f"name-{rounds - 1}"


def test_many_clients_create_without_duplicate_sids_or_lost_creates(
    server: FakeTrunkingServer,
) -> None:
    shared = client(server).trunking.v1.trunks.create(friendly_name="parent").sid
    per_thread = 12

    def work(i: int) -> Dict[str, List[str]]:
        account = ACCOUNTS[i]
        mine = client(server, account).trunking.v1.trunks
        parent = client(server).trunking.v1.trunks(shared).origination_urls
        trunks, ous = [], []
        for j in range(per_thread):
            trunks.append(mine.create(friendly_name=f"{i}-{j}").sid)
            ous.append(
                parent.create(
                    weight=i, priority=j, enabled=True, friendly_name=f"{i}-{j}", sip_url="sip:a@b"
                ).sid
            )
        return {"trunks": trunks, "ous": ous}

    results = run_together(THREADS, work)
    trunk_sids = [s for r in results for s in r["trunks"]]
    ou_sids = [s for r in results for s in r["ous"]]
    assert len(set(trunk_sids)) == len(trunk_sids) == THREADS * per_thread
    assert len(set(ou_sids)) == len(ou_sids) == THREADS * per_thread
    for i, account in enumerate(ACCOUNTS):
        listed = [t.sid for t in client(server, account).trunking.v1.trunks.list(page_size=5)]
        expected = results[i]["trunks"] + ([shared] if account == ACCOUNTS[0] else [])
        assert sorted(listed) == sorted(expected)  # each account sees exactly its own
    listed_ous = client(server).trunking.v1.trunks(shared).origination_urls.list(page_size=7)
    assert sorted(o.sid for o in listed_ous) == sorted(ou_sids)
    assert {c.status for c in server.fake.calls} <= {200, 201}


def test_exactly_one_client_wins_a_domain_name(server: FakeTrunkingServer) -> None:
    """Clients of different accounts race for one DomainName (domains are global), on create
    and on update: one 201/200, every other answer 400/21248, and one trunk holds it."""
    for round_ in range(6):
        domain = f"server-race-{round_}.pstn.twilio.com"

        def create(i: int, domain: str = domain) -> Any:
            trunks = client(server, ACCOUNTS[i]).trunking.v1.trunks
            return outcome(lambda: trunks.create(domain_name=domain))

        results = run_together(THREADS, create)
        assert len([sid for sid, _ in results if sid]) == 1, results
        assert sorted(code for _, code in results if code) == [21248] * (THREADS - 1)

    targets = [client(server, a).trunking.v1.trunks.create().sid for a in ACCOUNTS]

    def update(i: int) -> Any:
        trunk = client(server, ACCOUNTS[i]).trunking.v1.trunks(targets[i])
        return outcome(lambda: trunk.update(domain_name="Prize.pstn.twilio.com"))

    results = run_together(THREADS, update)
    assert len([sid for sid, _ in results if sid]) == 1
    assert sorted(code for _, code in results if code) == [21248] * (THREADS - 1)
    holders = [
        t["sid"]
        for account in ACCOUNTS
        for t in server.fake.trunks(account)
        if (t["domain_name"] or "").lower() == "prize.pstn.twilio.com"
    ]
    assert len(holders) == 1


def test_exactly_one_client_wins_a_phone_number(server: FakeTrunkingServer) -> None:
    account = ACCOUNTS[0]
    tk = client(server).trunking.v1.trunks.create(friendly_name="numbers").sid
    others = [client(server).trunking.v1.trunks.create().sid for _ in range(THREADS)]
    for _ in range(4):
        pn = server.fake.seed_phone_number(account)

        # the same number onto the same trunk: one 201, the rest 400/21245
        def same(i: int, pn: str = pn) -> Any:
            numbers = client(server).trunking.v1.trunks(tk).phone_numbers
            return outcome(lambda: numbers.create(phone_number_sid=pn))

        results = run_together(THREADS, same)
        assert [sid for sid, _ in results if sid] == [pn]
        assert sorted(code for _, code in results if code) == [21245] * (THREADS - 1)

        # the same number onto eight trunks at once: it ends on exactly one of them
        def move(i: int, pn: str = pn) -> Any:
            numbers = client(server).trunking.v1.trunks(others[i]).phone_numbers
            return outcome(lambda: numbers.create(phone_number_sid=pn))

        run_together(THREADS, move)
        trunks = client(server).trunking.v1.trunks
        holders = [
            t for t in [tk, *others] if pn in {p.sid for p in trunks(t).phone_numbers.list()}
        ]
        assert len(holders) == 1
        assert trunks(holders[0]).phone_numbers(pn).fetch().trunk_sid == holders[0]


def test_exactly_one_client_seeds_an_e164_number(server: FakeTrunkingServer) -> None:
    """A phone number has one owner: racing admin seeds of one E.164 number (from different
    accounts) give one 201 and 400/20001 for every other, and one PN holds the number."""
    url = f"{server.base_url}/__fake__/seed/phone_numbers"
    for n in range(4):
        number = f"+1415555{n:04d}"

        def seed(i: int, number: str = number) -> int:
            body = {"account_sid": ACCOUNTS[i], "phone_number": number}
            with requests.Session() as http:
                answer = http.post(url, json=body, timeout=30)
            if answer.status_code != 201:
                assert answer.json()["code"] == 20001
            return answer.status_code

        statuses = run_together(THREADS, seed)
        assert sorted(statuses) == [201] + [400] * (THREADS - 1)
        owners = [
            obj
            for entry in server.fake.dump_state()["accounts"].values()
            for obj in entry["registry"]["PN"]
            if obj["phone_number"] == number
        ]
        assert len(owners) == 1


def _walk(trunks: Any, page_size: int) -> List[str]:
    """One walk over every page, following ``next_page_url`` as the twilio client does."""
    page = trunks.page(page_size=page_size)
    sids: List[str] = []
    while page is not None:
        sids.extend(t.sid for t in page)
        page = page.next_page()
    return sids


@pytest.mark.parametrize("page_size", [3, 7])
def test_page_walks_concurrent_with_creates_and_deletes(
    server: FakeTrunkingServer, page_size: int
) -> None:
    """Walkers page through the trunks while writers create and delete others: a walk never
    serves a trunk twice, and serves every trunk that existed from its start to its end."""
    trunks = client(server).trunking.v1.trunks
    stable = [trunks.create(friendly_name=f"stable-{i}").sid for i in range(40)]
    doomed = [trunks.create(friendly_name=f"doomed-{i}").sid for i in range(40)]
    created: List[str] = []
    created_lock = threading.Lock()
    stop = threading.Event()
    walks: List[List[str]] = []

    def writer(i: int) -> None:
        mine = client(server).trunking.v1.trunks
        for j in range(10):
            sid = mine.create(friendly_name=f"new-{i}-{j}").sid
            with created_lock:
                created.append(sid)
            mine(doomed[i * 10 + j]).delete()

    def walker(_i: int) -> None:
        mine = client(server).trunking.v1.trunks
        while not stop.is_set():
            walks.append(_walk(mine, page_size))

    with ThreadPoolExecutor(max_workers=6) as pool:
        walking = [pool.submit(walker, i) for i in range(2)]
        writing = [pool.submit(writer, i) for i in range(4)]
        for future in writing:
            future.result(timeout=60)
        stop.set()
        for future in walking:
            future.result(timeout=60)
        walks.append(_walk(client(server).trunking.v1.trunks, page_size))

    everything: Set[str] = set(stable) | set(doomed) | set(created)
    assert len(walks) >= 2
    for sids in walks:
        assert len(sids) == len(set(sids)), "a walk served a trunk twice"
        assert set(stable) <= set(sids), "a walk skipped a trunk that existed throughout"
        assert set(sids) <= everything
    final = walks[-1]  # after the dust settles: creation order, nothing lost
    assert final[: len(stable)] == stable and set(final) == set(stable) | set(created)
    assert all(call.status in (200, 201, 204) for call in server.fake.calls)


def test_a_walk_with_concurrent_writes_between_every_page(server: FakeTrunkingServer) -> None:
    """The same promise with the interleaving forced: between the pages of one walk, four clients
    at once each create a trunk or delete one (served already or not yet)."""
    trunks = client(server).trunking.v1.trunks
    stable = [trunks.create(friendly_name=f"stable-{i}").sid for i in range(30)]
    doomed = [trunks.create(friendly_name=f"doomed-{i}").sid for i in range(30)]
    order = [sid for pair in zip(stable, doomed) for sid in pair]  # interleave the two kinds
    server.fake.load_state(_reordered(server, order))
    page = trunks.page(page_size=4)
    served: List[str] = []
    round_ = 0
    while page is not None:
        served.extend(t.sid for t in page)

        def write(i: int, round_: int = round_) -> None:
            mine = client(server).trunking.v1.trunks
            if i % 2:
                mine.create(friendly_name=f"new-{round_}-{i}")
            else:  # every other doomed trunk, spread over the walk: behind it and ahead of it
                mine(doomed[(round_ * 4 + i) % len(doomed)]).delete()

        if round_ < 7:
            run_together(4, write)
        round_ += 1
        assert round_ < 100, "the walk does not end"
        page = page.next_page()
    assert round_ >= 10
    assert len(served) == len(set(served))
    assert set(stable) <= set(served)


def _reordered(server: FakeTrunkingServer, order: List[str]) -> Dict[str, Any]:
    """The server's state with the default account's trunks in ``order``."""
    snapshot = server.fake.dump_state()
    entry = snapshot["accounts"][ACCOUNTS[0]]
    by_sid = {t["sid"]: t for t in entry["trunks"]}
    entry["trunks"] = [by_sid[sid] for sid in order]
    return snapshot
