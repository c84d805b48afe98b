"""``fake-trunking demo``: an offline walkthrough with the real twilio client against the fake.

It provisions a realistic trunk end to end (trunk, origination URLs with priorities and weights, a
credential list, an IP ACL, a phone number, recording on), updates it, walks a list across pages,
and shows a handled error, printing what it did and the SIDs it made.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Protocol, TextIO, overload

from .service import FakeTrunkingService


@overload
def run_demo(*, seed: Optional[int] = ..., out: Optional[TextIO] = ...) -> FakeTrunkingService: ...


@overload
def run_demo(
    *,
    seed: Optional[int] = ...,
    out: Optional[TextIO] = ...,
    server: str,
    account_sid: Optional[str] = ...,
    auth_token: Optional[str] = ...,
) -> None: ...


def run_demo(
    *,
    seed: Optional[int] = 7,
    out: Optional[TextIO] = None,
    server: Optional[str] = None,
    account_sid: Optional[str] = None,
    auth_token: Optional[str] = None,
) -> Optional[FakeTrunkingService]:
    """Run the walkthrough against an in-process fake; returns the (stopped) fake for inspection.

    With ``server`` (a base URL such as ``http://127.0.0.1:8080``) it runs against that
    fake-trunking server instead, through ``client_for``, seeding through the admin endpoints, in
    ``account_sid`` (default: a fresh account, so runs never clash) with a unique domain name; it
    then returns None. ``seed`` applies to the in-process fake only.
    """
    stream = out or sys.stdout

    def say(text: str = "") -> None:
        stream.write(text + "\n")

    try:
        import twilio  # noqa: F401
    except ImportError:  # pragma: no cover - exercised only without the test extra
        raise SystemExit(
            "the demo drives the fake with the twilio client: pip install 'fake-trunking[twilio]'"
        ) from None

    if server is not None:
        _run_against_server(server, account_sid, auth_token, say)
        return None
    fake = FakeTrunkingService(seed=seed)
    with fake:
        account = fake.default_account_sid
        _walkthrough(fake.client(), account, fake, say, "acme-hq.pstn.twilio.com")
        say()
        say(f"{len(fake.calls)} requests answered offline by the fake; nothing left this machine.")
    return fake


class _Seeder(Protocol):
    """What the walkthrough seeds through: the in-process fake, or a server's ``AdminClient``."""

    def seed_credential_list(
        self, account_sid: Optional[str] = None, friendly_name: Optional[str] = None
    ) -> str: ...

    def seed_ip_access_control_list(
        self, account_sid: Optional[str] = None, friendly_name: Optional[str] = None
    ) -> str: ...

    def seed_phone_number(self, account_sid: Optional[str] = None) -> str: ...


def _run_against_server(
    server: str,
    account_sid: Optional[str],
    auth_token: Optional[str],
    say: Callable[..., None],
) -> None:
    import secrets

    from requests.exceptions import RequestException
    from twilio.base.exceptions import TwilioException

    from .clients.server_client import client_for, normalize_base_url
    from .core.auth import DEFAULT_AUTH_TOKEN
    from .core.errors import TwilioError
    from .server.admin_client import AdminClient

    def fail(message: str) -> SystemExit:
        return SystemExit(f"fake-trunking demo: {' '.join(message.split())}")

    try:
        base = normalize_base_url(server)
    except ValueError as exc:
        raise fail(str(exc)) from None
    admin = AdminClient(base)
    try:
        info = admin.info()
    except (OSError, TwilioError, ValueError) as exc:
        raise fail(f"{base} is not a reachable fake-trunking server ({exc})") from None
    if account_sid is None:
        if info.get("credentials_required"):
            raise fail("this server checks credentials: pass --account-sid and --auth-token")
        account_sid = f"AC{secrets.token_hex(16)}"
    client = client_for(base, account_sid, auth_token or DEFAULT_AUTH_TOKEN)
    domain = f"acme-hq-{secrets.token_hex(3)}.pstn.twilio.com"
    try:
        _walkthrough(client, account_sid, admin, say, domain)
    except (TwilioException, TwilioError, RequestException, OSError) as exc:
        raise fail(f"the walkthrough stopped: {exc}") from None
    say()
    say(
        f"{client.http_client.request_count} requests answered by the fake-trunking server at "
        f"{base}; nothing left this machine."
    )


def _walkthrough(
    client: Any, account: str, seeder: _Seeder, say: Callable[..., None], domain: str
) -> None:
    from twilio.base.exceptions import TwilioRestException

    say(f"fake-trunking demo: an offline Twilio Elastic SIP Trunking account {account}")
    say()
    trunks = client.trunking.v1.trunks
    trunk = trunks.create(
        friendly_name="Acme HQ PBX",
        domain_name=domain,
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

    cl_sid = seeder.seed_credential_list(account, "Acme PBX users")
    cl = tk.credentials_lists.create(credential_list_sid=cl_sid)
    step("credential list", f"{cl.sid}  {cl.friendly_name!r}")
    al_sid = seeder.seed_ip_access_control_list(account, "Acme office IPs")
    al = tk.ip_access_control_lists.create(ip_access_control_list_sid=al_sid)
    step("IP access control list", f"{al.sid}  {al.friendly_name!r}")
    pn_sid = seeder.seed_phone_number(account)
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
        trunks.create(friendly_name="copycat", domain_name=domain)
    except TwilioRestException as exc:
        step("handled error", f"HTTP {exc.status} code {exc.code}: {exc.msg}")
    tk.delete()
    step("deleted trunk", f"{trunk.sid} (its origination URLs and associations went with it)")
    try:
        tk.origination_urls.list()
    except Exception as exc:  # a list error surfaces as TwilioException with the response
        step("after delete", f"listing its origination URLs -> {exc.args[1].status_code}")


def _stepper(say: Callable[..., None]) -> Callable[[str, str], None]:
    def step(what: str, detail: str) -> None:
        say(f"  {what:<24} {detail}")

    return step
