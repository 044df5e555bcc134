"""The staff console's machine card follows the values that move (temperatures while heating, progress while
running) in place, between the redraws that only a change of state, job or settings brings."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.pages.conftest import eventually
from tests.pages.test_kiosk import seen
from tests.pages.test_staff import order_keychain, services, sign_in, staff_member


def values_on(user: User, marker: str, read: str, seen: dict[int, set[object]]) -> None:
    """Note what each element with this marker shows now, per element (a redrawn card has new elements)."""
    try:
        elements = user.find(marker=marker).elements
    except AssertionError:
        return
    for element in elements:
        seen.setdefault(element.id, set()).add(getattr(element, read))


def changed_in_place(seen: dict[int, set[object]]) -> bool:
    return any(len(values) > 1 for values in seen.values())


@pytest.mark.parametrize("speed", [10.0])  # slow enough to heat and print over several of the console's ticks
async def test_the_card_shows_temperatures_and_progress_as_they_move(user: User) -> None:
    staff = staff_member()
    await order_keychain(user, "Kim")
    jobs = services().jobs
    assert jobs is not None
    await eventually(lambda: any(j.customer_name == "Kim" for j in jobs.queue()), timeout=20)
    (job,) = [j for j in jobs.queue() if j.customer_name == "Kim"]
    await sign_in(staff)
    await staff.open("/staff?lang=en")
    staff.find(marker=f"approve-{job.id}").click()
    await eventually(lambda: seen(staff, marker=f"start-{job.id}"), timeout=20)  # dispatched to the printer
    staff.find(marker=f"start-{job.id}").click()

    temperatures: dict[int, set[object]] = {}
    progress: dict[int, set[object]] = {}

    def moved() -> bool:
        values_on(staff, "temperatures-printer-1", "text", temperatures)
        values_on(staff, "progress-printer-1", "value", progress)
        return changed_in_place(temperatures) and changed_in_place(progress)

    await eventually(moved, timeout=90)
    assert isinstance(next(iter(staff.find(marker="progress-printer-1").elements)), ui.linear_progress)
