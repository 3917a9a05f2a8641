"""projects: funded requests carried out, their progress reports and their alerts

Revision ID: c4a8e1f6d2b9
Revises: b7f3a9c2d615
Create Date: 2026-12-03 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4a8e1f6d2b9"
down_revision: str | None = "b7f3a9c2d615"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("regional_centre", sa.String(length=63), nullable=True),
        sa.Column("convention", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("implementing_partner", sa.String(length=100), nullable=False),
        sa.Column("funders", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("budget", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("milestones", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("schedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends >= starts", name=op.f("ck_projects_dates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        schema=SCHEMA,
    )
    for column in ("request_id", "state", "implementing_partner", "status"):
        op.create_index(
            op.f(f"ix_inventory_projects_{column}"), "projects", [column], schema=SCHEMA
        )
    op.create_index(
        "ix_projects_funders", "projects", ["funders"], postgresql_using="gin", schema=SCHEMA
    )
    op.create_index("ix_projects_created_at_id", "projects", ["created_at", "id"], schema=SCHEMA)
    op.create_table(
        "project_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("challenges", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("filed_by", sa.String(length=120), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_project_reports_period")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            [f"{SCHEMA}.projects.id"],
            name=op.f("fk_project_reports_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_reports")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_inventory_project_reports_project_id"),
        "project_reports",
        ["project_id"],
        schema=SCHEMA,
    )
    op.create_table(
        "project_alerts",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            [f"{SCHEMA}.projects.id"],
            name=op.f("fk_project_alerts_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("project_id", "kind", "item", name="pk_project_alerts"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("project_alerts", schema=SCHEMA)
    op.drop_table("project_reports", schema=SCHEMA)
    op.drop_table("projects", schema=SCHEMA)
