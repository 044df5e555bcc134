"""Every refusal the kiosk shows has a way forward on the same screen: what is wrong, what to do about it, and the
control to do it with (another name on the same screen, Back to choose another design or file)."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from nicegui import ui
from nicegui.testing import User

from tests.pages.conftest import eventually
from tests.pages.test_kiosk import enabled, printer_ready, seen
from tests.pages.test_phone import send_from_phone


def stl(mesh: trimesh.Trimesh) -> bytes:
    return bytes(mesh.export(file_type="stl"))


def triangle_soup() -> bytes:
    rng = np.random.default_rng(7)
    return stl(trimesh.Trimesh(vertices=rng.uniform(0, 40, (600, 3)), faces=np.arange(600).reshape(200, 3)))


# file, what the customer reads about it, what they read they can do
REFUSED_FILES = {
    "cut off": (stl(trimesh.creation.box((20, 20, 20)))[:300], "damaged", "Export"),
    "loose triangles": (triangle_soup(), "do not form a surface", "design program"),
    "paper thin": (stl(trimesh.creation.box((20, 20, 0.05))), "too thin to print", "thickness of at least"),
}


@pytest.mark.parametrize("case", list(REFUSED_FILES))
async def test_a_refused_file_says_what_to_do_and_the_customer_can_choose_another(
    user: User, another_user: User, case: str
) -> None:
    data, problem, way_forward = REFUSED_FILES[case]
    await send_from_phone(user, another_user, data, f"{case}.stl")
    await eventually(lambda: seen(user, content=problem), timeout=60)
    await user.should_see(content=way_forward)
    assert not enabled(user, "See the price")
    user.find(kind=ui.button, content="Back").click()  # on the same screen: choose another file or design
    await user.should_see(marker="own-file")


async def test_a_name_too_long_for_the_tag_is_fixed_on_the_same_screen(user: User) -> None:
    await printer_ready(user)
    user.find(marker="template-keychain").click()
    await eventually(lambda: enabled(user, "See the price"), timeout=60)
    user.find(marker="param-name").clear().type("WWWWWWWWWWWW")
    await eventually(lambda: seen(user, content="too long for the tag"), timeout=60)
    await user.should_see(content="fewer letters")
    assert not enabled(user, "See the price")
    user.find(marker="param-name").clear().type("Wim")  # the field is right there: a shorter name is priced
    await eventually(lambda: enabled(user, "See the price"), timeout=60)


async def test_a_part_drawn_in_the_wrong_unit_is_offered_a_size_that_fits_and_priced_with_one_tap(
    user: User, another_user: User
) -> None:
    await send_from_phone(user, another_user, stl(trimesh.creation.box((400, 300, 100))), "in-tenths.stl")
    await eventually(lambda: seen(user, content="does not fit this machine"), timeout=60)
    assert not enabled(user, "See the price")
    user.find(kind=ui.button, content="% size").click()  # the way forward, on the same screen
    await eventually(lambda: enabled(user, "See the price"), timeout=60)
