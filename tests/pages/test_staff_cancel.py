"""From the staff console's queue, a job that has not started is cancelled with one tap, and its customer sees it."""

from __future__ import annotations

from nicegui.testing import User

from tests.pages.conftest import eventually
from tests.pages.test_kiosk import seen
from tests.pages.test_staff import order_keychain, services, sign_in, staff_member


async def test_staff_cancel_an_order_waiting_for_approval_from_the_queue(user: User) -> None:
    staff = staff_member()
    await order_keychain(user, "Nina")
    await eventually(lambda: seen(user, "Waiting for the store to approve it"), timeout=20)
    jobs = services().jobs
    assert jobs is not None
    (job,) = [j for j in jobs.queue() if j.customer_name == "Nina"]
    await sign_in(staff)
    await staff.open("/staff?lang=en")
    await staff.should_see("Nina")
    staff.find(marker=f"cancel-{job.id}").click()  # staff action: on machine control's path, off the event loop
    await eventually(lambda: jobs.get(job.id).state.value == "cancelled", timeout=10)
    await eventually(lambda: seen(user, "Cancelled"), timeout=10)
