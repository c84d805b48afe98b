"""``fake-trunking demo``: an offline walkthrough with the real twilio client against the fake.

It provisions a realistic trunk end to end (trunk, origination URLs with priorities and weights, a
credential list, an IP ACL, a phone number, recording on), updates it, walks a list across pages,
and shows a handled error, printing what it did and the SIDs it made.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional, TextIO

from .service import FakeTrunkingService


def run_demo(*, seed: Optional[int] = 7, out: Optional[TextIO] = None) -> FakeTrunkingService:
    """Run the walkthrough against an in-process fake; returns the (stopped) fake for inspection."""
    stream = out or sys.stdout

    def say(text: str = "") -> None:
        stream.write(text + "\n")

    try:
        from twilio.base.exceptions import TwilioRestException
    except ImportError:  # pragma: no cover - exercised only without the test extra
        raise SystemExit(
            "the demo drives the fake with the twilio client: pip install 'fake-trunking[test]'"
        ) from None

    fake = FakeTrunkingService(seed=seed)
    with fake:
        client = fake.client()
        account = fake.default_account_sid
        say(f"fake-trunking demo: an offline Twilio Elastic SIP Trunking account {account}")
        say()
        trunks = client.trunking.v1.trunks
        trunk = trunks.create(
            friendly_name="Acme HQ PBX",
            domain_name="acme-hq.pstn.twilio.com",
            disaster_recovery_url="https://acme.example.com/twiml/fallback",
            disaster_recovery_method="POST",
        )
        step = _stepper(say)
        step("created trunk", f"{trunk.sid}  {trunk.domain_name}")
        trunk = trunks(trunk.sid).update(secure=True, cnam_lookup_enabled=True)
        step("secured it", f"secure={trunk.secure} cnam_lookup_enabled={trunk.cnam_lookup_enabled}")

        tk = trunks(trunk.sid)
        for name, url, priority, weight in (
            ("primary SBC", "sip:sbc1.acme.example.com:5060", 10, 60),
            ("secondary SBC", "sip:sbc2.acme.example.com:5060", 10, 40),
            ("DR site", "sip:dr.acme.example.com:5061", 20, 100),
        ):
            ou = tk.origination_urls.create(
                weight=weight, priority=priority, enabled=True, friendly_name=name, sip_url=url
            )
            step("origination URL", f"{ou.sid}  {url} priority={priority} weight={weight}")

        cl_sid = fake.seed_credential_list(account, "Acme PBX users")
        cl = tk.credentials_lists.create(credential_list_sid=cl_sid)
        step("credential list", f"{cl.sid}  {cl.friendly_name!r}")
        al_sid = fake.seed_ip_access_control_list(account, "Acme office IPs")
        al = tk.ip_access_control_lists.create(ip_access_control_list_sid=al_sid)
        step("IP access control list", f"{al.sid}  {al.friendly_name!r}")
        pn_sid = fake.seed_phone_number(account)
        pn = tk.phone_numbers.create(phone_number_sid=pn_sid)
        step("phone number", f"{pn.sid}  {pn.phone_number} {pn.friendly_name}")
        rec = tk.recordings().update(mode="record-from-answer", trim="trim-silence")
        step("recording", f"mode={rec.mode} trim={rec.trim}")
        trunk = tk.fetch()
        step("trunk now", f"auth_type={trunk.auth_type!r} recording={trunk.recording}")

        say()
        more = [trunks.create(friendly_name=f"Branch office {n}").sid for n in range(1, 8)]
        step("created more trunks", f"{len(more)} branch trunks ({more[0]} ...)")
        page = trunks.page(page_size=3)
        pages = 0
        seen = 0
        while page is not None:
            pages += 1
            seen += len(list(page))
            page = page.next_page()
        step("listed trunks", f"{seen} trunks in {pages} pages of 3 (next_page_url followed)")
        listed = trunks.list(limit=4, page_size=2)
        step("list(limit=4)", ", ".join(t.friendly_name for t in listed))

        say()
        try:
            trunks.create(friendly_name="copycat", domain_name="acme-hq.pstn.twilio.com")
        except TwilioRestException as exc:
            step("handled error", f"HTTP {exc.status} code {exc.code}: {exc.msg}")
        tk.delete()
        step("deleted trunk", f"{trunk.sid} (its origination URLs and associations went with it)")
        try:
            tk.origination_urls.list()
        except Exception as exc:  # a list error surfaces as TwilioException with the response
            step("after delete", f"listing its origination URLs -> {exc.args[1].status_code}")
        say()
        say(f"{len(fake.calls)} requests answered offline by the fake; nothing left this machine.")
    return fake


def _stepper(say: Callable[[str], None]) -> Callable[[str, str], None]:
    def step(what: str, detail: str) -> None:
        say(f"  {what:<24} {detail}")

    return step
