"""Staff sign-in through the real form, as an attacker and as staff see it: every name answers alike, wrong tries
make a name wait instead of locking it, and the console's own browser still signs in while someone guesses."""

from __future__ import annotations

import httpx
from nicegui import core
from nicegui.testing import User

from app.staff import DEVICE_COOKIE
from tests.pages.test_staff import PASSWORD, sign_in, staff_member


def browser_at(address: str) -> User:
    """A browser elsewhere on the store network (its own peer address, so per-address limits apply to it alone)."""
    return User(
        httpx.AsyncClient(transport=httpx.ASGITransport(core.app, client=(address, 50000)), base_url="http://test")
    )


async def test_guessing_cannot_tell_names_apart_nor_keep_staff_out_of_their_console(user: User) -> None:
    console = staff_member()  # sam signs in at the console first: that browser is remembered
    assert await sign_in(console) == "/staff?lang=en"
    assert DEVICE_COOKIE in console.http_client.cookies
    console.http_client.cookies.delete("fabkiosk_staff")  # signed out, the device cookie stays
    answers = {}
    for name, address in (("nobody", "203.0.113.10"), ("sam", "203.0.113.9")):  # from elsewhere on the network
        outsider = browser_at(address)
        answers[name] = [await sign_in(outsider, name, "guess") for _ in range(7)]
    assert answers["sam"] == answers["nobody"]  # the same answers for a real and a made-up name
    assert answers["sam"][:5] == ["/staff/login?lang=en&error=wrong"] * 5
    assert answers["sam"][5:] == ["/staff/login?lang=en&error=locked"] * 2  # now the name must wait
    outsider = browser_at("203.0.113.11")
    assert await sign_in(outsider, "sam", PASSWORD) == "/staff/login?lang=en&error=locked"  # even with the password
    assert await sign_in(console, "sam", PASSWORD) == "/staff?lang=en"  # the console's own browser is not slowed
