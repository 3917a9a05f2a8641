"""country coalitions, their members and dialogue log; the ledger entries matching keeps

Revision ID: c4d7a2e9f1b3
Revises: 9a3f6e1c2b84
Create Date: 2026-12-03 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4d7a2e9f1b3"
down_revision: str | None = "9a3f6e1c2b84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _jsonb() -> postgresql.JSONB:
    return postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    """The ledger entries start empty: a rebuild (`python -m services.matching rebuild`) reads
    those already on the funds topic."""
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", _text(3), nullable=True),
        sa.Column("unit", _text(40), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_entries")),
        schema=SCHEMA,
    )
    for column in ("source_id", "request_id"):
        op.create_index(
            op.f(f"ix_matching_ledger_entries_{column}"), "ledger_entries", [column], schema=SCHEMA
        )
    op.create_table(
        "coalitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", _text(3), nullable=False),
        sa.Column("regional_centre", _text(63), nullable=True),
        sa.Column("convention", _text(20), nullable=False),
        sa.Column("areas", _jsonb(), nullable=False),
        sa.Column("title", _text(300), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("lead", _text(100), nullable=True),
        sa.Column("proposed_by", _text(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coalitions")),
        schema=SCHEMA,
    )
    for column in ("state", "regional_centre"):
        op.create_index(
            op.f(f"ix_matching_coalitions_{column}"), "coalitions", [column], schema=SCHEMA
        )
    op.create_table(
        "coalition_members",
        sa.Column("coalition_id", sa.Uuid(), nullable=False),
        sa.Column("party", _text(100), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", _text(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["coalition_id"],
            ["matching.coalitions.id"],
            name=op.f("fk_coalition_members_coalition_id_coalitions"),
        ),
        sa.PrimaryKeyConstraint("coalition_id", "party", name=op.f("pk_coalition_members")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_matching_coalition_members_party"), "coalition_members", ["party"], schema=SCHEMA
    )
    op.create_table(
        "coalition_dialogue",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coalition_id", sa.Uuid(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("participants", _jsonb(), nullable=False),
        sa.Column("agreed", _text(4000), nullable=False),
        sa.Column("follow_ups", _jsonb(), nullable=False),
        sa.Column("recorded_by", _text(120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coalition_id"],
            ["matching.coalitions.id"],
            name=op.f("fk_coalition_dialogue_coalition_id_coalitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coalition_dialogue")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_matching_coalition_dialogue_coalition_id"),
        "coalition_dialogue",
        ["coalition_id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("coalition_dialogue", schema=SCHEMA)
    op.drop_table("coalition_members", schema=SCHEMA)
    op.drop_table("coalitions", schema=SCHEMA)
    op.drop_table("ledger_entries", schema=SCHEMA)
