"""What reading and checking one input may spend: counts charged while reading, a deadline per stage.

A reader charges what it is about to build (triangles, corners, copies, shapes, points, levels of nesting)
before it builds it, so a small hostile file is refused before it costs memory or time. The memory cap itself
is enforced by the operating system in the process that runs the checks (see app/designs/check_process.py).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from app.config import UploadLimits
from app.designs.problems import DesignRejected, reject
from app.i18n import Text, t

_DETAIL = t("Reduce the detail when you export the model.")
_SIMPLER = t("Simplify the drawing (fewer shapes and points), or pick a design from the catalog.")


def _limit_of(limits: UploadLimits, what: str) -> int:
    return {
        "triangles": limits.max_triangles,
        "vertices": limits.max_vertices,
        "instances": limits.max_instances,
        "elements": limits.max_svg_elements,
        "points": limits.max_path_points,
    }[what]


def over_budget(what: str, count: int, limit: int) -> DesignRejected:
    """The plain refusal for a count over its limit."""
    messages: dict[str, tuple[Text, Text]] = {
        "triangles": (
            t("The model has too many triangles ({count}); at most {limit} are possible.", count=count, limit=limit),
            _DETAIL,
        ),
        "vertices": (
            t("The model has too many corners ({count}); at most {limit} are possible.", count=count, limit=limit),
            _DETAIL,
        ),
        "instances": (
            t(
                "The model repeats its parts too often ({count} copies); at most {limit} are possible.",
                count=count,
                limit=limit,
            ),
            t("Export the model as one part, or with fewer copies."),
        ),
        "elements": (
            t("The drawing has too many shapes ({count}); at most {limit} are possible.", count=count, limit=limit),
            _SIMPLER,
        ),
        "points": (
            t("The drawing is too detailed ({count} points); at most {limit} are possible.", count=count, limit=limit),
            _SIMPLER,
        ),
    }
    message, action = messages[what]
    code = "mesh.too_many_triangles" if what == "triangles" else f"budget.{what}"  # the code it always had
    return reject(code, message, action)


def too_deep(depth: int, limit: int) -> DesignRejected:
    return reject(
        "budget.nesting",
        t(
            "The file nests its parts too deeply ({depth} levels); at most {limit} are possible.",
            depth=depth,
            limit=limit,
        ),
        t("Export the design flattened (without nested groups), or pick a design from the catalog."),
    )


def too_slow(seconds: float) -> DesignRejected:
    return reject(
        "budget.time",
        t("Checking this file took too long (more than {seconds} s) and was stopped.", seconds=f"{seconds:g}"),
        t("Try a simpler file, or ask the staff for help."),
    )


def too_big_for_memory(megabytes: int) -> DesignRejected:
    return reject(
        "budget.memory",
        t("Checking this file needs more memory than allowed ({limit} MB).", limit=megabytes),
        t("Try a simpler file, or ask the staff for help."),
    )


class Budget:
    """The counts one input may still spend and the time its stage may still take; raises DesignRejected."""

    def __init__(self, limits: UploadLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.spent: Counter[str] = Counter()
        self.deadline = clock() + limits.stage_seconds

    def charge(self, what: str, amount: int = 1) -> None:
        """Spend `amount` of `what` (triangles, vertices, instances, elements or points), checking time too."""
        self.spent[what] += amount
        limit = _limit_of(self.limits, what)
        if self.spent[what] > limit:
            raise over_budget(what, self.spent[what], limit)
        self.check_time()

    def check_depth(self, depth: int) -> None:
        if depth > self.limits.max_nesting_depth:
            raise too_deep(depth, self.limits.max_nesting_depth)

    def check_time(self) -> None:
        if self.clock() > self.deadline:
            raise too_slow(self.limits.stage_seconds)
