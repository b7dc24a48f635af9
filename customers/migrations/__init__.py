"""Alembic environment of the customer store (a package so that installs ship it)."""
