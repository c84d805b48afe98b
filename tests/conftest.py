"""Shared fixtures. Every response the fake returns anywhere in the suite is checked against
Twilio's OpenAPI spec (see ``tests/spec.py``), its body and the headers the spec declares; a test
whose traffic breaks the spec fails."""

from __future__ import annotations

from typing import Any, Iterator, List

import pytest

from fake_trunking import FakeTrunkingService
from fake_trunking.core.messages import Request, Response
from fake_trunking.handler import is_preflight

from . import spec

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _validate_every_response(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[str]]:
    """Wrap ``FakeTrunkingService.handle``: every response of this test is validated."""
    problems: List[str] = []
    if not spec.spec_available():
        yield problems
        return
    original = FakeTrunkingService.handle

    def checked(self: FakeTrunkingService, request: Request) -> Response:
        response = original(self, request)
        preflight = is_preflight(request)  # CORS, not an operation of the API: no body
        served = request.path.startswith("/v1/") or (
            spec.is_v2010(request.path) and spec.v2010_spec_available()
        )
        if served and request.method.upper() != "HEAD" and not preflight:
            try:  # HEAD: no body
                spec.validate_response(
                    request.method, request.path, response.status, response.json()
                )
                spec.validate_headers(
                    request.method, request.path, response.status, response.headers
                )
            except AssertionError as exc:
                problems.append(str(exc))
            except Exception as exc:  # jsonschema.ValidationError and friends
                problems.append(f"{request.method} {request.path}: {exc}")
        return response

    monkeypatch.setattr(FakeTrunkingService, "handle", checked)
    yield problems
    if problems:
        pytest.fail("responses that break the spec:\n" + "\n".join(problems[:10]), pytrace=False)


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1234) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


@pytest.fixture
def trunks(client: Any) -> Any:
    return client.trunking.v1.trunks
