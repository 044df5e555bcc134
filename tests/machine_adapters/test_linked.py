"""The shared life of linked machines, on its own: the heater idle-off timer every printer uses (SAFETY: heaters
off after 10 minutes idle or 5 minutes paused), and the test clock the adapters' tests move."""

from __future__ import annotations

import threading

import pytest

from machine_adapters.base import MachineState
from machine_adapters.clock import TestClock
from machine_adapters.linked import HEATERS_OFF_IDLE_S, HEATERS_OFF_PAUSED_S, HeaterIdleTimer

IDLE, PAUSED, RUNNING = MachineState.IDLE, MachineState.PAUSED, MachineState.RUNNING


@pytest.mark.parametrize(("state", "limit"), [(IDLE, 600.0), (PAUSED, 300.0)])
def test_heaters_go_off_once_after_the_quiet_time_and_not_a_second_before(state: MachineState, limit: float) -> None:
    assert (HEATERS_OFF_IDLE_S, HEATERS_OFF_PAUSED_S) == (600.0, 300.0)
    timer = HeaterIdleTimer()
    assert not timer.due(state, 0.0)  # the quiet spell starts
    assert not timer.due(state, limit - 1)
    assert timer.due(state, limit) and timer.went_off
    assert not timer.due(state, limit + 60)  # once per spell


def test_a_job_or_someone_acting_starts_the_quiet_time_again() -> None:
    timer = HeaterIdleTimer()
    timer.due(IDLE, 0.0)
    timer.due(RUNNING, 500.0)
    timer.due(IDLE, 550.0)
    assert not timer.due(IDLE, 1100.0)  # 550 s since the job, not 1100
    assert timer.due(IDLE, 1150.0)
    timer.restart()  # a preheat
    assert not timer.went_off and not timer.due(IDLE, 1200.0)
    assert not timer.due(IDLE, 1799.0) and timer.due(IDLE, 1800.0)


def test_pausing_after_idle_counts_the_pause_from_its_own_start() -> None:
    timer = HeaterIdleTimer()
    timer.due(IDLE, 0.0)
    timer.due(PAUSED, 500.0)
    assert not timer.due(PAUSED, 799.0) and timer.due(PAUSED, 800.0)


def test_cold_heaters_are_left_alone_until_they_are_hot() -> None:
    timer = HeaterIdleTimer()
    timer.due(IDLE, 0.0, hot=False)
    assert not timer.due(IDLE, 700.0, hot=False) and not timer.went_off
    assert timer.due(IDLE, 701.0, hot=True)


def test_the_test_clock_moves_only_when_told() -> None:
    clock = TestClock()
    start = clock.monotonic()
    slept = threading.Thread(target=clock.sleep, args=(3600,), name="sleeper")
    slept.start()
    slept.join(5)  # a sleeper returns within a moment to look around again: loops stay responsive
    assert not slept.is_alive() and clock.monotonic() == start  # and sleeping moved no time
    clock.forward(3600)
    assert clock.monotonic() == start + 3600
    assert clock.wall() - clock.monotonic() == pytest.approx(1_767_225_600.0 - 1000.0)
    assert clock.looks("sleeper") == 0 and clock.looks("MainThread") == 5  # the five reads above
    with pytest.raises(ValueError):
        clock.forward(-1)
