"""Designer accounts as a store makes them: on the command line or by an admin's one-time, expiring invitation;
names kept for the designer pages refused; each door (staff, designers) signs in only its own accounts; a
portrait is checked and only the server's own re-encoding is kept."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.access import Principal, Role
from app.designers.accounts import DesignerAccounts, DesignerError, reencode_portrait
from app.models import DesignerRow
from app.services import Services
from app.staff import SignInRefused, StaffError
from tests.designer_helpers import PASSWORD, designer

ADMIN = Principal(Role.ADMIN, name="ada")
DESIGNERS = frozenset({Role.DESIGNER})


def fabkiosk(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args, "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": os.getcwd()},
    )


def test_the_command_line_makes_a_designer_and_an_invitation(tmp_path: Path) -> None:
    made = fabkiosk(
        tmp_path, "user", "add", "Ayla", "--role", "designer", "--city", "Köln", "--display-name", "Ayla Demir",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "Ayla can now sign in at /designer as designer." in made.stdout
    invited = fabkiosk(tmp_path, "designer", "invite")
    assert invited.returncode == 0, invited.stderr
    link = invited.stdout.splitlines()[0]
    assert link.startswith("http://127.0.0.1:8080/designer/join/") and len(link.rsplit("/", 1)[1]) >= 40
    reserved = fabkiosk(tmp_path, "user", "add", "submit", "--role", "designer", "--city", "Köln", "--password-stdin",
                        stdin=PASSWORD + "\n")  # fmt: skip
    assert reserved.returncode == 1 and "kept for the designer pages" in reserved.stderr


def test_a_designer_account_has_its_designers_row_and_signs_in_only_at_its_own_door(services: Services) -> None:
    who = designer(services, "Ayla", "Köln")
    with services.sessions() as session:
        row = session.get(DesignerRow, who.designer_id)
        assert row is not None and (row.name, row.city, row.display_name) == ("ayla", "Köln", "Ayla")
    with pytest.raises(SignInRefused, match="wrong"):
        services.staff.sign_in("Ayla", PASSWORD, "127.0.0.2")  # the staff door answers as for an unknown name
    services.staff.add_user("sam", "staff", PASSWORD)
    with pytest.raises(SignInRefused, match="wrong"):
        services.staff.sign_in("sam", PASSWORD, "127.0.0.3", roles=DESIGNERS)
    with pytest.raises(StaffError, match="city"):
        services.staff.add_user("nocity", "designer", PASSWORD)


def test_an_invitation_works_once_and_only_until_it_expires(services: Services) -> None:
    token = services.designers.invite(ADMIN)
    assert services.designers.invitation_open(token)
    designer_id = services.designers.join(token, "mira", PASSWORD, "Mira Hoffmann", "Leipzig")
    assert not services.designers.invitation_open(token)
    with pytest.raises(DesignerError, match="used already or has expired"):
        services.designers.join(token, "other", PASSWORD, "Other", "Köln")
    later = DesignerAccounts(
        services.sessions,
        services.staff,
        services.designers.portraits_dir,
        lambda: datetime.now(UTC) + timedelta(days=8),
    )
    old = services.designers.invite(ADMIN)
    assert not later.invitation_open(old)
    with pytest.raises(DesignerError, match="used already or has expired"):
        later.join(old, "late", PASSWORD, "Late", "Köln")
    with pytest.raises(DesignerError, match="taken"):  # a demo designer's page is not for whoever is invited
        services.designers.join(services.designers.invite(ADMIN), "Mira-Hoffmann", PASSWORD, "Mira", "Leipzig")
    with services.sessions() as session:
        row = session.scalar(select(DesignerRow).where(DesignerRow.name == "mira-hoffmann"))
        assert row is not None and row.user_id is None
        assert session.get(DesignerRow, designer_id) is not None
    with pytest.raises(Exception, match="not allowed"):
        services.designers.invite(Principal(Role.STAFF, name="sam"))  # admins invite


def png_with_metadata(size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, (200, 80, 20))
    out = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue() + b"trailing bytes after the image"


def test_a_portrait_is_checked_and_re_encoded_never_kept_as_uploaded(services: Services) -> None:
    who = designer(services)
    assert who.designer_id is not None
    upload = png_with_metadata((1200, 800))
    profile = services.designers.set_portrait(who, who.designer_id, upload)
    assert profile.portrait is not None
    kept = (services.designers.portraits_dir / profile.portrait).read_bytes()
    assert kept != upload and b"script" not in kept and b"trailing" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "PNG" and max(image.size) == 512
    with pytest.raises(DesignerError, match="cannot be used"):
        reencode_portrait(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    with pytest.raises(DesignerError, match="too many pixels"):
        reencode_portrait(png_with_metadata((5000, 4000)))
    with pytest.raises(DesignerError, match="too large"):
        reencode_portrait(b"\x89PNG" + b"0" * (6 * 1024 * 1024))
    other = designer(services, "bea")
    with pytest.raises(Exception, match="not allowed"):
        services.designers.set_portrait(other, who.designer_id, upload)
