"""Alembic environment of the requests service: its own schema and version table."""

from shared.migrations import run_migrations

run_migrations()
