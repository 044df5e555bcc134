"""a chain of stores: stores, machine snapshots, head-office orders and links; jobs carry their store and the
figures the head office shows; job events are keyed by store and id on PostgreSQL; ratings, ledger entries and
follows carry their store

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
# facts of the designers' work (migration 0005) whose ids are uuid hex already: they only need their store
STORE_STAMPED = ("ratings", "ledger_entries", "follows")


def upgrade() -> None:
    op.create_table(
        "stores",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("city", sa.String(80), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "machine_snapshots",
        sa.Column("store", sa.String(64), primary_key=True),
        sa.Column("machine_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("job_id", sa.String(32)),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "hq_orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("store", sa.String(64), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("template_version_id", sa.String(32)),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("machine_kind", sa.String(32), nullable=False),
        sa.Column("material", sa.String(64), nullable=False),
        sa.Column("customer_name", sa.String(60), nullable=False, server_default=""),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tip", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "store_links",
        sa.Column("store", sa.String(64), primary_key=True),
        sa.Column("conninfo", sa.String(1000), nullable=False),
        sa.Column("slot_name", sa.String(64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("store", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hq_order_id", sa.String(32)))
        batch.add_column(sa.Column("template_id", sa.String(64)))
        batch.add_column(sa.Column("machine_kind", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("material", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("total", sa.Numeric(12, 2), nullable=False, server_default="0"))
        batch.add_column(sa.Column("currency", sa.String(3), nullable=False, server_default=""))
        batch.create_index("ix_jobs_store", ["store"])
        batch.create_index("ix_jobs_hq_order_id", ["hq_order_id"])
    # the figures of jobs made before: from their quote and plan (the head office shows them after a join)
    op.execute(
        "UPDATE jobs SET total = (SELECT q.total FROM quotes q WHERE q.id = jobs.quote_id), "
        "currency = (SELECT q.currency FROM quotes q WHERE q.id = jobs.quote_id), "
        "material = (SELECT p.material FROM quotes q JOIN plans p ON p.id = q.plan_id WHERE q.id = jobs.quote_id), "
        "template_id = (SELECT d.template_id FROM quotes q JOIN plans p ON p.id = q.plan_id "
        "JOIN parts pa ON pa.id = p.part_id JOIN designs d ON d.id = pa.design_id WHERE q.id = jobs.quote_id)"
    )
    op.add_column("job_events", sa.Column("store", sa.String(64), nullable=False, server_default=""))
    for table in STORE_STAMPED:
        op.add_column(table, sa.Column("store", sa.String(64), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        # every store counts its events from 1: at the head office they meet, so the key is (store, id). SQLite
        # keeps id alone as its key (its counter works only there), and a chain runs on PostgreSQL anyway.
        op.execute("ALTER TABLE job_events DROP CONSTRAINT job_events_pkey")
        op.execute("ALTER TABLE job_events ADD PRIMARY KEY (store, id)")
        # an order reaches its store through a row filter on `store`; PostgreSQL publishes updates (a cancel) of a
        # filtered table only when the filter's columns are in the replica identity
        op.execute("CREATE UNIQUE INDEX hq_orders_id_store ON hq_orders (id, store)")
        op.execute("ALTER TABLE hq_orders REPLICA IDENTITY USING INDEX hq_orders_id_store")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE job_events DROP CONSTRAINT job_events_pkey")
        op.execute("ALTER TABLE job_events ADD PRIMARY KEY (id)")
    for table in STORE_STAMPED:
        op.drop_column(table, "store")
    op.drop_column("job_events", "store")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_hq_order_id")
        batch.drop_index("ix_jobs_store")
        for column in ("currency", "total", "material", "machine_kind", "template_id", "hq_order_id", "store"):
            batch.drop_column(column)
    op.drop_table("store_links")
    op.drop_table("hq_orders")
    op.drop_table("machine_snapshots")
    op.drop_table("stores")
