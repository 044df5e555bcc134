"""A printer behind OctoPrint ends every job cold: the adapter sends the safe end state whatever the program said."""

from __future__ import annotations

import pytest

from machine_adapters.base import JobEnded
from machine_adapters.gcode import validate_program
from machine_adapters.octoprint import OctoPrintMachine
from tests.conftest import eventually
from tests.machine_adapters.test_octoprint import Ends, machine, program  # noqa: F401  (machine: fixture)

pytestmark = pytest.mark.slow  # a real OctoPrint server, printing in real time


def test_a_completed_job_leaves_the_heaters_off(machine: OctoPrintMachine) -> None:  # noqa: F811
    ends = Ends(machine)
    # targets set and never turned off by the program itself
    hot = validate_program("M140 S50\nM104 S190\n" + "\n".join(program(machine.profile, 1500)) + "\n", machine.profile)
    machine.start(hot, "e" * 32)
    eventually(lambda: machine.status.hotend is not None and machine.status.hotend.target == 190, 60, "heating")
    eventually(lambda: ends.ended != [], 60, "the job to end")
    assert ends.ended == [JobEnded("e" * 32, True, "")]
    eventually(lambda: machine.status.hotend is not None and machine.status.hotend.target == 0, 20, "hotend off")
    assert machine.status.bed is not None and machine.status.bed.target == 0
