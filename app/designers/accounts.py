"""Designer accounts: the `designers` row beside a designer's sign-in account, invitation links, the profile they
edit (name, city, a short text, a portrait checked and re-encoded by the server)."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access import Action, Principal, Role, authorize
from app.i18n import Text, t
from app.jobs import token_hash
from app.models import DesignerInvitationRow, DesignerRow

if TYPE_CHECKING:
    from app.staff import StaffAccounts

Clock = Callable[[], datetime]
# the designer's area and its pages: never a designer's page name, so /designer/<name> cannot shadow them
RESERVED_NAMES = frozenset({"submit", "submissions", "statement", "profile", "join", "login", "logout", "session"})
INVITATION_DAYS = 7.0
MAX_ABOUT = 600  # characters of the short text, per language
MAX_PORTRAIT_BYTES = 5 * 1024 * 1024
MAX_PORTRAIT_PIXELS = 4096 * 4096  # read no larger image (a small file can claim a huge one)
PORTRAIT_SIZE = 512  # stored at most this wide and high
PORTRAIT_FORMATS = ("PNG", "JPEG", "WEBP")


class DesignerError(ValueError):
    """A designer's account or profile cannot be changed as asked; `message` says why in the reader's words."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class DesignerProfile:
    id: str
    name: str  # the page's address: /designer/<name>
    display_name: str
    city: str
    about: dict[str, str]
    portrait: str | None  # the file name of the re-encoded portrait under the portraits folder


def page_name(name: str) -> str:
    """A designer's page address from a name: lower case letters and digits joined by hyphens ("Mira Hoffmann" ->
    "mira-hoffmann"); accents dropped ("Jörg" -> "jorg")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64]


def check_designer_fields(name: str, city: str, display_name: str) -> None:
    """Raise StaffError (the command line's and the join page's refusal) for a designer account that cannot be."""
    from app.staff import StaffError

    if page_name(name) in RESERVED_NAMES or len(page_name(name)) < 2:
        raise StaffError(f"the name {name!r} is kept for the designer pages; choose another")
    if not city.strip() or len(city) > 80:
        raise StaffError("the city: the designer's city, up to 80 characters")
    if len(display_name) > 120:
        raise StaffError("the display name: up to 120 characters")


def add_designer_row(
    session: Session,
    user_id: int | None,
    name: str,
    city: str,
    display_name: str,
    now: datetime,
    row_id: str | None = None,
) -> DesignerRow:
    """The designer's row, in the caller's transaction; an existing row of that page name (a demo designer seeded
    before they had an account) is taken over by the new account. `row_id`: a fixed id (the shipped catalog's)."""
    page = page_name(name)
    row = session.scalar(select(DesignerRow).where(DesignerRow.name == page))
    if row is not None and row.user_id is not None:
        from app.staff import StaffError

        raise StaffError(f"there is already a designer called {page}")
    if row is None:
        row = DesignerRow(id=row_id or secrets.token_hex(16), name=page, about={}, created_at=now)
        session.add(row)
    row.display_name = display_name.strip() or name
    row.city = city.strip()
    row.user_id = user_id
    session.flush()
    return row


class DesignerAccounts:
    """Invitations, joining by one, and the designer's own profile."""

    def __init__(
        self, sessions: sessionmaker[Session], staff: StaffAccounts, portraits_dir: Path, clock: Clock | None = None
    ) -> None:
        self.sessions = sessions
        self.staff = staff
        self.portraits_dir = portraits_dir
        self.clock: Clock = clock or (lambda: datetime.now(UTC))

    # --- invitations -------------------------------------------------------------------------------------------

    def invite(self, who: Principal, days: float = INVITATION_DAYS) -> str:
        """A one-time token for /designer/join/<token>, good for `days`; only its hash is kept."""
        authorize(who, Action.INVITE_DESIGNERS)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.sessions.begin() as session:
            session.add(
                DesignerInvitationRow(
                    token_hash=token_hash(token),
                    created_by=who.actor,
                    created_at=now,
                    expires_at=now + timedelta(days=days),
                )
            )
        return token

    def invitation_open(self, token: str) -> bool:
        with self.sessions() as session:
            row = session.get(DesignerInvitationRow, token_hash(token))
            return row is not None and row.used_at is None and _aware(row.expires_at) > self.clock()

    def join(self, token: str, name: str, password: str, display_name: str, city: str) -> str:
        """Make the designer's account with an open invitation, which is used up in the same transaction; the new
        designer's id. DesignerError when the link is used or expired, or a field is refused."""
        from app.staff import StaffError

        now = self.clock()
        with self.sessions.begin() as session:
            row = session.get(DesignerInvitationRow, token_hash(token), with_for_update=True)
            if row is None or row.used_at is not None or _aware(row.expires_at) <= now:
                raise DesignerError(t("This invitation link was used already or has expired. Ask for a new one."))
            if session.scalar(select(DesignerRow.id).where(DesignerRow.name == page_name(name.strip()))):
                # a designer known to the store without an account (the demo catalog's) is claimed only by an
                # admin at the server (`fabkiosk user add`), never by whoever holds an invitation
                raise DesignerError(t("This name is taken already; choose another."))
            try:
                self.staff.add_user(name.strip(), Role.DESIGNER.value, password, city, display_name, session)
            except StaffError as e:
                raise DesignerError(t("This account cannot be made: {why}.", why=str(e))) from e
            designer_id = session.scalar(select(DesignerRow.id).where(DesignerRow.name == page_name(name.strip())))
            row.used_at, row.designer_id = now, designer_id
            assert designer_id is not None
            return designer_id

    # --- the profile -------------------------------------------------------------------------------------------

    def profile(self, designer_id: str) -> DesignerProfile:
        with self.sessions() as session:
            row = session.get(DesignerRow, designer_id)
            if row is None:
                raise KeyError(designer_id)
            return _profile(row)

    def update_profile(
        self, who: Principal, designer_id: str, display_name: str, city: str, about: dict[str, str]
    ) -> DesignerProfile:
        authorize(who, Action.EDIT_PROFILE, designer_id=designer_id)
        display_name, city = display_name.strip(), city.strip()
        if not display_name or len(display_name) > 120:
            raise DesignerError(t("Give your name as customers should see it (at most 120 characters)."))
        if not city or len(city) > 80:
            raise DesignerError(t("Give your city (at most 80 characters)."))
        if any(len(text) > MAX_ABOUT for text in about.values()):
            raise DesignerError(t("The short text can be at most {n} characters long.", n=MAX_ABOUT))
        with self.sessions.begin() as session:
            row = session.get(DesignerRow, designer_id)
            assert row is not None
            row.display_name, row.city = display_name, city
            row.about = {lang: text.strip() for lang, text in about.items() if lang in ("de", "en") and text.strip()}
            return _profile(row)

    def set_portrait(self, who: Principal, designer_id: str, data: bytes) -> DesignerProfile:
        """Check the uploaded image and keep only our own PNG re-encoding of it (at most 512 px), never the upload."""
        authorize(who, Action.EDIT_PROFILE, designer_id=designer_id)
        png = reencode_portrait(data)
        name = hashlib.sha256(png).hexdigest()[:32] + ".png"
        self.portraits_dir.mkdir(parents=True, exist_ok=True)
        path = self.portraits_dir / name
        if not path.exists():
            partial = path.with_suffix(f".{secrets.token_hex(4)}.part")
            partial.write_bytes(png)
            partial.replace(path)
        with self.sessions.begin() as session:
            row = session.get(DesignerRow, designer_id)
            assert row is not None
            row.portrait_path = name
            return _profile(row)


def reencode_portrait(data: bytes) -> bytes:
    """The image as a PNG we drew ourselves: size, pixel count and format checked before it is decoded, metadata
    and anything after the image dropped. DesignerError in plain words otherwise."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_PORTRAIT_BYTES:
        raise DesignerError(t("The picture is too large: at most {mb} MB.", mb=MAX_PORTRAIT_BYTES // 2**20))
    refused = DesignerError(t("This picture cannot be used. Upload a PNG, JPEG or WebP image."))
    try:
        with Image.open(io.BytesIO(data), formats=list(PORTRAIT_FORMATS)) as image:
            width, height = image.size
            if width * height > MAX_PORTRAIT_PIXELS or width < 1 or height < 1:
                raise DesignerError(t("The picture has too many pixels: at most 4096 × 4096."))
            image.draft("RGB", (PORTRAIT_SIZE, PORTRAIT_SIZE))  # JPEG: decode small from the start
            image.load()
            picture = image.convert("RGBA")
    except DesignerError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise refused from e
    picture.thumbnail((PORTRAIT_SIZE, PORTRAIT_SIZE))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _profile(row: DesignerRow) -> DesignerProfile:
    return DesignerProfile(row.id, row.name, row.display_name, row.city, dict(row.about or {}), row.portrait_path)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
