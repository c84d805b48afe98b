"""fake-trunking: a stateful, in-memory fake of Twilio's Elastic SIP Trunking v1 API."""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .core.calllog import CallLog
from .core.errors import TwilioError
from .core.messages import Call, Request, Response
from .faults import Fault, UnfiredFaultWarning
from .intercept.network import NetworkBlockedError
from .mock import mock_trunking
from .options import KeywordError
from .service import FakeTrunkingService

if TYPE_CHECKING:  # imported on first use (``client_for`` imports twilio): see ``__getattr__``
    from .cassettes.record import FakeOnlyError
    from .clients.server_client import client_for
    from .server.admin_client import AdminClient
    from .server.http import FakeTrunkingServer

_LAZY = {
    "AdminClient": ".server.admin_client",
    "FakeOnlyError": ".cassettes.record",
    "FakeTrunkingServer": ".server.http",
    "client_for": ".clients.server_client",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module, __name__), name)


__all__ = [
    "AdminClient",
    "Call",
    "CallLog",
    "FakeOnlyError",
    "FakeTrunkingServer",
    "FakeTrunkingService",
    "Fault",
    "KeywordError",
    "NetworkBlockedError",
    "Request",
    "Response",
    "TwilioError",
    "UnfiredFaultWarning",
    "__version__",
    "client_for",
    "mock_trunking",
]
