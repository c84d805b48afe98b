"""Declarative request parameters: one ``Param`` says a parameter's wire name, the field it fills,
its type, its rules, and how to parse it. Resource descriptions are built from these, and the same
objects drive validation, the spec-coverage test and documentation.

Parsing rules (DECISIONS.md): booleans ``true``/``false`` in any case; integers an optional sign and
digits; unknown parameters ignored; the first value of a repeated parameter wins.

Bounded work (SECURITY.md, docs/decisions.md "Parameters"): every text value is measured before
anything else looks at it: an integer's text is at most ``MAX_INTEGER_TEXT`` characters (so
``int()`` never meets CPython's 4,300-digit limit and never takes long), a string parameter is
at most its ``max_length`` (``MAX_TEXT`` when it declares none), and the regular expressions here
are linear in the length of what they read. A 1 MiB value is refused in microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from . import errors, sipuri

# ASCII digits only: ``[0-9]``, not ``\d`` (``\d`` takes "١٢", and ``int()`` takes that too)
_INT = re.compile(r"[+-]?[0-9]+\Z")
# A host's first character, then no white space. Once ``[^\s/?#]+[^\s]*``: two overlapping
# repeats, so a refusal (``http://`` + n letters + a space) backtracked through n * n splits.
# The first character alone decides what the repeat did, so this one is linear.
_HTTP_URL = re.compile(r"https?://[^\s/?#][^\s]*\Z", re.IGNORECASE)

MAX_INTEGER_TEXT = 64  # characters (sign and leading zeros included) of an integer parameter
MAX_TEXT = 4096  # characters of a string parameter that declares no ``max_length`` of its own

Check = Callable[[Any], None]


@dataclass(frozen=True)
class Param:
    """One form parameter of a create or update operation."""

    name: str  # wire name, PascalCase (``FriendlyName``)
    field: str  # the response field it sets (``friendly_name``)
    type: str = "string"  # "string" | "boolean" | "integer"
    # "uri" | "http-method" | "sip-url" | "sid" | "phone-number" (declared only: the resource
    # checks E.164 with its own error code) | None
    format: Optional[str] = None
    enum: Tuple[str, ...] = ()
    max_length: Optional[int] = None
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    pattern: Optional[str] = None
    empty_is_null: bool = False  # ``Name=`` clears the field instead of storing ""
    fold_case: bool = False  # an enum taken in any case, stored in its (lower-case) spelling
    check: Optional[Check] = dc_field(default=None, compare=False)  # extra rule, raises TwilioError

    def text_limit(self) -> int:
        """The most characters a value of this parameter may have: ``max_length``, the longest
        enum member, ``MAX_INTEGER_TEXT`` for an integer, else ``MAX_TEXT``."""
        if self.max_length is not None:
            return self.max_length
        if self.enum:
            return max(len(e) for e in self.enum)
        if self.type == "integer":
            return MAX_INTEGER_TEXT
        return MAX_TEXT

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw``, or a 400 TwilioError naming the parameter and the rule."""
        if self.type == "boolean":
            low = raw.lower() if len(raw) <= 5 else ""
            if low == "true":
                return True
            if low == "false":
                return False
            raise errors.invalid_parameter(self.name, "must be true or false")
        if self.type == "integer":
            # measured before ``int()``: CPython refuses more than 4,300 digits with a ValueError
            # (a 500 once), and converting a long text costs time quadratic in its length
            if len(raw) > MAX_INTEGER_TEXT:
                raise errors.invalid_parameter(
                    self.name, f"must be an integer of at most {MAX_INTEGER_TEXT} characters"
                )
            if not _INT.match(raw):
                raise errors.invalid_parameter(self.name, "must be an integer")
            value = int(raw)
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                if self.maximum is None:
                    rule = f"must be an integer of at least {self.minimum}"
                else:
                    rule = f"must be an integer from {self.minimum} to {self.maximum}"
                raise errors.invalid_parameter(self.name, rule)
            return value
        if raw == "" and self.empty_is_null:
            return None
        if self.enum:
            # an enum bounds the text by its longest member, checked before any work on it
            if len(raw) <= max(len(e) for e in self.enum):
                if self.format == "http-method":
                    raw = raw.upper()
                elif self.fold_case:
                    raw = raw.lower()
            if raw not in self.enum:
                raise errors.invalid_parameter(self.name, "must be one of " + ", ".join(self.enum))
        limit = self.text_limit()
        if len(raw) > limit:
            raise errors.invalid_parameter(self.name, f"must be at most {limit} characters")
        if self.pattern is not None and not re.fullmatch(self.pattern, raw):
            raise errors.invalid_parameter(self.name, f"must match {self.pattern}")
        if self.format == "uri" and not _HTTP_URL.match(raw):
            raise errors.invalid_parameter(self.name, "must be an absolute http or https URL")
        if self.format == "sip-url":
            wrong = sipuri.problem(raw)
            if wrong is not None:
                raise errors.invalid_parameter(self.name, f"{sipuri.RULE}: {wrong}")
        if self.check is not None:
            self.check(raw)
        return raw


def sid_param(name: str, field: str, prefix: str) -> Param:
    return Param(name, field, format="sid", pattern=f"^{prefix}[0-9a-fA-F]{{32}}$", max_length=34)


def parse_form(
    params: Sequence[Param], form: Mapping[str, str], required: Sequence[str] = ()
) -> Dict[str, Any]:
    """Validate ``form`` against ``params``; returns ``{field: value}`` for the parameters given.

    Parameters are checked in declaration order and the first failure is raised, so an invalid
    request changes nothing.
    """
    values: Dict[str, Any] = {}
    for p in params:
        raw = form.get(p.name)
        if raw is None:
            if p.name in required:
                raise errors.missing_parameter(p.name)
            continue
        values[p.field] = p.parse(raw)
    return values
