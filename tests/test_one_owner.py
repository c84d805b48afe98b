"""Rules that once had two copies which disagreed now have one owner (issue 14).

Each test drives both former copies and requires the same answer.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests

from fake_trunking import FakeTrunkingServer, FakeTrunkingService
from fake_trunking.core.errors import code_for_status, reason_phrase


def _raw(server: FakeTrunkingServer, data: bytes) -> bytes:
    parts = urlsplit(server.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("status", [408, 413, 414, 431, 501, 505])
def test_an_injected_status_and_the_servers_own_answer_the_same_code(status: int) -> None:
    with FakeTrunkingService(seed=1) as fake:
        fake.inject_fault(status, path="/Trunks")
        answer = requests.get("https://trunking.twilio.com/v1/Trunks", auth=("AC" + "a" * 32, "t"))
        assert (answer.status_code, answer.json()["code"]) == (status, code_for_status(status))


def test_the_servers_414_and_inject_fault_414_agree() -> None:
    with FakeTrunkingServer(seed=1) as server:
        answer = _raw(server, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 414 ")
        assert b'"code": 20001' in answer or b'"code":20001' in answer
    assert code_for_status(414) == 20001


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 20001), (401, 20003), (403, 20403), (404, 20404), (405, 20004), (429, 20429),
     (500, 20500), (503, 20503), (414, 20001), (418, 20001), (502, 20500), (505, 20001)],
)  # fmt: skip
def test_code_for_status_is_twilios_table(status: int, code: int) -> None:
    assert code_for_status(status) == code


def test_fault_messages_and_cassette_reasons_use_one_phrase_table() -> None:
    assert reason_phrase(414).endswith("URI Too Long")  # "Request-URI Too Long" before 3.12
    assert reason_phrase(799) == ""
    with FakeTrunkingService(seed=1) as fake:
        fake.inject_fault(418, path="/Trunks")
        answer = requests.get("https://trunking.twilio.com/v1/Trunks", auth=("AC" + "a" * 32, "t"))
        assert answer.status_code == 418
        assert reason_phrase(418) in answer.json()["message"]
