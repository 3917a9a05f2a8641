"""indicator records: what source views hold for the indicators, ledger facts, state reports

The source views and ledger facts are filled from the events the service already keeps
(`events`), so the indicators count what came before this revision too.

Revision ID: c4e7a2b9d031
Revises: 5e8c1a7d3f29
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4e7a2b9d031"
down_revision: str | None = "5e8c1a7d3f29"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_CHANGED = "org.clearinghouse.source.changed.v%"
LEDGER_ENTRY = "org.clearinghouse.funds.ledger-entry-recorded.v%"


def _source_columns() -> None:
    json_list = {"server_default": sa.text("'[]'::jsonb"), "nullable": False}
    columns = [
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("home_country", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("supports", postgresql.JSONB(astext_type=sa.Text()), **json_list),
        sa.Column(
            "assistance_types",
            postgresql.ARRAY(sa.String(length=60)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("windows", postgresql.JSONB(astext_type=sa.Text()), **json_list),
    ]
    for column in columns:
        op.add_column("source_views", column, schema="notifications")
    op.create_index(
        op.f("ix_notifications_source_views_home_country"),
        "source_views",
        ["home_country"],
        unique=False,
        schema="notifications",
    )


def _backfill() -> None:
    op.execute(
        f"""
        UPDATE notifications.source_views AS v
        SET kind = s.doc->>'kind', home_country = s.doc->>'home_country',
            status = s.doc->>'status', supports = s.doc->'supports', windows = s.doc->'windows',
            assistance_types = ARRAY(SELECT jsonb_array_elements_text(s.doc->'assistance_types'))
        FROM (
            SELECT DISTINCT ON (data->'source'->>'source_id') data->'source' AS doc
            FROM notifications.events WHERE type LIKE '{SOURCE_CHANGED}'
            ORDER BY data->'source'->>'source_id', (data->'source'->>'version')::int DESC
        ) AS s
        WHERE v.source_id = (s.doc->>'source_id')::uuid
        """
    )
    op.execute(
        f"""
        INSERT INTO notifications.ledger_facts
            (entry_id, source_id, request_id, kind, amount, currency, unit, day)
        SELECT (data->>'entry_id')::uuid, (data->>'source_id')::uuid,
            (data->>'request_id')::uuid, data->>'kind', (data->>'amount')::numeric,
            data->>'currency', data->>'unit', (data->>'date')::date
        FROM notifications.events WHERE type LIKE '{LEDGER_ENTRY}'
        ON CONFLICT DO NOTHING
        """
    )


def upgrade() -> None:
    _source_columns()
    op.create_table(
        "ledger_facts",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_facts")),
        schema="notifications",
    )
    for column in ("source_id", "request_id"):
        op.create_index(
            op.f(f"ix_notifications_ledger_facts_{column}"),
            "ledger_facts",
            [column],
            unique=False,
            schema="notifications",
        )
    op.create_table(
        "state_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("convention", sa.String(length=40), nullable=False),
        sa.Column("fact", sa.String(length=60), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_reports")),
        schema="notifications",
    )
    op.create_index(
        op.f("ix_notifications_state_reports_state"),
        "state_reports",
        ["state"],
        unique=False,
        schema="notifications",
    )
    _backfill()


def downgrade() -> None:
    op.drop_table("state_reports", schema="notifications")
    op.drop_table("ledger_facts", schema="notifications")
    op.drop_index(
        op.f("ix_notifications_source_views_home_country"),
        table_name="source_views",
        schema="notifications",
    )
    for name in ("kind", "home_country", "status", "supports", "windows", "assistance_types"):
        op.drop_column("source_views", name, schema="notifications")
