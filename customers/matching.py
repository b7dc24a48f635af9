"""The weaker identity rule behind a "maybe" match. Pure functions, no I/O.

An identity is *known* when its normalised value (see :mod:`customers.identities`) is stored.
It is a *maybe* when it differs but shares a **match key** with a stored identity:

* ``phone``: the same national significant number under another country code
  (``+12079460958`` and ``+442079460958`` both key ``phone~2079460958``), which is what a number
  typed without its country code, and parsed in the wrong default region, turns into.
* ``email``: the same mailbox once a ``+tag`` is removed from the local part (sub-addressing,
  ``ann+shop@x.com`` ~ ``ann@x.com``); for Gmail the dots in the local part are ignored too and
  ``googlemail.com`` is ``gmail.com`` (``a.n.n@googlemail.com`` ~ ``ann@gmail.com``).
* ``social``: the same handle on another (or no) network prefix (``twitter:ann`` ~ ``ann``).
* ``chat``, ``messenger``, ``web``, ``external``: none; opaque platform ids never "maybe" match.

A maybe match is a suggestion for a person to confirm (merge), never acted on silently.
"""

from __future__ import annotations

import phonenumbers

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

RULES: dict[str, str] = {
    "phone": "same national number under another country code",
    "email": "same mailbox ignoring a +tag (and dots, for Gmail)",
    "social": "same handle on another network",
}


def match_key(kind: str, value: str) -> str | None:
    """The key two *normalised* identities share when they maybe belong to one person."""
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return None
        national = phonenumbers.national_significant_number(number)
        return f"phone~{national}" if national else None
    if kind == "email":
        local, _, domain = value.rpartition("@")
        local = local.split("+", 1)[0]
        if domain in GMAIL_DOMAINS:
            local, domain = local.replace(".", ""), "gmail.com"
        return f"email~{local}@{domain}" if local else None
    if kind == "social":
        handle = value.rpartition(":")[2]
        return f"social~{handle}" if handle else None
    return None


def rule(kind: str) -> str:
    """A sentence naming the rule that made two identities of ``kind`` a maybe match."""
    return RULES.get(kind, "no maybe rule")
