"""Model-based test (issue 8, part 2): random sequences of creates, updates, deletes, associations
and page walks against the fake and against a tiny reference model; every answer and every list
must agree with the model."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode, urlsplit

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from fake_trunking import FakeTrunkingService

ACCOUNT = "AC" + "2" * 32
AUTH = {"authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:t".encode()).decode()}
DOMAINS = [None, "a.pstn.twilio.com", "b.pstn.twilio.com", "c.pstn.twilio.com"]


class TrunkingModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeTrunkingService(seed=11, max_trunks_per_account=6)
        self.numbers = [self.fake.seed_phone_number(ACCOUNT) for _ in range(3)]
        self.lists = [self.fake.seed_credential_list(ACCOUNT) for _ in range(2)]
        # the reference model
        self.trunks: Dict[str, Dict[str, Any]] = {}  # sid -> fields, in creation order
        self.ous: Dict[str, List[str]] = {}  # trunk -> OU sids in order
        self.pn_on: Dict[str, Optional[str]] = {pn: None for pn in self.numbers}
        self.pn_order: Dict[str, List[str]] = {}  # trunk -> PN sids in association order
        self.cls: Dict[str, List[str]] = {}
        self.rank: Dict[Any, int] = {}  # (trunk, sid) -> order of its first association

    def place(self, items: List[str], tk: str, sid: str) -> None:
        """Add an association: one made again goes back to its first position (docs/decisions.md
        "Pages": a walk never serves it twice)."""
        self.rank.setdefault((tk, sid), len(self.rank))
        items.append(sid)
        items.sort(key=lambda s: self.rank[(tk, s)])

    # -- plumbing --------------------------------------------------------------------------
    def call(self, method: str, path: str, **form: Any) -> Any:
        body = urlencode(form).encode()
        headers = dict(AUTH, **{"content-type": "application/x-www-form-urlencoded"})
        response = self.fake.handle_url(
            method, "https://trunking.twilio.com" + path, body=body, headers=headers
        )
        payload = json.loads(response.body) if response.body else None
        return response.status, payload

    def walk(self, path: str, size: int) -> List[str]:
        sids: List[str] = []
        url: Optional[str] = f"https://trunking.twilio.com{path}?PageSize={size}"
        while url:
            parts = urlsplit(url)
            response = self.fake.handle_url("GET", url, headers=AUTH)
            assert response.status == 200, response.body
            page = json.loads(response.body)
            key = page["meta"]["key"]
            assert len(page[key]) <= size
            sids += [item["sid"] for item in page[key]]
            url = page["meta"]["next_page_url"]
            assert url is None or urlsplit(url).path == parts.path
        return sids

    def domain_owner(self, domain: Optional[str]) -> Optional[str]:
        for sid, fields in self.trunks.items():
            if domain is not None and fields["domain_name"] == domain:
                return sid
        return None

    # -- rules -------------------------------------------------------------------------------
    @rule(name=st.text(max_size=70), domain=st.sampled_from(DOMAINS))
    def create_trunk(self, name: str, domain: Optional[str]) -> None:
        form: Dict[str, Any] = {"FriendlyName": name}
        if domain:
            form["DomainName"] = domain
        status, body = self.call("POST", "/v1/Trunks", **form)
        if len(name) > 64:
            assert (status, body["code"]) == (400, 20001)
        elif len(self.trunks) >= 6:
            assert (status, body["code"]) == (400, 21244)
        elif self.domain_owner(domain):
            assert (status, body["code"]) == (400, 21248)
        else:
            assert status == 201, body
            assert body["friendly_name"] == name and body["domain_name"] == domain
            self.trunks[body["sid"]] = {"friendly_name": name, "domain_name": domain}

    @precondition(lambda self: self.trunks)
    @rule(data=st.data(), name=st.text(max_size=10), domain=st.sampled_from(DOMAINS[1:]))
    def update_trunk(self, data: Any, name: str, domain: str) -> None:
        sid = data.draw(st.sampled_from(sorted(self.trunks)))
        status, body = self.call("POST", f"/v1/Trunks/{sid}", FriendlyName=name, DomainName=domain)
        owner = self.domain_owner(domain)
        if owner not in (None, sid):
            assert (status, body["code"]) == (400, 21248)
        else:
            assert status == 200, body
            self.trunks[sid] = {"friendly_name": name, "domain_name": domain}

    @precondition(lambda self: self.trunks)
    @rule(data=st.data())
    def delete_trunk(self, data: Any) -> None:
        sid = data.draw(st.sampled_from(sorted(self.trunks)))
        status, _ = self.call("DELETE", f"/v1/Trunks/{sid}")
        assert status == 204
        del self.trunks[sid]
        self.ous.pop(sid, None)
        self.cls.pop(sid, None)
        for pn in self.pn_order.pop(sid, []):
            self.pn_on[pn] = None
        status, body = self.call("GET", f"/v1/Trunks/{sid}/OriginationUrls")
        assert (status, body["code"]) == (404, 20404)

    @precondition(lambda self: self.trunks)
    @rule(data=st.data(), weight=st.integers(-1, 70000))
    def create_origination_url(self, data: Any, weight: int) -> None:
        tk = data.draw(st.sampled_from(sorted(self.trunks)))
        status, body = self.call(
            "POST", f"/v1/Trunks/{tk}/OriginationUrls",
            Weight=weight, Priority=1, Enabled="true", FriendlyName="o", SipUrl="sip:x@y",
        )  # fmt: skip
        if 0 <= weight <= 65535:
            assert status == 201, body
            self.ous.setdefault(tk, []).append(body["sid"])
        else:
            assert (status, body["code"]) == (400, 20001)

    @precondition(lambda self: any(self.ous.values()))
    @rule(data=st.data())
    def delete_origination_url(self, data: Any) -> None:
        tk = data.draw(st.sampled_from(sorted(t for t, o in self.ous.items() if o)))
        ou = data.draw(st.sampled_from(self.ous[tk]))
        assert self.call("DELETE", f"/v1/Trunks/{tk}/OriginationUrls/{ou}")[0] == 204
        self.ous[tk].remove(ou)

    @precondition(lambda self: self.trunks)
    @rule(data=st.data())
    def associate_number(self, data: Any) -> None:
        tk = data.draw(st.sampled_from(sorted(self.trunks)))
        pn = data.draw(st.sampled_from(self.numbers))
        status, body = self.call("POST", f"/v1/Trunks/{tk}/PhoneNumbers", PhoneNumberSid=pn)
        if self.pn_on[pn] == tk:
            assert (status, body["code"]) == (400, 21245)
            return
        assert status == 201 and body["trunk_sid"] == tk, body
        old = self.pn_on[pn]
        if old is not None:
            self.pn_order[old].remove(pn)
        self.pn_on[pn] = tk
        self.place(self.pn_order.setdefault(tk, []), tk, pn)

    @precondition(lambda self: any(t for t in self.pn_on.values()))
    @rule(data=st.data())
    def dissociate_number(self, data: Any) -> None:
        pn = data.draw(st.sampled_from(sorted(p for p, t in self.pn_on.items() if t)))
        tk = self.pn_on[pn]
        assert self.call("DELETE", f"/v1/Trunks/{tk}/PhoneNumbers/{pn}")[0] == 204
        self.pn_on[pn] = None
        self.pn_order[tk].remove(pn)

    @precondition(lambda self: self.trunks)
    @rule(data=st.data())
    def toggle_credential_list(self, data: Any) -> None:
        tk = data.draw(st.sampled_from(sorted(self.trunks)))
        cl = data.draw(st.sampled_from(self.lists))
        current = self.cls.setdefault(tk, [])
        if cl in current and data.draw(st.booleans()):
            assert self.call("DELETE", f"/v1/Trunks/{tk}/CredentialLists/{cl}")[0] == 204
            current.remove(cl)
            return
        status, body = self.call("POST", f"/v1/Trunks/{tk}/CredentialLists", CredentialListSid=cl)
        if cl in current:
            assert (status, body["code"]) == (400, 21245)
        else:
            assert status == 201, body
            self.place(current, tk, cl)

    @rule(size=st.integers(1, 4))
    def walk_everything(self, size: int) -> None:
        assert self.walk("/v1/Trunks", size) == list(self.trunks)
        for tk in self.trunks:
            assert self.walk(f"/v1/Trunks/{tk}/OriginationUrls", size) == self.ous.get(tk, [])
            assert self.walk(f"/v1/Trunks/{tk}/PhoneNumbers", size) == self.pn_order.get(tk, [])
            assert self.walk(f"/v1/Trunks/{tk}/CredentialLists", size) == self.cls.get(tk, [])

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def trunks_match(self) -> None:
        for sid, fields in self.trunks.items():
            status, body = self.call("GET", f"/v1/Trunks/{sid}")
            assert status == 200
            assert body["friendly_name"] == fields["friendly_name"]
            assert body["domain_name"] == fields["domain_name"]
            expected = ["CREDENTIAL_LIST"] if self.cls.get(sid) else []
            assert body["auth_type_set"] == expected
        for pn, tk in self.pn_on.items():
            if tk is not None:
                status, body = self.call("GET", f"/v1/Trunks/{tk}/PhoneNumbers/{pn}")
                assert status == 200 and body["trunk_sid"] == tk


TrunkingModel.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
test_trunking_model = TrunkingModel.TestCase
