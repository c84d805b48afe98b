"""Small helpers shared by the suite's test modules (no fixtures here; see conftest.py)."""

from __future__ import annotations

import base64
import os
import selectors
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, List, Optional, Tuple

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

from fake_trunking import FakeTrunkingService
from fake_trunking.core.messages import Response

BASE = "https://trunking.twilio.com"


class Clock:
    """A controllable clock: ``clock()`` returns ``now``; ``advance`` moves it on."""

    def __init__(self, start: Optional[datetime] = None) -> None:
        self.now = start or datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


def rest_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> TwilioRestException:
    """The ``TwilioRestException`` that ``call(*args, **kwargs)`` raises."""
    with pytest.raises(TwilioRestException) as info:
        call(*args, **kwargs)
    return info.value


def list_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A list/page call that fails: the twilio client raises ``TwilioException`` whose
    ``args[1]`` is the HTTP response. Returns ``(status_code, parsed JSON body)``."""
    import json

    with pytest.raises(TwilioException) as info:
        call(*args, **kwargs)
    assert not isinstance(info.value, TwilioRestException)
    response = info.value.args[1]
    return response.status_code, json.loads(response.text)


def basic(user: str, secret: str = "token") -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def raw(
    fake: FakeTrunkingService,
    method: str,
    path: str,
    body: str = "",
    *,
    account: Optional[str] = None,
    secret: Optional[str] = None,
    auth: Optional[str] = "default",
    base: str = BASE,
) -> Response:
    """Send one request straight to ``fake.handle`` (for what the twilio client cannot send)."""
    headers = {}
    if auth == "default":
        sid = account or fake.default_account_sid
        headers["Authorization"] = basic(sid, secret or fake.auth_token(sid))
    elif auth is not None:
        headers["Authorization"] = auth
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return fake.handle_url(method, base + path, body.encode(), headers)


def assert_error(response: Response, status: int, code: int, message: Optional[str] = None) -> None:
    body = response.json()
    assert response.status == status, body
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    if message is not None:
        assert body["message"] == message


VCRPY_TOO_OLD = (
    "vcrpy < 8 (the last vcrpy for Python 3.9) crashes in its own body matcher on twilio-python's"
    " bodiless list GETs, which carry a form Content-Type; our replay is unaffected"
)


def vcrpy_matches_twilio_lists() -> bool:
    """Whether the installed vcrpy can match bodies of twilio-python's list GETs (vcrpy >= 8)."""
    import vcr

    return int(vcr.__version__.split(".")[0]) >= 8


def run_together(n: int, work: Callable[[int], Any]) -> List[Any]:
    """``work(i)`` for i in 0..n-1 on n threads released at the same moment."""
    barrier = threading.Barrier(n)

    def go(i: int) -> Any:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


def outcome(call: Callable[[], Any]) -> Tuple[Optional[str], Optional[int]]:
    """``(sid, None)`` on success, ``(None, Twilio error code)`` on a Twilio error."""
    try:
        return call().sid, None
    except TwilioRestException as exc:
        return None, exc.code


def spawn(*argv: str) -> subprocess.Popen[str]:
    """``python <argv>`` unbuffered, with text pipes for stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def spawn_serve(*args: str) -> subprocess.Popen[str]:
    """``fake-trunking serve <args>`` in its own process."""
    return spawn("-m", "fake_trunking", "serve", *args)


def read_line(proc: subprocess.Popen[str], timeout: float = 20.0) -> str:
    """The first line of ``proc``'s stdout, waiting at most ``timeout`` seconds."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            raise AssertionError("the server printed no URL line")
    return proc.stdout.readline()


def stop(proc: subprocess.Popen[str], signum: int = signal.SIGTERM) -> Tuple[int, str, str]:
    """Send ``signum`` and wait: ``(exit status, stdout, stderr)``."""
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err
