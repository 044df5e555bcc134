"""designs, parts, plans, quotes

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "designs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(64)),
        sa.Column("template_hash", sa.String(64)),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("upload_path", sa.String(500)),
        sa.Column("upload_format", sa.String(8)),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "parts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("design_id", sa.String(32), sa.ForeignKey("designs.id"), nullable=False, index=True),
        sa.Column("machine_id", sa.String(64), nullable=False),
        sa.Column("geometry_path", sa.String(500), nullable=False),
        sa.Column("preview_path", sa.String(500)),
        sa.Column("content_hash", sa.String(64), nullable=False, index=True),
        sa.Column("size_x", sa.Float(), nullable=False),
        sa.Column("size_y", sa.Float(), nullable=False),
        sa.Column("size_z", sa.Float(), nullable=False),
        sa.Column("volume_mm3", sa.Float(), nullable=False),
        sa.Column("triangles", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("part_id", sa.String(32), sa.ForeignKey("parts.id"), nullable=False, index=True),
        sa.Column("machine_id", sa.String(64), nullable=False, index=True),
        sa.Column("material", sa.String(64), nullable=False),
        sa.Column("program_path", sa.String(500)),
        sa.Column("estimated_seconds", sa.Integer(), nullable=False),
        sa.Column("material_grams", sa.Float(), nullable=False),
        sa.Column("sheet_cm2", sa.Float(), nullable=False),
        sa.Column("layers", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("plan_id", sa.String(32), sa.ForeignKey("plans.id"), nullable=False, index=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("material_cost", sa.Numeric(12, 2), nullable=False),
        sa.Column("machine_cost", sa.Numeric(12, 2), nullable=False),
        sa.Column("setup_fee", sa.Numeric(12, 2), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by_job", sa.String(32), index=True),
    )


def downgrade() -> None:
    for table in ("quotes", "plans", "parts", "designs"):
        op.drop_table(table)
