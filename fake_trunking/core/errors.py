"""Twilio-shaped errors. Every failure the fake reports is one of these, rendered as data.

The body is Twilio's legacy REST error: ``{"code", "message", "more_info", "status"}`` (plus
``detail`` on 20003). Never the RFC 9457 shape, which twilio-python maps to another exception.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Dict, Optional

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

# Twilio's documented codes for the statuses its API answers with (docs/decisions.md "Error codes");
# any other 4xx, and 501/505 (a request in a form the server does not implement), is 20001: a
# request Twilio could not take as sent; any other 5xx is 20500.
TWILIO_CODES = {
    400: 20001,
    401: 20003,
    403: 20403,
    404: 20404,
    405: 20004,
    429: 20429,
    500: 20500,
    503: 20503,
}


def code_for_status(status: int) -> int:
    """The Twilio error code of an answer with this HTTP status, when nothing more specific
    applies: the one rule for injected faults, the server's own HTTP-layer errors and the admin
    client."""
    code = TWILIO_CODES.get(status)
    if code is not None:
        return code
    return 20500 if status >= 500 and status not in (501, 505) else 20001


def reason_phrase(status: int) -> str:
    """The standard reason phrase of an HTTP status (``""`` for a status without one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class TwilioError(Exception):
    """A failure the fake answers with a Twilio error body and an HTTP status."""

    def __init__(
        self, status: int, code: int, message: str, *, detail: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }
        if self.detail is not None:
            out["detail"] = self.detail
        return out

    def __repr__(self) -> str:
        return f"TwilioError({self.status}, {self.code}, {self.message!r})"


def unauthenticated() -> TwilioError:
    return TwilioError(
        401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect."
    )


def not_found(path: str) -> TwilioError:
    """404/20404 for ``path`` as the client sent it; the message drops the ``/v1`` prefix."""
    if path.startswith("/v1/"):
        path = path[3:]
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def method_not_allowed() -> TwilioError:
    return TwilioError(405, 20004, "Method not allowed")


def missing_parameter(name: str) -> TwilioError:
    return TwilioError(400, 20001, f"Missing required parameter {name} in the post body")


def invalid_parameter(name: str, rule: str) -> TwilioError:
    return TwilioError(400, 20001, f"Invalid {name}: {rule}")


def bad_request(message: str) -> TwilioError:
    return TwilioError(400, 20001, message)


def trunk_validation(message: str) -> TwilioError:
    return TwilioError(400, 21245, f"Trunk Validation Error: {message}")


def domain_taken() -> TwilioError:
    return TwilioError(400, 21248, "Trunk Domain already taken")


def too_many_trunks() -> TwilioError:
    return TwilioError(400, 21244, "Maximum Number of Trunks reached")


def too_many_origination_urls() -> TwilioError:
    return TwilioError(400, 21249, "Maximum Origination URIs reached")


def already_associated() -> TwilioError:
    return TwilioError(400, 21245, "Credential List or IP-ACL already associated with Trunk")


def invalid_page_token() -> TwilioError:
    return TwilioError(400, 21481, "Invalid PageToken")


def page_token_required() -> TwilioError:
    return TwilioError(400, 20001, "PageToken is required for paging.")


def too_large() -> TwilioError:
    return TwilioError(413, 20001, "Request body too large")


def internal(exc: BaseException) -> TwilioError:
    text = str(exc) or type(exc).__name__
    return TwilioError(500, 20500, f"Internal Server Error: {text}")


def state_not_saved(exc: BaseException) -> TwilioError:
    """503: a durable server could not save a write (a full disk, a read-only folder); the
    write was undone, so the client may retry it."""
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return TwilioError(
        503, 20503, f"Service Unavailable: the write could not be saved ({reason}); nothing changed"
    )
