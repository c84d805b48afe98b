"""Issue 12, item 8: deleted SIDs are not remembered forever.

A collection remembers a deleted item's position (a tombstone, about 150 bytes) so that a page
token naming it still works: the page's last item may be deleted before the client asks for the
next page. It used to keep every tombstone forever, so creating and deleting items grew memory
without bound. Now it keeps the most recent ``TOMBSTONES`` (at least; more while it holds more
live items, never more than twice that) and forgets the oldest: a walk survives that many deletes
between two of its pages, and paging stays exact.
"""

from __future__ import annotations

import base64
import tracemalloc
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode, urlsplit

from fake_trunking import FakeTrunkingService
from fake_trunking.core.collection import Collection
from fake_trunking.core.messages import Request

TOMBSTONES = 1000  # docs/decisions.md "Pages": deletes a walk survives between two pages


def _client(fake: FakeTrunkingService) -> Any:
    """Requests straight to the transport-neutral handler: thousands of them, so without the
    request log and the suite's per-response spec check (the answers are checked here)."""
    sid = fake.default_account_sid
    auth = "Basic " + base64.b64encode(f"{sid}:{fake.auth_token(sid)}".encode()).decode()

    def send(method: str, path: str, form: Optional[Dict[str, str]] = None, query: str = "") -> Any:
        headers = {"authorization": auth, "content-type": "application/x-www-form-urlencoded"}
        body = urlencode(form or {}).encode()
        response = fake.handler.handle(
            Request(method, path, query=query, body=body, headers=headers)
        )
        return response.status, response.json()

    return send


OU_FORM = {
    "Weight": "1",
    "Priority": "1",
    "Enabled": "true",
    "FriendlyName": "o",
    "SipUrl": "sip:a@b",
}


def _churn(send: Any, path: str, cycles: int) -> None:
    """Create an item and delete it; now and then, serve it as a page's anchor first."""
    for i in range(cycles):
        status, made = send("POST", path, OU_FORM)
        assert status == 201, made
        if i % 10 == 0:  # a token names it
            status, page = send("GET", path, query="PageSize=1")
            assert status == 200 and page["meta"]["next_page_url"] is not None
        status, _ = send("DELETE", f"{path}/{made['sid']}")
        assert status == 204


def test_create_and_delete_churn_does_not_grow_memory_through_the_api() -> None:
    with FakeTrunkingService(seed=3) as fake:
        tk = fake.seed_trunks()[0]
        send = _client(fake)
        path = f"/v1/Trunks/{tk}/OriginationUrls"
        status, _ = send("POST", path, OU_FORM)  # one item stays: every page has a next link
        assert status == 201
        tracemalloc.start()
        try:
            _churn(send, path, 2 * TOMBSTONES + 100)  # past the bound: steady state
            settled = tracemalloc.get_traced_memory()[0]
            _churn(send, path, 2000)
            grown = tracemalloc.get_traced_memory()[0] - settled
        finally:
            tracemalloc.stop()
        # 2,000 tombstones kept forever were ~260 KB; the bound keeps the growth to noise
        assert grown < 100_000, f"{grown} bytes retained by 2,000 creates and deletes"
        assert len(send("GET", path)[1]["origination_urls"]) == 1


def test_a_collection_retains_a_bounded_number_of_deleted_sids() -> None:
    items = Collection()
    tracemalloc.start()
    try:
        for i in range(50_000):
            sid = f"OU{i:032x}"
            items.add(sid, {"sid": sid})
            items.remove(sid)
            if i == 10_000:
                settled = tracemalloc.get_traced_memory()[0]
        grown = tracemalloc.get_traced_memory()[0] - settled
    finally:
        tracemalloc.stop()
    assert grown < 200_000, f"40,000 deletes retained {grown} bytes"  # was ~6 MB
    assert len(items) == 0 and list(items) == []


def _walk_ids(page: Dict[str, Any], key: str) -> List[str]:
    return [r["sid"] for r in page[key]]


def _next(page: Dict[str, Any]) -> Optional[str]:
    url = page["meta"]["next_page_url"]
    return None if url is None else urlsplit(url).query


def test_a_token_survives_many_deletes_between_two_pages() -> None:
    with FakeTrunkingService(seed=4) as fake:
        tk = fake.seed_trunks()[0]
        send = _client(fake)
        path = f"/v1/Trunks/{tk}/OriginationUrls"
        keep = [send("POST", path, OU_FORM)[1]["sid"] for _ in range(6)]
        doomed = [send("POST", path, OU_FORM)[1]["sid"] for _ in range(TOMBSTONES)]
        tail = [send("POST", path, OU_FORM)[1]["sid"] for _ in range(3)]
        status, page = send("GET", path, query="PageSize=3")
        assert _walk_ids(page, "origination_urls") == keep[:3]
        query = _next(page)
        assert query is not None and f"PA{keep[2]}" in query
        send("DELETE", f"{path}/{keep[2]}")  # the token's anchor goes first ...
        for sid in doomed[: TOMBSTONES - 1]:  # ... then as many deletes as the bound promises
            send("DELETE", f"{path}/{sid}")
        served = list(keep[:3])
        while query is not None:
            status, page = send("GET", path, query=query)
            assert status == 200, page
            served.extend(_walk_ids(page, "origination_urls"))
            query = _next(page)
        assert served == keep[:3] + keep[3:] + doomed[TOMBSTONES - 1 :] + tail


def test_a_token_whose_anchor_was_forgotten_is_21481_like_any_unknown_token() -> None:
    with FakeTrunkingService(seed=5) as fake:
        tk = fake.seed_trunks()[0]
        send = _client(fake)
        path = f"/v1/Trunks/{tk}/OriginationUrls"
        first = [send("POST", path, OU_FORM)[1]["sid"] for _ in range(2)]
        _, page = send("GET", path, query="PageSize=1")
        query = _next(page)
        assert query is not None
        send("DELETE", f"{path}/{first[0]}")
        assert send("GET", path, query=query)[0] == 200  # remembered
        for _ in range(2 * TOMBSTONES + 1):  # far more deletes than the bound keeps
            sid = send("POST", path, OU_FORM)[1]["sid"]
            send("DELETE", f"{path}/{sid}")
        status, body = send("GET", path, query=query)
        assert (status, body["code"], body["message"]) == (400, 21481, "Invalid PageToken")
        status, page = send("GET", path)  # the list itself is intact
        assert _walk_ids(page, "origination_urls") == first[1:]


def test_paging_stays_exact_under_churn_with_few_live_items() -> None:
    """Many more deletes than live items (the bound is then ``TOMBSTONES``): every walk that
    runs while items come and go serves each survivor once, in order."""
    with FakeTrunkingService(seed=6) as fake:
        tk = fake.seed_trunks()[0]
        send = _client(fake)
        path = f"/v1/Trunks/{tk}/OriginationUrls"
        live = [send("POST", path, OU_FORM)[1]["sid"] for _ in range(8)]
        for round_ in range(10):
            throughout = set(live)
            served: List[str] = []
            query: Optional[str] = "PageSize=2"
            step = 0
            while query is not None:
                status, page = send("GET", path, query=query)
                assert status == 200, page
                ids = _walk_ids(page, "origination_urls")
                served.extend(ids)
                query = _next(page)
                step += 1
                if ids and step % 2:
                    victim = ids[-1]  # the next token's anchor goes ...
                    send("DELETE", f"{path}/{victim}")
                    live.remove(victim)
                    throughout.discard(victim)
                else:  # ... or a new item comes (the list keeps its size)
                    live.append(send("POST", path, OU_FORM)[1]["sid"])
                for _ in range(40):  # churn: create and delete, far past the live count
                    sid = send("POST", path, OU_FORM)[1]["sid"]
                    send("DELETE", f"{path}/{sid}")
            assert len(served) == len(set(served)), f"round {round_}: served twice"
            assert throughout <= set(served), f"round {round_}: skipped a survivor"
            order = [s for s in served if s in throughout]
            assert order == [s for s in live if s in throughout], f"round {round_}: order"
