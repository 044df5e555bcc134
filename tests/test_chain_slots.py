"""A replication slot does not grow without bound while its peer is away: past `[chain] slot_keep_mb` PostgreSQL
gives it up, `fabkiosk chain status` says so and what to do, and `fabkiosk chain join --resync` brings every fact
over once again."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.__main__ import main
from app.chain import status
from tests.chain_members import config_file, kiosk_job, running_chain, wait_until


def test_a_slot_past_its_limit_is_given_up_and_resync_brings_every_fact_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_chain({"koeln": "Köln"}, slot_keep_mb=1) as (hq, stores):
        store = stores["koeln"]
        kiosk_job(store)
        hq.cluster.stop()
        try:
            kiosk_job(store)  # the store keeps working while its slot for the head office holds the log

            def slot_given_up() -> bool:
                # a megabyte of log, a new 16 MB segment, and a checkpoint: where PostgreSQL drops what no slot
                # may keep past max_slot_wal_keep_size
                store.scalar("SELECT pg_logical_emit_message(false, 'fabkiosk-test', repeat('x', 1000000))")
                store.scalar("SELECT pg_switch_wal()")
                store.execute("CHECKPOINT")
                lost = "SELECT wal_status = 'lost' FROM pg_replication_slots WHERE slot_name = 'fabkiosk_koeln_to_hq'"
                return bool(store.scalar(lost))

            wait_until(slot_given_up, 60)
            out_link = next(link for link in status.links_of(store.cluster.url, 12) if link.direction == "out")
            assert out_link.state == "slot lost" and out_link.stale
            assert "fabkiosk chain join --resync" in out_link.advice
            assert main(["--config", str(config_file(store, tmp_path)), "chain", "status"]) == 0
            assert "slot lost" in capsys.readouterr().out
        finally:
            hq.cluster.start()
        made = {row[0] for row in store.rows("SELECT id FROM jobs")}
        config = str(config_file(store, tmp_path))
        assert main(["--config", config, "chain", "join", "--hq", store.hq_url, "--store", "koeln", "--resync"]) == 0
        events = [(r[0], r[1]) for r in store.rows("SELECT store, id FROM job_events ORDER BY id")]
        arrived = "SELECT count(*) FROM job_events WHERE store = 'koeln'"
        wait_until(lambda: hq.scalar(arrived) >= len(events), 90)
        assert [(r[0], r[1]) for r in hq.rows("SELECT store, id FROM job_events ORDER BY id")] == events
        assert {row[0] for row in hq.rows("SELECT id FROM jobs WHERE store = 'koeln'")} == made
        wait_until(lambda: all(link.state == "streaming" for link in status.links_of(store.cluster.url, 12)), 60)
