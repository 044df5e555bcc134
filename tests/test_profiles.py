"""Machine profiles: the example loads; a bad machines file fails at start naming the machine and key."""

from pathlib import Path

import pytest

from machine_adapters.profiles import ConnectionType, MachineKind, ProfileError, load_machines

EXAMPLE = Path(__file__).parent.parent / "assets" / "machines.example.toml"

PRINTER = """
[[machine]]
id = "p1"
name = "Printer"
kind = "fdm_printer"
connection = { type = "simulated" }
envelope = { x = 220, y = 220, z = 250 }
slicer_profile = "printer_i3_220.ini"
loaded_material = "PLA"
[machine.limits]
hotend_max = 275
bed_max = 80
max_feed_mm_s = { x = 200, y = 200, z = 12, e = 60 }
max_acceleration = 1000
[machine.materials.PLA]
hotend = [190, 230]
bed = [0, 65]
"""


def test_example_has_a_printer_an_engraver_and_a_router() -> None:
    machines = load_machines(EXAMPLE)
    kinds = {m.kind for m in machines.values()}
    assert kinds == {MachineKind.FDM_PRINTER, MachineKind.LASER_ENGRAVER, MachineKind.CNC_ROUTER}
    assert machines["laser-1"].air_assist and not machines["router-1"].air_assist
    assert machines["router-1"].spindle_s_max == 24000
    assert all(m.connection.type is ConnectionType.SIMULATED for m in machines.values())
    printer = machines["printer-1"]
    assert printer.material.name == "PLA" and printer.material.hotend == (190.0, 230.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'kind = "fdm_printer"',
            'kind = "toaster"',
            "machine 'p1'.kind: 'toaster' is unknown; allowed: fdm_printer",
        ),
        (
            'type = "simulated"',
            'type = "bluetooth"',
            "connection.type: 'bluetooth' is unknown; allowed: simulated",
        ),
        ("bed_max = 80", "bed_max = 110", "machine 'p1'.limits.bed_max: give a number from 0 to 80"),
        ("bed = [0, 65]", "bed = [0, 95]", "materials.PLA.bed: give [min, max] within 0 to 80"),
        ('loaded_material = "PLA"', 'loaded_material = "ABS"', "loaded_material: 'ABS' is not one of PLA"),
        ("x = 220, y = 220", "x = -5, y = 220", "envelope.x: give a number from 1 to 5000"),
        ('type = "simulated"', 'type = "serial"', "connection.port: give a non-empty text"),
        ('id = "p1"', 'id = "p 1; rm"', "machine[0].id: use letters, digits"),
        ('loaded_material = "PLA"', 'loaded_material = "PLA"\nair_assist = true', "air_assist: true or false"),
    ],
)
def test_bad_profile_names_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "machines.toml"
    path.write_text(PRINTER.replace(old, new, 1))
    with pytest.raises(ProfileError) as caught:
        load_machines(path)
    assert message in str(caught.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "machines.toml"
    path.write_text(PRINTER + PRINTER)
    with pytest.raises(ProfileError, match="'p1' is used twice"):
        load_machines(path)
