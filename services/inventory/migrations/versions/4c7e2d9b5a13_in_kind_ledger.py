"""in-kind ledger: reservations and ledger entries count help in kind in a window's unit

Revision ID: 4c7e2d9b5a13
Revises: 8d2e4b6a1f07
Create Date: 2026-12-02 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c7e2d9b5a13"
down_revision: str | None = "8d2e4b6a1f07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT = sa.String(length=40)


def upgrade() -> None:
    """Every existing reservation and entry is money: it keeps its currency and has no unit."""
    op.add_column("reservations", sa.Column("unit", UNIT, nullable=True), schema="inventory")
    op.add_column("ledger_entries", sa.Column("unit", UNIT, nullable=True), schema="inventory")
    op.alter_column(
        "ledger_entries",
        "currency",
        existing_type=sa.String(length=3),
        nullable=True,
        schema="inventory",
    )
    op.create_check_constraint(
        op.f("ck_ledger_entries_money_or_in_kind"),
        "ledger_entries",
        "num_nonnulls(currency, unit) = 1",
        schema="inventory",
    )


def downgrade() -> None:
    op.execute("DELETE FROM inventory.ledger_entries WHERE unit IS NOT NULL")
    op.drop_constraint(
        op.f("ck_ledger_entries_money_or_in_kind"),
        "ledger_entries",
        type_="check",
        schema="inventory",
    )
    op.alter_column(
        "ledger_entries",
        "currency",
        existing_type=sa.String(length=3),
        nullable=False,
        schema="inventory",
    )
    op.drop_column("ledger_entries", "unit", schema="inventory")
    op.drop_column("reservations", "unit", schema="inventory")
