"""initial tables

Revision ID: 935271097bab
Revises:
Create Date: 2026-11-23 09:54:38.995007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migrations import create_kernel_tables, drop_kernel_tables

revision: str = "935271097bab"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kernel_tables()
    op.create_table(
        "sources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("donor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("home_country", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("supports", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("conventions", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("area_keys", postgresql.ARRAY(sa.String(length=130)), nullable=False),
        sa.Column("assistance_types", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("eligibility_rule", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("eligible_states", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("eligible_regions", postgresql.ARRAY(sa.String(length=63)), nullable=False),
        sa.Column("eligible_income_groups", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("regional_focus", postgresql.ARRAY(sa.String(length=63)), nullable=False),
        sa.Column("min_grant", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("max_grant", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("cofinancing_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("proposal_languages", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("documents", postgresql.ARRAY(sa.String(length=300)), nullable=False),
        sa.Column("requirement_notes", sa.Text(), nullable=True),
        sa.Column("contact", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_sources_donor"), "sources", ["donor"], unique=False, schema="inventory"
    )
    op.create_index(
        op.f("ix_inventory_sources_status"), "sources", ["status"], unique=False, schema="inventory"
    )
    op.create_index(
        "ix_sources_area_keys",
        "sources",
        ["area_keys"],
        unique=False,
        schema="inventory",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_sources_conventions",
        "sources",
        ["conventions"],
        unique=False,
        schema="inventory",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_sources_created_at_id",
        "sources",
        ["created_at", "id"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        "ix_sources_regional_focus",
        "sources",
        ["regional_focus"],
        unique=False,
        schema="inventory",
        postgresql_using="gin",
    )
    op.create_table(
        "source_versions",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["inventory.sources.id"],
            name=op.f("fk_source_versions_source_id_sources"),
        ),
        sa.PrimaryKeyConstraint("source_id", "version", name="pk_source_versions"),
        schema="inventory",
    )
    op.create_table(
        "windows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("capacity", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("pledged", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column(
            "committed", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "reserved", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "disbursed", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_windows_capacity")),
        sa.CheckConstraint("closes >= opens", name=op.f("ck_windows_dates")),
        sa.CheckConstraint(
            "committed + reserved <= capacity", name=op.f("ck_windows_within_capacity")
        ),
        sa.CheckConstraint(
            "disbursed <= committed", name=op.f("ck_windows_disbursed_within_committed")
        ),
        sa.CheckConstraint(
            "least(pledged, committed, reserved, disbursed) >= 0",
            name=op.f("ck_windows_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["inventory.sources.id"], name=op.f("fk_windows_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_windows")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_windows_source_id"),
        "windows",
        ["source_id"],
        unique=False,
        schema="inventory",
    )
    op.create_table(
        "balances",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("pledged", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column(
            "committed", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "disbursed", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False
        ),
        sa.CheckConstraint(
            "disbursed <= committed", name=op.f("ck_balances_disbursed_within_committed")
        ),
        sa.CheckConstraint(
            "least(pledged, committed, disbursed) >= 0", name=op.f("ck_balances_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["inventory.windows.id"], name=op.f("fk_balances_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balances")),
        sa.UniqueConstraint(
            "window_id",
            "request_id",
            name=op.f("uq_balances_window_id"),
            postgresql_nulls_not_distinct=True,
        ),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_balances_request_id"),
        "balances",
        ["request_id"],
        unique=False,
        schema="inventory",
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("accepted_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status = 'failed' OR (amount > 0 AND window_id IS NOT NULL)",
            name=op.f("ck_reservations_held"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["inventory.windows.id"], name=op.f("fk_reservations_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("match_id", name=op.f("uq_reservations_match_id")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_reservations_request_id"),
        "reservations",
        ["request_id"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_reservations_source_id"),
        "reservations",
        ["source_id"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_reservations_window_id"),
        "reservations",
        ["window_id"],
        unique=False,
        schema="inventory",
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("corrects", sa.Uuid(), nullable=True),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_not_zero")),
        sa.CheckConstraint(
            "corrects IS NOT NULL OR amount > 0",
            name=op.f("ck_ledger_entries_positive_unless_correction"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects"],
            ["inventory.ledger_entries.id"],
            name=op.f("fk_ledger_entries_corrects_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["inventory.reservations.id"],
            name=op.f("fk_ledger_entries_reservation_id_reservations"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["inventory.sources.id"],
            name=op.f("fk_ledger_entries_source_id_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["inventory.windows.id"],
            name=op.f("fk_ledger_entries_window_id_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_ledger_entries_reservation_id")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_ledger_entries_corrects"),
        "ledger_entries",
        ["corrects"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_ledger_entries_request_id"),
        "ledger_entries",
        ["request_id"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_ledger_entries_source_id"),
        "ledger_entries",
        ["source_id"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_ledger_entries_window_id"),
        "ledger_entries",
        ["window_id"],
        unique=False,
        schema="inventory",
    )
    op.create_index(
        "ix_ledger_entries_created_at_id",
        "ledger_entries",
        ["created_at", "id"],
        unique=False,
        schema="inventory",
    )
    # Ledger entries are final: a correction is a new entry, never an edit.
    op.execute(
        """
        CREATE FUNCTION inventory.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger entries are never changed; record a correction instead';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_are_final BEFORE UPDATE OR DELETE ON"
        " inventory.ledger_entries FOR EACH ROW EXECUTE FUNCTION inventory.refuse_ledger_change()"
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_are_kept BEFORE TRUNCATE ON inventory.ledger_entries"
        " FOR EACH STATEMENT EXECUTE FUNCTION inventory.refuse_ledger_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER ledger_entries_are_kept ON inventory.ledger_entries")
    op.execute("DROP TRIGGER ledger_entries_are_final ON inventory.ledger_entries")
    op.execute("DROP FUNCTION inventory.refuse_ledger_change()")
    op.drop_index(
        "ix_ledger_entries_created_at_id", table_name="ledger_entries", schema="inventory"
    )
    op.drop_index(
        op.f("ix_inventory_ledger_entries_window_id"),
        table_name="ledger_entries",
        schema="inventory",
    )
    op.drop_index(
        op.f("ix_inventory_ledger_entries_source_id"),
        table_name="ledger_entries",
        schema="inventory",
    )
    op.drop_index(
        op.f("ix_inventory_ledger_entries_request_id"),
        table_name="ledger_entries",
        schema="inventory",
    )
    op.drop_index(
        op.f("ix_inventory_ledger_entries_corrects"),
        table_name="ledger_entries",
        schema="inventory",
    )
    op.drop_table("ledger_entries", schema="inventory")
    op.drop_index(
        op.f("ix_inventory_reservations_window_id"), table_name="reservations", schema="inventory"
    )
    op.drop_index(
        op.f("ix_inventory_reservations_source_id"), table_name="reservations", schema="inventory"
    )
    op.drop_index(
        op.f("ix_inventory_reservations_request_id"), table_name="reservations", schema="inventory"
    )
    op.drop_table("reservations", schema="inventory")
    op.drop_index(
        op.f("ix_inventory_balances_request_id"), table_name="balances", schema="inventory"
    )
    op.drop_table("balances", schema="inventory")
    op.drop_index(op.f("ix_inventory_windows_source_id"), table_name="windows", schema="inventory")
    op.drop_table("windows", schema="inventory")
    op.drop_table("source_versions", schema="inventory")
    op.drop_index(
        "ix_sources_regional_focus",
        table_name="sources",
        schema="inventory",
        postgresql_using="gin",
    )
    op.drop_index("ix_sources_created_at_id", table_name="sources", schema="inventory")
    op.drop_index(
        "ix_sources_conventions", table_name="sources", schema="inventory", postgresql_using="gin"
    )
    op.drop_index(
        "ix_sources_area_keys", table_name="sources", schema="inventory", postgresql_using="gin"
    )
    op.drop_index(op.f("ix_inventory_sources_status"), table_name="sources", schema="inventory")
    op.drop_index(op.f("ix_inventory_sources_donor"), table_name="sources", schema="inventory")
    op.drop_table("sources", schema="inventory")
    drop_kernel_tables()
