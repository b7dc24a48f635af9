"""Shared pytest configuration: fixtures live in tests/fixtures/, one module per real service."""

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.asterisk",
    "tests.fixtures.browser",
    "tests.fixtures.tasks",
]
