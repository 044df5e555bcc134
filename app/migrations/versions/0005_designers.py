"""designers, published template versions, submissions, follows, ratings, the designers' ledger; quotes keep the
template version and designer share they were given with, jobs their tip

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "designers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("city", sa.String(80), nullable=False, index=True),
        sa.Column("about", sa.JSON(), nullable=False),
        sa.Column("portrait_path", sa.String(500)),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_users.id"), unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "template_versions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("template_id", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("designer_id", sa.String(32), sa.ForeignKey("designers.id"), nullable=False, index=True),
        sa.Column("meta_toml", sa.Text(), nullable=False),
        sa.Column("scad_source", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("share_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("cities", sa.JSON(), nullable=False),
        sa.Column("submission_id", sa.String(32)),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(80), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("template_id", "version"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("designer_id", sa.String(32), sa.ForeignKey("designers.id"), nullable=False, index=True),
        sa.Column("template_id", sa.String(64), nullable=False, index=True),
        sa.Column("meta_toml", sa.Text(), nullable=False),
        sa.Column("scad_source", sa.Text(), nullable=False),
        sa.Column("share_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("intake", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("reviewed_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("version_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("designer_id", sa.String(32), sa.ForeignKey("designers.id"), nullable=False, index=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), nullable=False, unique=True),
        sa.Column("template_id", sa.String(64), index=True),
        sa.Column("template_version_id", sa.String(32)),
        sa.Column("designer_id", sa.String(32), index=True),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(280), nullable=False, server_default=""),
        sa.Column("lang", sa.String(8), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("designer_id", sa.String(32), sa.ForeignKey("designers.id"), nullable=False, index=True),
        sa.Column("template_id", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reverses", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("template_version_id", sa.String(32)))
        batch.add_column(sa.Column("designer_id", sa.String(32)))
        batch.add_column(sa.Column("designer_share", sa.Numeric(12, 2), nullable=False, server_default="0"))
        batch.create_index("ix_quotes_template_version_id", ["template_version_id"])
        batch.create_index("ix_quotes_designer_id", ["designer_id"])
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("tip", sa.Numeric(12, 2), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("tip")
    with op.batch_alter_table("quotes") as batch:
        batch.drop_index("ix_quotes_designer_id")
        batch.drop_index("ix_quotes_template_version_id")
        batch.drop_column("designer_share")
        batch.drop_column("designer_id")
        batch.drop_column("template_version_id")
    for table in ("ledger_entries", "ratings", "follows", "submissions", "template_versions", "designers"):
        op.drop_table(table)
