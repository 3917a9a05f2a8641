"""in-kind windows: a window offers money in a currency or help in kind in a unit

Revision ID: 8d2e4b6a1f07
Revises: 935271097bab
Create Date: 2026-12-02 03:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d2e4b6a1f07"
down_revision: str | None = "935271097bab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Every existing window offers money: it keeps its currency and has no unit."""
    op.add_column(
        "windows", sa.Column("unit", sa.String(length=40), nullable=True), schema="inventory"
    )
    op.alter_column(
        "windows", "currency", existing_type=sa.String(length=3), nullable=True, schema="inventory"
    )
    op.create_check_constraint(
        op.f("ck_windows_money_or_in_kind"),
        "windows",
        "num_nonnulls(currency, unit) = 1",
        schema="inventory",
    )


def downgrade() -> None:
    op.execute("DELETE FROM inventory.windows WHERE unit IS NOT NULL")
    op.drop_constraint(
        op.f("ck_windows_money_or_in_kind"), "windows", type_="check", schema="inventory"
    )
    op.alter_column(
        "windows", "currency", existing_type=sa.String(length=3), nullable=False, schema="inventory"
    )
    op.drop_column("windows", "unit", schema="inventory")
