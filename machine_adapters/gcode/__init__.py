"""G-code: parsing like the firmware, validation against a machine profile, and the SafeProgram it yields."""

from machine_adapters.gcode.program import Finding, ProgramModes, ProgramRejected, SafeProgram
from machine_adapters.gcode.validate import validate_program

__all__ = ["Finding", "ProgramModes", "ProgramRejected", "SafeProgram", "validate_program"]
