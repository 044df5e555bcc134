"""paired kiosk devices, staff sign-in devices, and whether only staff may clear a machine

Revision ID: kiosks
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, server_default=""),
        sa.Column("machines", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(64), unique=True),
        sa.Column("claim_hash", sa.String(64), unique=True),
        sa.Column("code", sa.String(16), index=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_from", sa.String(64), nullable=False, server_default=""),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("confirmed_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "staff_devices",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_users.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("machine_settings") as batch:
        batch.add_column(sa.Column("staff_must_clear", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("machine_settings") as batch:
        batch.drop_column("staff_must_clear")
    op.drop_table("staff_devices")
    op.drop_table("kiosks")
