"""Model-based test (issue 8, part 2): random sequences of creates, updates, deletes, associations
(phone numbers, credential lists, IP ACLs), recording settings and page walks (also with writes
between their pages) against the fake and against a tiny reference model; every answer and every
list must agree with the model."""

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
DEFAULT_RECORDING = {"mode": "do-not-record", "trim": "do-not-trim"}
# valid values first; the last two of each are refused (wrong case, unknown)
MODES = [
    None, "do-not-record", "record-from-ringing", "record-from-answer", "record-from-ringing-dual",
    "record-from-answer-dual", "Record-From-Answer", "always",
]  # fmt: skip
TRIMS = [None, "trim-silence", "do-not-trim", "Trim-Silence", ""]


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
        self.als: Dict[str, List[str]] = {}
        self.acls = [self.fake.seed_ip_access_control_list(ACCOUNT) for _ in range(2)]
        self.recording: Dict[str, Dict[str, str]] = {}  # trunk -> {"mode", "trim"}
        self.weights: Dict[str, int] = {}  # OU sid -> weight
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
            page, url = self.page(url, size)
            sids += page
        return sids

    def page(self, url: str, size: int) -> Any:
        """One page: ``(sids on it, next_page_url)``."""
        response = self.fake.handle_url("GET", url, headers=AUTH)
        assert response.status == 200, response.body
        page = json.loads(response.body)
        key = page["meta"]["key"]
        assert len(page[key]) <= size
        if key == "origination_urls":
            for item in page[key]:
                assert item["weight"] == self.weights[item["sid"]]
        following = page["meta"]["next_page_url"]
        assert following is None or urlsplit(following).path == urlsplit(url).path
        return [item["sid"] for item in page[key]], following

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
        self.delete(data.draw(st.sampled_from(sorted(self.trunks))))

    def delete(self, sid: str) -> None:
        status, _ = self.call("DELETE", f"/v1/Trunks/{sid}")
        assert status == 204
        del self.trunks[sid]
        for ou in self.ous.pop(sid, []):
            del self.weights[ou]
        self.cls.pop(sid, None)
        self.als.pop(sid, None)
        self.recording.pop(sid, None)
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
            self.weights[body["sid"]] = weight
        else:
            assert (status, body["code"]) == (400, 20001)

    @precondition(lambda self: any(self.ous.values()))
    @rule(data=st.data(), weight=st.integers(-1, 70000))
    def update_origination_url(self, data: Any, weight: int) -> None:
        tk = data.draw(st.sampled_from(sorted(t for t, o in self.ous.items() if o)))
        ou = data.draw(st.sampled_from(self.ous[tk]))
        status, body = self.call("POST", f"/v1/Trunks/{tk}/OriginationUrls/{ou}", Weight=weight)
        if 0 <= weight <= 65535:
            assert status == 200 and body["weight"] == weight, body
            self.weights[ou] = weight
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

    @precondition(lambda self: self.trunks)
    @rule(data=st.data())
    def toggle_ip_access_control_list(self, data: Any) -> None:
        tk = data.draw(st.sampled_from(sorted(self.trunks)))
        al = data.draw(st.sampled_from(self.acls))
        current = self.als.setdefault(tk, [])
        path = f"/v1/Trunks/{tk}/IpAccessControlLists"
        if al in current and data.draw(st.booleans()):
            assert self.call("DELETE", f"{path}/{al}")[0] == 204
            current.remove(al)
            return
        status, body = self.call("POST", path, IpAccessControlListSid=al)
        if al in current:
            assert (status, body["code"]) == (400, 21245)
        else:
            assert status == 201, body
            self.place(current, tk, al)

    @precondition(lambda self: self.trunks)
    @rule(data=st.data(), mode=st.sampled_from(MODES), trim=st.sampled_from(TRIMS))
    def update_recording(self, data: Any, mode: Optional[str], trim: Optional[str]) -> None:
        tk = data.draw(st.sampled_from(sorted(self.trunks)))
        form = {k: v for k, v in (("Mode", mode), ("Trim", trim)) if v is not None}
        status, body = self.call("POST", f"/v1/Trunks/{tk}/Recording", **form)
        # Mode and Trim are taken in any case and stored lower-cased (docs/decisions.md)
        mode = None if mode is None else mode.lower()
        trim = None if trim is None else trim.lower()
        if mode not in (None, *MODES[1:-2]) or trim not in (None, *TRIMS[1:-2]):
            assert (status, body["code"]) == (400, 20001)
            return
        assert status == 200, body
        current = self.recording.setdefault(tk, dict(DEFAULT_RECORDING))
        current.update({k: v for k, v in (("mode", mode), ("trim", trim)) if v is not None})
        assert body == {**body, **current}

    @rule(size=st.integers(1, 4))
    def walk_everything(self, size: int) -> None:
        assert self.walk("/v1/Trunks", size) == list(self.trunks)
        for tk in self.trunks:
            assert self.walk(f"/v1/Trunks/{tk}/OriginationUrls", size) == self.ous.get(tk, [])
            assert self.walk(f"/v1/Trunks/{tk}/PhoneNumbers", size) == self.pn_order.get(tk, [])
            assert self.walk(f"/v1/Trunks/{tk}/CredentialLists", size) == self.cls.get(tk, [])
            assert self.walk(f"/v1/Trunks/{tk}/IpAccessControlLists", size) == self.als.get(tk, [])

    @precondition(lambda self: len(self.trunks) >= 2)
    @rule(data=st.data(), size=st.integers(1, 2))
    def walk_while_writing(self, data: Any, size: int) -> None:
        """A walk with deletes and creates between its pages serves every trunk that existed
        throughout exactly once, and nothing that never existed."""
        stable = set(self.trunks)
        existed = set(self.trunks)
        served: List[str] = []
        url: Optional[str] = f"https://trunking.twilio.com/v1/Trunks?PageSize={size}"
        while url:
            page, url = self.page(url, size)
            served += page
            action = data.draw(st.sampled_from(["none", "delete", "create"]))
            if action == "delete" and self.trunks:
                victim = data.draw(st.sampled_from(sorted(self.trunks)))
                self.delete(victim)
                stable.discard(victim)
            elif action == "create" and len(self.trunks) < 6:
                status, body = self.call("POST", "/v1/Trunks", FriendlyName="mid-walk")
                assert status == 201, body
                self.trunks[body["sid"]] = {"friendly_name": "mid-walk", "domain_name": None}
                existed.add(body["sid"])
        assert len(served) == len(set(served)), "a walk served a trunk twice"
        assert stable <= set(served), "a walk skipped a trunk that existed throughout"
        assert set(served) <= existed

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def trunks_match(self) -> None:
        for sid, fields in self.trunks.items():
            status, body = self.call("GET", f"/v1/Trunks/{sid}")
            assert status == 200
            assert body["friendly_name"] == fields["friendly_name"]
            assert body["domain_name"] == fields["domain_name"]
            expected = ["CREDENTIAL_LIST"] if self.cls.get(sid) else []
            expected += ["IP_ACL"] if self.als.get(sid) else []
            assert body["auth_type_set"] == expected
            assert body["auth_type"] == ",".join(expected)
            assert body["recording"] == self.recording.get(sid, DEFAULT_RECORDING)
        for pn, tk in self.pn_on.items():
            if tk is not None:
                status, body = self.call("GET", f"/v1/Trunks/{tk}/PhoneNumbers/{pn}")
                assert status == 200 and body["trunk_sid"] == tk


TrunkingModel.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
test_trunking_model = TrunkingModel.TestCase
