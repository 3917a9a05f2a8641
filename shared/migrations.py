"""Per-service migrations: its own role, its own schema, its own Alembic version table.

`upgrade` is a step of its own, run before the services start (`make run`, the tests,
docker-compose's migrate job). It first creates the service's role and schema as the administrative
user, then runs Alembic as the service's role, which therefore owns its tables and nothing else.
"""

from __future__ import annotations

import asyncio
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from shared.db import NAMING_CONVENTION, asyncpg_dsn
from shared.tables import KernelTables

if TYPE_CHECKING:
    from shared.runtime import ServiceDefinition
    from shared.settings import ServiceSettings

VERSION_TABLE = "alembic_version"


async def prepare_schema(settings: ServiceSettings) -> None:
    """Create (or update) the service's login role and its schema; idempotent and serialised."""
    role, schema = settings.database_role, settings.database_schema
    password = settings.database_password.get_secret_value()
    admin = await asyncpg.connect(asyncpg_dsn(settings.admin_database_url))
    try:
        async with admin.transaction():
            await admin.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(b"prepare_schema"))
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await _execute_formatted(admin, f"{verb} ROLE %I LOGIN PASSWORD %L", role, password)
            await _execute_formatted(
                admin, "CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I", schema, role
            )
            await _execute_formatted(admin, "ALTER ROLE %I SET search_path = %I", role, schema)
            await admin.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            database = await admin.fetchval("SELECT current_database()")
            await _execute_formatted(admin, "GRANT CONNECT ON DATABASE %I TO %I", database, role)
    finally:
        await admin.close()


async def _execute_formatted(connection: asyncpg.Connection, template: str, *args: str) -> None:
    """Run DDL built by PostgreSQL's own format(), which quotes identifiers and literals safely."""
    statement = await connection.fetchval(
        "SELECT format($1, " + ", ".join(f"${i + 2}::text" for i in range(len(args))) + ")",
        template,
        *args,
    )
    await connection.execute(statement)


def alembic_config(definition: ServiceDefinition, settings: ServiceSettings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(definition.migrations))
    config.set_main_option("version_path_separator", "os")
    config.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
    for hook, arguments in (
        ("ruff_fix", "check --fix REVISION_SCRIPT_FILENAME"),
        ("ruff_format", "format REVISION_SCRIPT_FILENAME"),
    ):
        config.set_section_option("post_write_hooks", f"{hook}.type", "exec")
        config.set_section_option(
            "post_write_hooks", f"{hook}.executable", str(Path(sys.executable).with_name("ruff"))
        )
        config.set_section_option("post_write_hooks", f"{hook}.options", arguments)
    config.attributes["url"] = settings.service_database_url
    config.attributes["metadata"] = definition.metadata
    config.attributes["schema"] = settings.database_schema
    return config


def upgrade(
    definition: ServiceDefinition, settings: ServiceSettings, revision: str = "head"
) -> None:
    asyncio.run(prepare_schema(settings))
    command.upgrade(alembic_config(definition, settings), revision)


def make_revision(definition: ServiceDefinition, settings: ServiceSettings, message: str) -> None:
    """Autogenerate a migration from the difference between the tables and the database."""
    asyncio.run(prepare_schema(settings))
    command.revision(alembic_config(definition, settings), message=message, autogenerate=True)


def run_migrations() -> None:
    """The body of every service's `migrations/env.py`."""
    attributes = context.config.attributes
    schema: str = attributes["schema"]
    options: dict[str, Any] = {
        "target_metadata": attributes["metadata"],
        "version_table": VERSION_TABLE,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": lambda name, kind, _parent: kind != "schema" or name == schema,
        "compare_type": True,
    }

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = async_engine_from_config(
            {"sqlalchemy.url": attributes["url"]}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


def create_kernel_tables() -> None:
    """In a service's first migration: the kernel's tables (outbox, inbox, API keys, idempotency
    keys) in the schema being migrated, exactly as `shared.tables` declares them."""
    bind = op.get_bind()
    for table in _kernel_tables().all:
        table.create(bind)


def drop_kernel_tables() -> None:
    bind = op.get_bind()
    for table in reversed(_kernel_tables().all):
        table.drop(bind)


def _kernel_tables() -> KernelTables:
    schema: str = context.config.attributes["schema"]
    return KernelTables.on(MetaData(schema=schema, naming_convention=NAMING_CONVENTION))
