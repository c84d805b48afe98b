"""fake-trunking: a stateful, in-memory fake of Twilio's Elastic SIP Trunking v1 API."""

from ._version import __version__
from .errors import TwilioError
from .handler import Request, Response
from .service import FakeTrunkingService

__all__ = ["FakeTrunkingService", "Request", "Response", "TwilioError", "__version__"]
