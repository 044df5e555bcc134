"""Upgrading a running chain: replication carries no schema, so each migration is checked against the peers'
schemas before it commits. A column added to a fact table goes to the head office (the subscriber) first; a store
trying first is refused with nothing changed, and facts keep flowing through the whole upgrade."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from app.chain.upgrade import UpgradeRefused, _link_problems, alembic_config, migrate_member
from tests.chain_members import Member, kiosk_job, running_chain, wait_until

# the test's own migration: jobs remember which cluster wrote them (each cluster has its own cluster_name)
MIGRATION = '''"""jobs remember where they were written (test only)"""
import sqlalchemy as sa
from alembic import op

revision = "t_made_at"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "jobs",
        sa.Column("made_at", sa.String(64), nullable=False, server_default=sa.text("current_setting('cluster_name')")),
    )


def downgrade() -> None:
    op.drop_column("jobs", "made_at")
'''


def _migrate(member: Member, versions: Path) -> list[str]:
    engine = create_engine(member.cluster.url)
    try:
        return migrate_member(engine, member.settings.chain, [versions])
    finally:
        engine.dispose()


def _has_column(member: Member) -> bool:
    sql = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'made_at'"
    return bool(member.scalar(sql))


def test_a_running_chain_is_upgraded_head_office_first_while_facts_keep_flowing(tmp_path: Path) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "t_made_at.py").write_text(MIGRATION.format(head=head))
    with running_chain({"koeln": "Köln", "leipzig": "Leipzig"}) as (hq, stores):
        done = threading.Event()
        made: dict[str, list[str]] = {name: [] for name in stores}

        def keep_taking_jobs(name: str) -> None:
            while not done.is_set():
                made[name].append(kiosk_job(stores[name]))

        workers = [threading.Thread(target=keep_taking_jobs, args=(name,)) for name in stores]
        for worker in workers:
            worker.start()
        try:
            with pytest.raises(UpgradeRefused, match=r"jobs\.made_at would be sent but not received: the head office"):
                _migrate(stores["koeln"], versions)
            assert not _has_column(stores["koeln"])  # refused before it committed

            assert _migrate(hq, versions) == ["t_made_at"]
            assert _migrate(stores["koeln"], versions) == ["t_made_at"]
            upgraded_at = len(made["koeln"])
            wait_until(lambda: len(made["koeln"]) >= upgraded_at + 2, 120)  # jobs made on the new schema
            assert _migrate(stores["leipzig"], versions) == ["t_made_at"]
            assert _migrate(stores["leipzig"], versions) == []  # again: nothing to do
        finally:
            done.set()
            for worker in workers:
                worker.join(timeout=120)
        for name, store in stores.items():
            here = {row[0] for row in store.rows("SELECT id FROM jobs")}
            wait_until(lambda n=name, h=here: {r[0] for r in hq.rows("SELECT id FROM jobs WHERE store = :s", s=n)} == h)
            assert set(made[name]) <= here
        late = made["koeln"][upgraded_at:]
        # what the store wrote in the new column arrives as it wrote it
        assert {r[0] for r in hq.rows("SELECT made_at FROM jobs WHERE id = ANY(:ids)", ids=late)} == {"koeln"}


@pytest.mark.parametrize(
    ("publisher", "subscriber", "problem"),
    [
        ({"a": "text", "b": "text"}, {"a": "text"}, "t.b would be sent but not received: peer must migrate first"),
        ({"a": "text"}, {"a": "text", "b": "text"}, None),  # the subscriber added a column first: fine
        ({"a": "text"}, {"a": "text", "b": "text!"}, "t.b is required but would never be sent"),  # a publisher drop
        ({"a": "text", "c": "text"}, {"a": "text", "b": "text"}, "t.c would be sent but not received"),  # rename
        ({"a": "text"}, {"a": "integer"}, "t.a differs in type"),
    ],
)
def test_the_column_contract_of_a_link(
    publisher: dict[str, str], subscriber: dict[str, str], problem: str | None
) -> None:
    def columns(spec: dict[str, str]) -> dict[str, tuple[str, bool]]:
        return {name: (type_.rstrip("!"), type_.endswith("!")) for name, type_ in spec.items()}

    found = _link_problems("t", columns(publisher), columns(subscriber), "peer", "first")
    if problem is None:
        assert found == []
    else:
        assert any(p.startswith(problem) for p in found), found
