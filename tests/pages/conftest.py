"""Pages under NiceGUI's simulated user: the real server wiring, the real pipeline, the simulated printer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from nicegui import core
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

from app.kiosks import DEVICE_COOKIE
from tests.conftest import machines_file

MAIN = """
from app.config import load_settings
from app.server import serve

serve(
    load_settings(
        None,
        data_dir={data!r},
        machines_file={machines!r},
        kiosk_idle_timeout_s={idle!r},
        allowed_hosts=["test"],  # the simulated user's Host
    )
)
"""


@pytest.fixture
def idle_timeout() -> float:
    return 120.0


@pytest.fixture
def speed() -> float:
    return 100.0


@pytest.fixture
async def user(tmp_path: Path, idle_timeout: float, speed: float) -> AsyncIterator[User]:
    """A person at the kiosk (or a phone), on a store with its own data folder and fast simulated machines."""
    main = tmp_path / "main.py"
    machines = machines_file(tmp_path, speed)
    main.write_text(MAIN.format(data=str(tmp_path / "data"), machines=str(machines), idle=idle_timeout))
    async with user_simulation(main_file=main) as user:
        pair_beside_every_machine(user)
        yield user


def pair_beside_every_machine(user: User) -> None:
    """The simulated user is the store's kiosk, paired by staff beside every machine (a phone is `another_user`)."""
    kiosks = core.app.state.services.kiosks
    claim, code = kiosks.request_pairing("127.0.0.1")
    kiosks.confirm(code, "test kiosk", kiosks.machine_ids, "staff:test")
    user.http_client.cookies.set(DEVICE_COOKIE, kiosks.claim(claim) or "")


@pytest.fixture
def another_user(user: User) -> User:
    """A second person (a phone) on the same server."""
    return User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))


async def eventually(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 60.0) -> None:
    """Wait until the condition holds: the pipeline and the machine take real time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)
