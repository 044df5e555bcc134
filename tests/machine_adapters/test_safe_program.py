"""Only the validator makes a SafeProgram: every public way of making or changing one fails or yields nothing usable."""

import copy
import dataclasses
import importlib
import pickle
import sys
from pathlib import Path

import pytest

from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.gcode.program import claim_maker
from machine_adapters.profiles import load_machines

PRINTER = load_machines(Path(__file__).parents[2] / "assets" / "machines.example.toml")["printer-1"]
PROGRAM_TEXT = "G90\nM83\nG28\nG1 Z5 F600"


def test_the_validator_makes_a_working_program() -> None:
    program = validate_program(PROGRAM_TEXT, PRINTER)
    assert list(program) == ["G90", "M83", "G28", "G1 Z5 F600"] and len(program) == 4 and program[3] == "G1 Z5 F600"
    assert program.machine_id == "printer-1" and program.material == "PLA"


@pytest.mark.parametrize(
    "args",
    [(), (object(), "printer-1", ("M500",), (1,)), ("printer-1", "PLA", ("M500",), (1,), None, ())],
)
def test_calling_the_class_is_refused(args: tuple[object, ...]) -> None:
    with pytest.raises(TypeError, match="comes only from"):
        SafeProgram(*args)
    with pytest.raises(TypeError, match="comes only from"):
        SafeProgram.__new__(SafeProgram, *args)


def test_a_bare_object_of_the_class_cannot_be_filled_or_read() -> None:
    forged = object.__new__(SafeProgram)
    with pytest.raises(AttributeError):
        object.__setattr__(forged, "_lines", ("M500",))  # it has no storage of its own
    with pytest.raises(AttributeError):
        forged.machine_id = "printer-1"
    for read in (list, len, lambda p: p[0], lambda p: p.machine_id, lambda p: p.position_after(0), repr):
        with pytest.raises(TypeError, match="not made by the validator"):
            read(forged)


def test_a_program_cannot_be_changed_copied_into_another_or_pickled() -> None:
    program = validate_program(PROGRAM_TEXT, PRINTER)
    with pytest.raises(AttributeError):
        program.machine_id = "laser-1"
    with pytest.raises(AttributeError):
        object.__setattr__(program, "machine_id", "laser-1")
    with pytest.raises(AttributeError):
        del program.machine_id
    assert copy.copy(program) is program and copy.deepcopy(program) is program
    with pytest.raises(TypeError):
        pickle.dumps(program)
    with pytest.raises(TypeError):
        dataclasses.replace(program, machine_id="laser-1")  # type: ignore[type-var]


def test_no_subclass_can_be_made() -> None:
    with pytest.raises(TypeError):

        class Forged(SafeProgram):
            pass


def test_the_maker_went_to_the_validator_once_and_no_module_exposes_it() -> None:
    with pytest.raises(RuntimeError):
        claim_maker()
    # the maker sits in validate_program's closure; find it there and check no module attribute is it
    cells = [cell.cell_contents for cell in validate_program.__closure__ or ()]
    assert len(cells) == 1 and callable(cells[0])
    maker = cells[0]
    for name in ("machine_adapters.gcode", "machine_adapters.gcode.program", "machine_adapters.gcode.validate"):
        importlib.import_module(name)
    exposed = [
        f"{module_name}.{attribute}"
        for module_name, module in list(sys.modules.items())
        if module_name.startswith(("machine_adapters", "app"))
        for attribute, value in vars(module).items()
        if value is maker
    ]
    assert exposed == []
