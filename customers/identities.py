"""Normalising identity values so the same person is found from any channel.

Pure functions, no I/O. Rules per kind:

* ``phone``: E.164 via ``phonenumbers``; national forms, trunk prefixes (``8`` in Russia,
  ``0`` in the UK), international dialling prefixes of the default region (``011``, ``00``,
  ``810``), punctuation and ``tel:`` are accepted. Only the *length* is checked (a "possible"
  number), not the numbering plan, so test and fictional numbers such as +1 555... still match.
* ``email``: stripped, ``mailto:`` removed, case-folded as a whole (mail providers treat the
  local part case-insensitively in practice, and a caller who once typed capitals must match).
* ``social``: stripped, a leading ``@`` removed (also after a ``network:`` prefix) and
  case-folded, because handles on the major networks are case-insensitive.
* ``chat``, ``messenger``, ``web``, ``external``: stripped only; these are opaque platform ids
  (page-scoped ids, visitor tokens) in which case can matter.
"""

from __future__ import annotations

import phonenumbers

from customers.exceptions import InvalidIdentity

IDENTITY_KINDS: tuple[str, ...] = (
    "phone",
    "email",
    "chat",
    "messenger",
    "social",
    "web",
    "external",
)
MAX_IDENTITY_LENGTH = 256


def normalize_phone(value: str, default_region: str = "US") -> str:
    """``value`` as an E.164 number; raise :class:`InvalidIdentity` if it is not a number."""
    text = _text("phone", value)
    if text.lower().startswith("tel:"):
        text = text[4:].strip()
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity("phone", f"{value!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentity(
            "phone", f"{value!r} has the wrong number of digits for a phone number"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    """``value`` stripped and case-folded; raise :class:`InvalidIdentity` unless it looks like
    ``local@domain``."""
    text = _text("email", value)
    if text.lower().startswith("mailto:"):
        text = text[7:].strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "." not in domain.strip("."):
        raise InvalidIdentity("email", f"{value!r} is not an e-mail address (local@domain.tld)")
    if any(ch.isspace() for ch in text) or "@" in local:
        raise InvalidIdentity("email", f"{value!r} is not an e-mail address")
    return text.casefold()


def normalize_identity(kind: str, value: str, default_region: str = "US") -> str:
    """The canonical form of an identity ``value`` of ``kind`` (see the module docstring)."""
    if kind not in IDENTITY_KINDS:
        raise InvalidIdentity("kind", f"{kind!r} is not one of {', '.join(IDENTITY_KINDS)}")
    if kind == "phone":
        return normalize_phone(value, default_region)
    if kind == "email":
        return normalize_email(value)
    text = _text(kind, value)
    if any(ch.isspace() for ch in text):
        raise InvalidIdentity(kind, f"{value!r} contains whitespace")
    if kind == "social":
        network, sep, handle = text.rpartition(":")
        handle = handle.lstrip("@")
        if not handle:
            raise InvalidIdentity(kind, f"{value!r} has no handle")
        text = f"{network}{sep}{handle}".casefold()
    return text


def _text(kind: str, value: str) -> str:
    if not isinstance(value, str):
        raise InvalidIdentity(kind, f"expected text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidIdentity(kind, "empty value")
    if len(text) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentity(kind, f"longer than {MAX_IDENTITY_LENGTH} characters")
    return text
