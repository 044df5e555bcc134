"""A remote order page changing its design again and again is told to wait once its address has begun a few runs a
minute; its design work is never started past the limit."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from app.design_queue import RUNS_PER_MINUTE
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import seen


async def test_an_order_page_changing_too_often_is_asked_to_wait(user: User) -> None:
    await user.open("/order?lang=en")
    await eventually(lambda: seen(user, "Printer 1: Ready"), timeout=30)
    user.find(marker="template-keychain").click()
    await user.should_see(marker="param-name")  # personalising: its first run begins
    for number in range(RUNS_PER_MINUTE):
        user.find(marker="param-name").clear().type(f"N{number}")
        await asyncio.sleep(0.8)  # past the pause after typing: each change begins a run
    await eventually(lambda: seen(user, "Many changes at once: please wait a moment, then change it again."))
