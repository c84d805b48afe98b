"""Thread safety: many threads driving the fake through twilio clients at once never lose a
write, never mint a duplicate SID, and exactly one of them wins every race."""

from __future__ import annotations

from typing import Any, Dict, List

from fake_trunking import FakeTrunkingService

from .helpers import outcome, run_together

THREADS = 8


def test_concurrent_crud_loses_nothing() -> None:
    per_thread = 25
    with FakeTrunkingService(seed=11, max_trunks_per_account=None) as fake:
        shared = fake.client().trunking.v1.trunks.create(friendly_name="shared").sid
        cls = [fake.seed_credential_list() for _ in range(THREADS * 3)]

        def work(i: int) -> Dict[str, Any]:
            trunks = fake.client().trunking.v1.trunks  # one client per thread
            mine: List[str] = []
            for j in range(per_thread):
                sid = trunks.create(friendly_name=f"t{i}-{j}").sid
                trunks(sid).update(friendly_name=f"t{i}-{j}-v2", secure=j % 2 == 0)
                mine.append(sid)
            deleted = mine[::5]
            for sid in deleted:
                trunks(sid).delete()
            ous = [
                trunks(shared)
                .origination_urls.create(
                    weight=i,
                    priority=j,
                    enabled=True,
                    friendly_name=f"{i}-{j}",
                    sip_url="sip:a@b.c",
                )
                .sid
                for j in range(10)
            ]
            for cl in cls[i * 3 : i * 3 + 3]:
                trunks(shared).credentials_lists.create(credential_list_sid=cl)
            listed = [t.sid for t in trunks.list(page_size=7)]  # walks while others write
            return {"mine": mine, "deleted": deleted, "ous": ous, "listed": listed}

        results = run_together(THREADS, work)
        trunks = fake.client().trunking.v1.trunks
        created = [sid for r in results for sid in r["mine"]]
        assert len(created) == len(set(created)) == THREADS * per_thread  # no duplicate SID
        gone = {sid for r in results for sid in r["deleted"]}
        final = {t.sid: t for t in trunks.list(page_size=1000)}
        assert set(final) == (set(created) - gone) | {shared}
        for i, r in enumerate(results):
            for j, sid in enumerate(r["mine"]):
                if sid in gone:
                    continue
                assert final[sid].friendly_name == f"t{i}-{j}-v2"  # no lost update
                assert final[sid].secure is (j % 2 == 0)
            assert len(r["listed"]) == len(set(r["listed"]))  # a concurrent walk never repeats
        ous = [sid for r in results for sid in r["ous"]]
        listed_ous = [o.sid for o in trunks(shared).origination_urls.list()]
        assert sorted(listed_ous) == sorted(ous) and len(set(ous)) == THREADS * 10
        assert sorted(c.sid for c in trunks(shared).credentials_lists.list()) == sorted(cls)
        assert len(fake.calls) > THREADS * (per_thread * 2 + 15)


def test_exactly_one_wins_a_domain_name() -> None:
    with FakeTrunkingService(seed=12, max_trunks_per_account=None) as fake:
        for round_ in range(15):
            domain = f"race-{round_}.pstn.twilio.com"

            def work(i: int, domain: str = domain) -> Any:
                account = f"AC{i:032x}"  # the race spans accounts: domains are global
                trunks = fake.client(account).trunking.v1.trunks
                return outcome(lambda: trunks.create(domain_name=domain))

            results = run_together(THREADS, work)
            winners = [sid for sid, _ in results if sid]
            assert len(winners) == 1, results
            assert sorted(code for _, code in results if code) == [21248] * (THREADS - 1)


def test_exactly_one_wins_a_domain_name_on_update() -> None:
    with FakeTrunkingService(seed=13) as fake:
        trunks = fake.client().trunking.v1.trunks
        sids = [trunks.create().sid for _ in range(THREADS)]
        results = run_together(
            THREADS,
            lambda i: outcome(lambda: trunks(sids[i]).update(domain_name="prize.pstn.twilio.com")),
        )
        assert len([s for s, _ in results if s]) == 1
        holders = [t.sid for t in trunks.list() if t.domain_name == "prize.pstn.twilio.com"]
        assert len(holders) == 1


def test_exactly_one_wins_a_phone_number_on_one_trunk() -> None:
    with FakeTrunkingService(seed=14) as fake:
        tk = fake.seed_trunks()[0]
        for _ in range(10):
            pn = fake.seed_phone_number()

            def work(i: int, pn: str = pn) -> Any:
                numbers = fake.client().trunking.v1.trunks(tk).phone_numbers
                return outcome(lambda: numbers.create(phone_number_sid=pn))

            results = run_together(THREADS, work)
            assert [s for s, _ in results if s] == [pn]
            assert sorted(c for _, c in results if c) == [21245] * (THREADS - 1)


def test_a_phone_number_raced_by_many_trunks_ends_on_exactly_one() -> None:
    with FakeTrunkingService(seed=15) as fake:
        tks = fake.seed_trunks(count=THREADS)
        trunks = fake.client().trunking.v1.trunks
        for _ in range(5):
            pn = fake.seed_phone_number()
            run_together(
                THREADS,
                lambda i, pn=pn: trunks(tks[i]).phone_numbers.create(phone_number_sid=pn),
            )
            holders = [tk for tk in tks if pn in {p.sid for p in trunks(tk).phone_numbers.list()}]
            assert len(holders) == 1
            assert trunks(holders[0]).phone_numbers(pn).fetch().trunk_sid == holders[0]


def test_exactly_one_wins_a_list_association() -> None:
    with FakeTrunkingService(seed=16) as fake:
        tk = fake.seed_trunks()[0]
        al = fake.seed_ip_access_control_list()
        acls = fake.client().trunking.v1.trunks(tk).ip_access_control_lists
        results = run_together(
            THREADS, lambda i: outcome(lambda: acls.create(ip_access_control_list_sid=al))
        )
        assert [s for s, _ in results if s] == [al]
        assert [a.sid for a in acls.list()] == [al]


def test_the_trunk_limit_holds_under_concurrency() -> None:
    with FakeTrunkingService(seed=17, max_trunks_per_account=10) as fake:
        trunks = fake.client().trunking.v1.trunks

        def work(i: int) -> List[Any]:
            return [outcome(trunks.create) for _ in range(3)]

        results = [r for batch in run_together(THREADS, work) for r in batch]
        assert len([s for s, _ in results if s]) == 10
        assert [c for _, c in results if c] == [21244] * (THREADS * 3 - 10)
        assert len(trunks.list()) == 10


def test_seeding_and_requests_interleave_safely() -> None:
    with FakeTrunkingService(seed=18, max_trunks_per_account=None) as fake:

        def work(i: int) -> List[str]:
            if i % 2:
                return fake.seed_trunks(count=50)
            trunks = fake.client().trunking.v1.trunks
            return [trunks.create().sid for _ in range(20)]

        sids = [s for batch in run_together(THREADS, work) for s in batch]
        assert len(sids) == len(set(sids)) == 4 * 50 + 4 * 20
        state = fake.dump_state()["accounts"][fake.default_account_sid]
        domains = [t["domain_name"] for t in state["trunks"] if t["domain_name"]]
        assert len(domains) == len({d.lower() for d in domains}) == 200
