"""At a store, on the real store wiring: an order the head office took for it (a row arriving in its hq_orders table,
as replication brings it) is taken by the store's own watcher and waits in the staff's queue; the store's staff see
the head office's orders for their store only, and a head-office account sees none of them."""

from __future__ import annotations

from decimal import Decimal

from nicegui.testing import User

from app.jobs import JobState
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import seen
from tests.pages.test_staff import services, sign_in, staff_member
from tests.test_hq_intake import arrive, head_office_order


async def test_the_stores_staff_see_its_head_office_orders_and_the_watcher_takes_them(user: User) -> None:
    _, ours = head_office_order("demo", Decimal("100.00"), "Ada")
    _, theirs = head_office_order("berlin", Decimal("100.00"), "Bo")
    arrive(services().sessions, ours, theirs)
    jobs = services().jobs
    assert jobs is not None
    # the store's own watcher, every few seconds: the order becomes a remote job waiting for approval
    await eventually(lambda: [j.customer_name for j in jobs.queue()] == ["Ada"], timeout=90)
    assert jobs.queue()[0].state is JobState.AWAITING_APPROVAL
    staff = staff_member()
    await sign_in(staff)
    await staff.open("/staff/head-office?lang=en")
    await staff.should_see(marker=f"order-{ours.id}")
    await eventually(lambda: seen(staff, "In the queue as job"), timeout=10)
    await staff.should_not_see(marker=f"order-{theirs.id}")  # another store's customer is never shown here
    await staff.should_not_see("Bo")
    office = staff_member("hq", "hugo")  # a head-office account on the store's server
    await sign_in(office, "hugo")
    await office.open("/staff/head-office?lang=en")
    await office.should_see("Staff sign-in")  # the store's door answers a head-office account as a wrong password
    await office.should_not_see(marker=f"order-{ours.id}")
    await office.should_not_see("Ada")
