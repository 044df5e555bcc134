"""A page closed while its design is being prepared: its render is dropped at once, and nothing raises."""

from __future__ import annotations

import asyncio
import logging

import pytest
from nicegui import app
from nicegui.testing import User

from app.services import Services
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import printer_ready


async def test_a_closed_kiosk_page_drops_its_render_and_logs_no_error(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    services: Services = app.state.services
    queue = services.design_queue
    assert queue is not None
    await printer_ready(user)
    user.find(marker="template-keychain").click()
    await user.should_see("Name keychain")
    assert user.client is not None
    page = user.client.id
    await eventually(lambda: page in queue.running(), timeout=30)  # OpenSCAD renders the page's keychain
    with caplog.at_level(logging.WARNING):
        user.client.delete()  # the browser is gone
        await eventually(lambda: page not in queue.running(), timeout=3)  # its render was stopped, not finished
        for _ in range(40):  # and none of its later stages (checks, slicing) runs for nobody
            assert page not in queue.running()
            await asyncio.sleep(0.1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
