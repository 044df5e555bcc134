"""Submissions: a designer's template with its details, checked by intake on a worker of its own (never on the
event loop), then approved by staff (a new published version) or sent back with a reason the designer sees."""

from __future__ import annotations

import json
import logging
import secrets
import tomllib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access import Action, Principal, authorize
from app.config import DesignerPolicy
from app.designers.accounts import DesignerError, page_name
from app.designers.intake import Intake, IntakeResult, intake_passed
from app.designers.versions import VersionedCatalog, publish_version
from app.designs.catalog import KNOWN_KINDS
from app.designs.fonts import STORE_FONTS
from app.i18n import t
from app.models import DesignerRow, SubmissionRow, TemplateVersionRow

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
MAX_SOURCE_BYTES = 200_000  # an OpenSCAD customizer file is a few kB; this is plenty
OPEN = ("checking", "failed", "in_review", "sent_back")  # a designer may still change these


@dataclass(frozen=True)
class SubmissionForm:
    """What the designer fills in beside the file."""

    title: dict[str, str]  # "en" needed, "de" welcome
    description: dict[str, str]
    machine_kinds: tuple[str, ...]
    fonts: tuple[str, ...]
    share_percent: str  # as typed: "12.5"
    source: str  # the OpenSCAD customizer file
    # the text area ([outline]): width and height as expressions of the settings, the text settings inside it,
    # and how messages name the text and the part, by language
    outline_width: str = ""
    outline_height: str = ""
    outline_texts: tuple[str, ...] = ()
    text_name: dict[str, str] = field(default_factory=dict)
    part_name: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    id: str
    designer_id: str
    designer_name: str
    template_id: str
    title: str
    status: str
    share_percent: Decimal
    results: tuple[IntakeResult, ...]
    reason: str
    version_id: str | None
    source: str
    meta_toml: str
    updated_at: datetime


class Submissions:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        catalog: VersionedCatalog,
        intake: Intake,
        policy: DesignerPolicy,
        clock: Clock | None = None,
        owns_catalog: bool = True,
    ) -> None:
        self.sessions = sessions
        # a store of a chain receives its catalog from the head office: templates are approved there
        self.owns_catalog = owns_catalog
        self.catalog = catalog
        self.intake = intake
        self.policy = policy
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        # one template at a time: its corners already use every tool slot
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")

    def resume(self) -> int:
        """Check again what was being checked when the server stopped (intake runs in memory only); how many."""
        with self.sessions() as session:
            waiting = list(session.scalars(select(SubmissionRow.id).where(SubmissionRow.status == "checking")))
        for submission_id in waiting:
            self._worker.submit(self._run_intake, submission_id)
        return len(waiting)

    # --- the designer's side ------------------------------------------------------------------------------

    def submit(self, who: Principal, form: SubmissionForm, replaces: str | None = None) -> tuple[str, Future[None]]:
        """Store the submission (or the designer's fix of an open one) and start its intake; its id and the
        intake's future. DesignerError says what to change."""
        owner = who.designer_id
        if replaces:  # a fix is of the designer's own submission only (Forbidden alike for another's or none)
            with self.sessions() as session:
                earlier = session.get(SubmissionRow, replaces)
                owner = earlier.designer_id if earlier is not None else ""
        authorize(who, Action.SUBMIT_TEMPLATE, designer_id=owner)
        assert who.designer_id is not None
        share = self._share(form.share_percent)
        now = self.clock()
        with self.sessions.begin() as session:
            designer = session.get(DesignerRow, who.designer_id)
            assert designer is not None
            meta_toml = metadata_toml(form, designer)
            if replaces:
                row = session.get(SubmissionRow, replaces)
                if row is None or row.designer_id != who.designer_id:
                    raise DesignerError(t("There is no such submission of yours."))
                if row.status not in OPEN:
                    raise DesignerError(t("This submission was decided already; submit a new one."))
            else:
                template_id = page_name(form.title.get("en", ""))
                if len(template_id) < 2:
                    raise DesignerError(t("Give the design an English title."))
                row = SubmissionRow(
                    id=secrets.token_hex(16), designer_id=who.designer_id, template_id=template_id, created_at=now
                )
            owner = session.scalar(
                select(TemplateVersionRow.designer_id).where(TemplateVersionRow.template_id == row.template_id)
            )
            if owner is not None and owner != who.designer_id:
                raise DesignerError(t("Another designer's design has this title already; choose another title."))
            row.meta_toml, row.scad_source, row.share_percent = meta_toml, form.source, share
            row.status, row.intake, row.reason, row.updated_at = "checking", [], "", now
            session.add(row)
            submission_id = row.id
        return submission_id, self._worker.submit(self._run_intake, submission_id)

    def mine(self, who: Principal) -> list[Submission]:
        return self.of_designer(who, who.designer_id or "")

    def of_designer(self, who: Principal, designer_id: str) -> list[Submission]:
        """A designer's submissions, newest first: for that designer only."""
        authorize(who, Action.VIEW_OWN_SUBMISSIONS, designer_id=designer_id)
        with self.sessions() as session:
            rows = session.scalars(
                select(SubmissionRow)
                .where(SubmissionRow.designer_id == designer_id)
                .order_by(SubmissionRow.updated_at.desc())
            )
            return [self._view(session, row) for row in rows]

    def get(self, who: Principal, submission_id: str) -> Submission:
        """One submission: its designer's own, or any for staff reviewing. Forbidden for anyone else (the same
        answer whether it exists or not)."""
        with self.sessions() as session:
            row = session.get(SubmissionRow, submission_id)
            if who.is_staff:
                authorize(who, Action.REVIEW_SUBMISSIONS)
            else:
                authorize(who, Action.VIEW_OWN_SUBMISSIONS, designer_id=row.designer_id if row else "")
            if row is None:
                raise KeyError(submission_id)
            return self._view(session, row)

    # --- review -------------------------------------------------------------------------------------------

    def for_review(self, who: Principal) -> list[Submission]:
        """Every submission, those waiting for a decision first."""
        authorize(who, Action.REVIEW_SUBMISSIONS)
        with self.sessions() as session:
            rows = list(session.scalars(select(SubmissionRow).order_by(SubmissionRow.updated_at.desc())))
            rows.sort(key=lambda r: r.status != "in_review")
            return [self._view(session, row) for row in rows]

    def approve(self, who: Principal, submission_id: str) -> TemplateVersionRow:
        """Publish the submission as the template's next version; the catalog shows it from now on."""
        authorize(who, Action.REVIEW_SUBMISSIONS)
        if not self.owns_catalog:
            raise DesignerError(t("This store receives its catalog from the head office: approve templates there."))
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.get(SubmissionRow, submission_id, with_for_update=True)
            if row is None or row.status != "in_review":
                raise DesignerError(t("Only a submission that passed intake and waits for review can be approved."))
            version = publish_version(
                session,
                row.template_id,
                row.designer_id,
                row.meta_toml,
                row.scad_source,
                Decimal(row.share_percent),
                who.actor,
                now,
                submission_id=row.id,
            )
            row.status, row.version_id, row.reviewed_by, row.reviewed_at, row.updated_at = (
                "approved",
                version.id,
                who.actor,
                now,
                now,
            )
        self.catalog.reload()
        return version

    def send_back(self, who: Principal, submission_id: str, reason: str) -> None:
        authorize(who, Action.REVIEW_SUBMISSIONS)
        if not reason.strip():
            raise DesignerError(t("Say why, so the designer knows what to change."))
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.get(SubmissionRow, submission_id, with_for_update=True)
            if row is None or row.status not in ("in_review", "failed"):
                raise DesignerError(t("This submission is not waiting for a decision."))
            row.status, row.reason, row.reviewed_by, row.reviewed_at, row.updated_at = (
                "sent_back",
                reason.strip()[:500],
                who.actor,
                now,
                now,
            )

    # --- internals ----------------------------------------------------------------------------------------

    def _run_intake(self, submission_id: str) -> None:
        with self.sessions() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None:
                return
            template_id, meta_toml, source = row.template_id, row.meta_toml, row.scad_source
        try:
            results = self.intake.check(template_id, meta_toml, source)
        except Exception:
            log.exception("intake of %s failed", submission_id)
            results = []
        with self.sessions.begin() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None or row.scad_source != source or row.meta_toml != meta_toml:
                return  # changed meanwhile: the newer intake writes its own results
            row.intake = [r.record() for r in results]
            row.status = "in_review" if intake_passed(results) else "failed"
            row.updated_at = self.clock()

    def _share(self, typed: str) -> Decimal:
        try:
            share = Decimal(typed.strip().replace(",", "."))
        except InvalidOperation as e:
            raise DesignerError(t("Give your share as a number of percent, e.g. 12.5.")) from e
        if not share.is_finite() or not Decimal(0) <= share <= self.policy.max_share_percent:
            raise DesignerError(
                t("Your share can be from 0 to {max} percent.", max=f"{self.policy.max_share_percent:g}")
            )
        return share.quantize(Decimal("0.01"))

    @staticmethod
    def _view(session: Session, row: SubmissionRow) -> Submission:
        designer = session.get(DesignerRow, row.designer_id)
        try:
            title = dict(tomllib.loads(row.meta_toml).get("title", {})).get("en", row.template_id)
        except tomllib.TOMLDecodeError:
            title = row.template_id
        return Submission(
            row.id,
            row.designer_id,
            designer.display_name if designer else "",
            row.template_id,
            str(title),
            row.status,
            Decimal(row.share_percent),
            tuple(IntakeResult.from_record(r) for r in row.intake or []),
            row.reason,
            row.version_id,
            row.scad_source,
            row.meta_toml,
            row.updated_at,
        )


def metadata_toml(form: SubmissionForm, designer: DesignerRow) -> str:
    """The template's metadata file from the form; DesignerError for what the form must say differently."""
    if not form.title.get("en", "").strip():
        raise DesignerError(t("Give the design an English title."))
    kinds = tuple(k for k in form.machine_kinds if k in KNOWN_KINDS)
    if not kinds:
        raise DesignerError(t("Choose the machines that make the design."))
    printed = "fdm_printer" in kinds
    if printed and len(kinds) > 1:
        raise DesignerError(t("A printed design (3-D) and a cut or engraved one (2-D) are two designs."))
    if any(f not in STORE_FONTS for f in form.fonts):
        raise DesignerError(t("Choose fonts from the store's list."))
    if len(form.source.encode("utf-8")) > MAX_SOURCE_BYTES or not form.source.strip():
        raise DesignerError(t("Upload the OpenSCAD file (at most {kb} kB).", kb=MAX_SOURCE_BYTES // 1000))
    meta: dict[str, Any] = {
        "title": _languages(form.title),
        "description": _languages(form.description),
        "designer": {"name": designer.display_name, "city": designer.city},
        "machine_kinds": list(kinds),
        "output": "stl" if printed else "svg",
        "fonts": list(form.fonts),
    }
    if form.outline_width.strip() or form.outline_texts:
        meta["outline"] = {
            "width": form.outline_width.strip(),
            "height": form.outline_height.strip(),
            "texts": list(form.outline_texts),
            "text": _languages(form.text_name),
            "part": _languages(form.part_name),
        }
    text = "\n".join(f"{key} = {_toml_value(value)}" for key, value in meta.items()) + "\n"
    tomllib.loads(text)  # what we wrote reads back
    return text


def _languages(texts: dict[str, str]) -> dict[str, str]:
    return {lang: text.strip()[:500] for lang, text in texts.items() if lang in ("de", "en") and text.strip()}


def _toml_value(value: Any) -> str:
    """TOML for strings, lists and (inline) tables: a JSON string is a TOML basic string."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))
