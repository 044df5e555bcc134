"""Machine snapshots for the head office: a changed state is written soon but at most every 2 s per machine, and
every machine at least every `snapshot_every_s`, so the head office can tell a quiet store from an absent one."""

from __future__ import annotations

from datetime import UTC, datetime

from app.chain.snapshots import MachineSnapshots
from app.fleet import Fleet
from app.models import MachineSnapshotRow
from app.services import Services
from machine_adapters.base import MachineState, MachineStatus


def test_snapshots_follow_state_changes_at_a_modest_rate(services: Services) -> None:
    fleet = Fleet.build(services.machines)  # not connected: the status events are emitted by the test
    now = [100.0]
    snapshots = MachineSnapshots(services.sessions, fleet, "koeln", every_s=10.0, monotonic=lambda: now[0])
    machines = sorted(fleet.machines)
    assert sorted(snapshots.due()) == machines  # never written: all at once
    snapshots.write(snapshots.due())
    assert snapshots.due() == []

    printer = fleet.machines["printer-1"]
    printer.status_changed.emit(MachineStatus(state=MachineState.RUNNING, job_id="j1", lines_done=1, lines_total=4))
    now[0] += 1.0
    assert snapshots.due() == []  # changed, but written a second ago
    now[0] += 1.1
    assert snapshots.due() == ["printer-1"]
    snapshots.write(snapshots.due())
    with services.sessions() as session:
        row = session.get(MachineSnapshotRow, ("koeln", "printer-1"))
        assert row is not None and (row.state, row.job_id, row.progress) == ("running", "j1", 0.25)
        assert row.kind == "fdm_printer" and row.updated_at.replace(tzinfo=UTC) <= datetime.now(UTC)

    now[0] += 8.0
    assert sorted(snapshots.due()) == sorted(m for m in machines if m != "printer-1")  # 10 s since their last
    now[0] += 2.0
    assert "printer-1" in snapshots.due()
