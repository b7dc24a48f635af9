"""Password hashing: scrypt with a salt per password and its cost in the string."""

from __future__ import annotations

import hashlib

import pytest

from omnivox.auth.passwords import (
    DEFAULT_COST,
    Cost,
    PasswordError,
    hash_password,
    needs_rehash,
    parse_hash,
    verify_password,
)

CHEAP = Cost(n=2**10, r=8, p=1)


def test_hash_round_trips_and_rejects_other_passwords() -> None:
    stored = hash_password("correct horse", CHEAP)
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password("", stored)


def test_each_hash_has_its_own_salt() -> None:
    one, two = hash_password("same", CHEAP), hash_password("same", CHEAP)
    assert one != two
    assert parse_hash(one)[1] != parse_hash(two)[1]  # type: ignore[index]
    assert verify_password("same", one) and verify_password("same", two)


def test_the_string_carries_the_parameters_and_is_real_scrypt() -> None:
    stored = hash_password("pw", CHEAP)
    scheme, n, r, p, _salt, _key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "1024", "8", "1")
    cost, salt, key = parse_hash(stored)  # type: ignore[misc]
    assert cost == CHEAP
    assert key == hashlib.scrypt(b"pw", salt=salt, n=1024, r=8, p=1, dklen=len(key))


def test_default_cost_is_used_when_none_given() -> None:
    stored = hash_password("pw")
    assert parse_hash(stored)[0] == DEFAULT_COST  # type: ignore[index]
    assert DEFAULT_COST.n >= 2**15


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "plain-text-password",
        "scrypt$1024$8$1$c2FsdA",  # a field missing
        "bcrypt$1024$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",
        "scrypt$1000$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",  # n not a power of two
        "scrypt$1024$8$1$!!!$a2V5a2V5a2V5a2V5a2V5",
        "scrypt$4194304$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",  # a cost that would stall us
    ],
)
def test_missing_or_malformed_hashes_never_verify(stored: str | None) -> None:
    assert verify_password("pw", stored) is False


def test_bad_passwords_cannot_be_hashed() -> None:
    with pytest.raises(PasswordError, match="non-empty"):
        hash_password("", CHEAP)
    with pytest.raises(PasswordError, match="longer than"):
        hash_password("x" * 2000, CHEAP)
    assert not verify_password("x" * 2000, hash_password("x", CHEAP))


def test_cost_is_validated() -> None:
    with pytest.raises(ValueError, match="power of two"):
        Cost(n=1000)
    with pytest.raises(ValueError, match="r must be"):
        Cost(r=0)


def test_needs_rehash_when_the_cost_went_up() -> None:
    weak = hash_password("pw", CHEAP)
    assert needs_rehash(weak)
    assert not needs_rehash(weak, CHEAP)
    assert needs_rehash("not a hash", CHEAP)
