"""Identity normalisation (pure) and timeline cursors (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.cursor import decode_cursor, encode_cursor
from customers.exceptions import InvalidCursor, InvalidIdentity
from customers.identities import normalize_email, normalize_identity, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("1-202-555-0143", "US", "+12025550143"),
        ("+1 202 555 0143", "GB", "+12025550143"),
        ("tel:+1-202-555-0143", "US", "+12025550143"),
        ("8 (495) 123-45-67", "RU", "+74951234567"),
        ("+7 495 123 45 67", "US", "+74951234567"),
        ("8-495-1234567", "RU", "+74951234567"),
        ("810 7 495 123 45 67", "RU", "+74951234567"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("00 44 20 7946 0958", "GB", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
        ("  +15551234567 ", "US", "+15551234567"),  # fictional numbers still match
    ],
)
def test_phone_forms_normalise_to_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected
    assert normalize_identity("phone", raw, region) == expected


@pytest.mark.parametrize("garbage", ["hello", "", "   ", "12", "555", "+1 202 555 0143 9999 99"])
def test_phone_garbage_raises_invalid_identity(garbage: str) -> None:
    with pytest.raises(InvalidIdentity, match="phone") as info:
        normalize_identity("phone", garbage)
    assert isinstance(info.value, ValueError)


def test_email_is_stripped_and_casefolded() -> None:
    assert normalize_email("  Ann.Smith@Example.COM ") == "ann.smith@example.com"
    assert normalize_identity("email", "mailto:STRASSE@Example.de") == "strasse@example.de"


@pytest.mark.parametrize("garbage", ["ann", "ann@", "@example.com", "a b@example.com", "a@b"])
def test_email_garbage_raises(garbage: str) -> None:
    with pytest.raises(InvalidIdentity, match="email"):
        normalize_email(garbage)


def test_social_handles_are_casefolded_without_at_sign() -> None:
    assert normalize_identity("social", " @AnnSmith ") == "annsmith"
    assert normalize_identity("social", "Twitter:@AnnSmith") == "twitter:annsmith"


def test_opaque_ids_keep_their_case() -> None:
    assert normalize_identity("chat", " VisitorAbC123 ") == "VisitorAbC123"
    assert normalize_identity("messenger", "1234567890") == "1234567890"
    with pytest.raises(InvalidIdentity, match="whitespace"):
        normalize_identity("web", "two words")


def test_unknown_kind_is_named() -> None:
    with pytest.raises(InvalidIdentity, match="kind: 'fax'"):
        normalize_identity("fax", "123")


@given(
    st.sampled_from(["US", "GB", "RU", "DE"]),
    st.from_regex(r"\+?[0-9 ()\-.]{4,20}", fullmatch=True),
)
def test_phone_normalisation_is_idempotent(region: str, raw: str) -> None:
    try:
        once = normalize_phone(raw, region)
    except InvalidIdentity:
        return
    assert once.startswith("+")
    assert normalize_phone(once, region) == once
    assert normalize_phone(once, "US") == once  # E.164 does not depend on the region


@given(st.emails())
def test_email_normalisation_is_idempotent(email: str) -> None:
    once = normalize_email(email.upper())
    assert once == email.upper().casefold()
    assert normalize_email(once) == once


@given(
    st.datetimes(timezones=st.just(UTC), min_value=datetime(1971, 1, 1)),
    st.integers(min_value=1, max_value=2**62),
)
def test_cursor_round_trips(when: datetime, row_id: int) -> None:
    cursor = encode_cursor(when, row_id)
    assert decode_cursor(cursor) == (when, row_id)
    assert cursor.isascii() and "=" not in cursor


@pytest.mark.parametrize("bad", ["", "!!!", "bm90IGpzb24", encode_cursor(datetime(2024, 1, 1), 1)])
def test_bad_cursor_is_rejected(bad: str) -> None:
    # the last one is a naive datetime: never produced by the store
    with pytest.raises(InvalidCursor, match="before"):
        decode_cursor(bad)


def test_cursor_keeps_offset_instants() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC) + timedelta(microseconds=7)
    assert decode_cursor(encode_cursor(when, 3))[0] == when
