"""``fake-trunking demo``: an offline walkthrough with the real twilio client against the fake.

It provisions through the real flow across both APIs: on API v2010 a credential list and a
credential, an IP access control list and an address, a number searched for and bought; on Trunking
v1 a trunk with an origination URL, associated with all three; then a handled error, and it
releases everything, printing what it did and the SIDs it made.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional, TextIO, overload

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
    fake-trunking server instead, through ``client_for``, in
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
        _walkthrough(fake.client(), account, say, "acme-hq.pstn.twilio.com")
        say()
        say(f"{len(fake.calls)} requests answered offline by the fake; nothing left this machine.")
    return fake


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
        _walkthrough(client, account_sid, say, domain)
    except (TwilioException, TwilioError, RequestException, OSError) as exc:
        raise fail(f"the walkthrough stopped: {exc}") from None
    say()
    say(
        f"{client.http_client.request_count} requests answered by the fake-trunking server at "
        f"{base}; nothing left this machine."
    )


def _walkthrough(client: Any, account: str, say: Callable[..., None], domain: str) -> None:
    from twilio.base.exceptions import TwilioRestException

    say(f"fake-trunking demo: provisioning a SIP trunk in the offline Twilio account {account}")
    step = _stepper(say)

    say()
    say("API v2010 (api.twilio.com): who may call, and a number to call")
    sip = client.sip
    users = sip.credential_lists.create(friendly_name="Acme PBX users")
    step("credential list", f"{users.sid}  {users.friendly_name!r}")
    cred = sip.credential_lists(users.sid).credentials.create(
        username="pbx-hq", password="Acme-Trunk-2026"
    )
    step("credential", f"{cred.sid}  username={cred.username} (the password is never returned)")
    office = sip.ip_access_control_lists.create(friendly_name="Acme office IPs")
    step("IP access control list", f"{office.sid}  {office.friendly_name!r}")
    ip = sip.ip_access_control_lists(office.sid).ip_addresses.create(
        friendly_name="HQ gateway", ip_address="203.0.113.10", cidr_prefix_length=32
    )
    step("IP address", f"{ip.sid}  {ip.ip_address}/{ip.cidr_prefix_length}")
    found = client.available_phone_numbers("US").local.list(area_code=415, limit=3)
    step("available numbers", ", ".join(n.phone_number for n in found) + " (US local, 415)")
    number = client.incoming_phone_numbers.create(
        phone_number=found[0].phone_number, friendly_name="Acme main line"
    )
    step("bought number", f"{number.sid}  {number.phone_number} {number.friendly_name!r}")

    say()
    say("Trunking v1 (trunking.twilio.com): the trunk, and everything associated with it")
    trunks = client.trunking.v1.trunks
    trunk = trunks.create(friendly_name="Acme HQ PBX", domain_name=domain, secure=True)
    step("trunk", f"{trunk.sid}  {trunk.domain_name}")
    tk = trunks(trunk.sid)
    ou = tk.origination_urls.create(
        weight=10, priority=10, enabled=True, friendly_name="HQ SBC",
        sip_url="sip:sbc.acme.example.com:5060",
    )  # fmt: skip
    step("origination URL", f"{ou.sid}  {ou.sip_url}")
    tk.credentials_lists.create(credential_list_sid=users.sid)
    tk.ip_access_control_lists.create(ip_access_control_list_sid=office.sid)
    tk.phone_numbers.create(phone_number_sid=number.sid)
    trunk = tk.fetch()
    step("associated", f"auth_type={trunk.auth_type!r}, number {number.phone_number}")
    owner = client.incoming_phone_numbers(number.sid).fetch().trunk_sid
    step("seen from API v2010", f"{number.phone_number} trunk_sid={owner}")
    try:
        trunks.create(friendly_name="copycat", domain_name=domain)
    except TwilioRestException as exc:
        step("handled error", f"HTTP {exc.status} code {exc.code}: {exc.msg}")

    say()
    say("Release everything")
    client.incoming_phone_numbers(number.sid).delete()
    left = len(tk.phone_numbers.list())
    step("released number", f"{number.phone_number} (the trunk now has {left} numbers)")
    sip.credential_lists(users.sid).delete()
    sip.ip_access_control_lists(office.sid).delete()
    step("deleted lists", f"{users.sid}, {office.sid}")
    tk.delete()
    step("deleted trunk", f"{trunk.sid} (its origination URL went with it)")
    try:
        tk.fetch()
    except TwilioRestException as exc:
        step("after delete", f"fetching the trunk -> HTTP {exc.status}")


def _stepper(say: Callable[..., None]) -> Callable[[str, str], None]:
    def step(what: str, detail: str) -> None:
        say(f"  {what:<24} {detail}")

    return step
