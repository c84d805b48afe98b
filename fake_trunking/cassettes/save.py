"""Writing cassettes: ``write_cassette`` (scrub, leak check, atomic write; every writer's way to
disk) and ``fake.save_cassette(path)``: the fake's own traffic so far, a ``source: fake`` cassette.

Built from ``fake.calls`` (every request and response the fake served, headers and form body
included; a call an injected exception cut off has no response and is left out) and written like
a recording: scrubbed, leak-checked against the fake's tokens and key
secrets and whatever the requests' ``Authorization`` headers carried, and atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, List, Optional

from ..core.errors import reason_phrase
from .format import (
    Cassette,
    Interaction,
    LeakError,
    PathLike,
    body_text,
    dumps,
    metadata,
    write_text_atomically,
)
from .scrub import Hook, find_leaks, harvest_secrets, scrub_cassette

if TYPE_CHECKING:
    from ..core.messages import Call
    from ..service import FakeTrunkingService


def write_cassette(
    path: PathLike,
    cassette: Cassette,
    *,
    secrets: Iterable[str] = (),
    scrub: bool = True,
    before_save: Optional[Callable[[Interaction], Optional[Interaction]]] = None,
) -> Path:
    """Scrub ``cassette`` (unless ``scrub=False``), check it for ``secrets``, write it atomically.

    The secrets checked are ``secrets`` plus every credential found in the interactions'
    ``Authorization`` headers before scrubbing. A leak raises ``LeakError`` and writes nothing.
    """
    found = [*secrets, *harvest_secrets(cassette)]
    if scrub:
        cassette = scrub_cassette(cassette, before_save=before_save)
    text = dumps(cassette)
    leaks = find_leaks(text, found)
    if leaks:
        raise LeakError(
            f"{path}: refused to write: the cassette still contains a secret ({leaks[0]}); "
            "nothing was written. Scrub it in a before_save hook."
        )
    return write_text_atomically(path, text)


def save_calls(
    fake: FakeTrunkingService, path: PathLike, *, before_save: Optional[Hook] = None
) -> Path:
    interactions: List[Interaction] = []
    for call in list(fake.calls):
        request, response = call.request, call.response
        if response.status == 0:  # an injected exception: nothing was answered, nothing to store
            continue
        interactions.append(
            Interaction(
                method=request.method.upper(),
                uri=call.url,
                request_headers={k: [v] for k, v in request.headers.items()},
                request_body=body_text(request.body) or None,
                status=response.status,
                reason=reason_phrase(response.status),
                response_headers={k: [v] for k, v in response.headers.items()},
                response_body=body_text(response.body) or "",
                account=_account_of(fake, call),
            )
        )
    secrets = [fake.auth_token(), *(fake.credentials or {}).values()]
    secrets += [secret for _account, secret in fake.api_keys.values()]
    cassette = Cassette(interactions, metadata("fake"))
    return write_cassette(path, cassette, secrets=secrets, before_save=before_save)


def _account_of(fake: FakeTrunkingService, call: Call) -> Optional[str]:
    """The account that made ``call``: ``Call.account_sid`` (set when the fake served it); for
    a call the fake did not serve (recorded, replayed), the fake's own authentication rule."""
    if call.account_sid is not None:
        return call.account_sid
    return fake.handler.account_of(call.request)
