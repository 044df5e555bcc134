"""What each machine kind may be sent: an allow-list of commands with their parameters, and why others are refused."""

from __future__ import annotations

from machine_adapters.profiles import MachineKind

MARLIN_MOTION = frozenset({"G0", "G1", "G2", "G3"})
GRBL_MOTION = frozenset({"G0", "G1", "G2", "G3"})

# command -> parameters it may carry
MARLIN_ALLOWED: dict[str, frozenset[str]] = {
    "G0": frozenset("XYZEF"),
    "G1": frozenset("XYZEF"),
    # no P: builds with ARC_P_CIRCLES read it as extra full circles (Marlin gcode/motion/G2_G3.cpp)
    "G2": frozenset("XYZEFIJR"),
    "G3": frozenset("XYZEFIJR"),
    "G4": frozenset("PS"),
    "G10": frozenset(),
    "G11": frozenset(),
    "G21": frozenset(),
    "G28": frozenset("XYZ"),
    "G90": frozenset(),
    "G91": frozenset(),
    "G92": frozenset("E"),
    "M17": frozenset(),
    "M18": frozenset("XYZES"),
    "M73": frozenset("PRQS"),
    "M82": frozenset(),
    "M83": frozenset(),
    "M84": frozenset("XYZES"),
    "M104": frozenset("SR"),
    "M105": frozenset(),
    "M106": frozenset("SP"),
    "M107": frozenset("P"),
    "M109": frozenset("SR"),
    "M114": frozenset(),
    "M140": frozenset("S"),
    "M190": frozenset("SR"),
    "M201": frozenset("XYZE"),
    "M203": frozenset("XYZE"),
    "M204": frozenset("PRTS"),  # T is the travel acceleration here, not a tool change
    "M220": frozenset("S"),
    "M221": frozenset("S"),
    "M400": frozenset(),
    "T0": frozenset(),
}

GRBL_ALLOWED: dict[str, frozenset[str]] = {
    "G0": frozenset("XYZF"),
    "G1": frozenset("XYZFS"),
    "G2": frozenset("XYZIJKRFS"),
    "G3": frozenset("XYZIJKRFS"),
    "G4": frozenset("P"),
    "G17": frozenset(),
    "G21": frozenset(),
    "G54": frozenset(),
    "G90": frozenset(),
    "G91": frozenset(),
    "G94": frozenset(),
    "M2": frozenset(),
    "M3": frozenset("S"),
    "M4": frozenset("S"),
    "M5": frozenset(),
    "M8": frozenset(),
    "M9": frozenset(),
    "M30": frozenset(),
}

# plain reasons for the commands people most often try; anything else unknown is refused as "not allowed"
REFUSED_BECAUSE: dict[str, str] = {
    **dict.fromkeys(("M500", "M501", "M502", "M503", "M504"), "changes or reads stored firmware settings"),
    "M997": "updates the firmware",
    **dict.fromkeys(("M301", "M303", "M304", "M306"), "changes heater tuning"),
    "M302": "allows extrusion with a cold nozzle",
    "M211": "turns software endstops off",
    "M120": "changes endstop checking",
    "M121": "turns endstops off",
    "M92": "changes the motors' steps per millimetre",
    "M205": "changes jerk limits",
    **dict.fromkeys(("M206", "M428", "M851"), "moves the machine's origin or probe offset"),
    **dict.fromkeys(("M906", "M907", "M908", "M909", "M910", "M350", "M351", "M569"), "changes motor drivers"),
    **dict.fromkeys(("M42", "M43", "M226", "M260", "M261"), "drives pins or buses directly"),
    **dict.fromkeys(("M100", "M111"), "is a debugging command"),
    **dict.fromkeys(("M28", "M29", "M30", "M32", "M33", "M928"), "writes, deletes or runs files on the SD card"),
    **dict.fromkeys(("M575", "M550", "M551", "M552", "M553", "M554"), "changes the serial or network setup"),
    **dict.fromkeys(("M510", "M511", "M512"), "locks or unlocks the machine"),
    **dict.fromkeys(("M80", "M81"), "switches the power supply"),
    **dict.fromkeys(("M85", "M86", "M87"), "changes the safety timers"),
    "M108": "breaks out of heating waits",
    "M112": "is the emergency stop, sent only by the stop action",
    "M999": "restarts a halted machine, which only staff may do",
    **dict.fromkeys(("M0", "M1"), "pauses for a button press nobody may be there to give"),
    "M876": "answers a prompt on the machine",
    **dict.fromkeys(("M117", "M118"), "shows text on the machine; fabkiosk sends only fixed texts itself"),
    "G29": "runs bed probing, a staff calibration",
    # Marlin with INCH_MODE_SUPPORT scales E and the M201/M203/M204 limits by 25.4 as well; programs come from
    # fabkiosk's own generators, all in millimetres
    "G20": "switches to inches; fabkiosk programs are in millimetres",
    "M7": "switches mist coolant, which default GRBL builds do not have (error:20)",
    "G10.L2": "changes work coordinates",
    "G28.1": "changes the stored home position",
    "G30.1": "changes the stored position",
    **dict.fromkeys(("G38.2", "G38.3", "G38.4", "G38.5"), "probes, a staff operation"),
}


def allowed_for(kind: MachineKind) -> dict[str, frozenset[str]]:
    if kind is MachineKind.FDM_PRINTER:
        return MARLIN_ALLOWED
    allowed = dict(GRBL_ALLOWED)
    if kind is MachineKind.LASER_ENGRAVER:
        del allowed["M3"]  # constant power burns where motion stops: lasers run M4 (dynamic power) only
    else:
        del allowed["M4"]  # a router's cutters cut turning clockwise only: reverse is never right
    return allowed
