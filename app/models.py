"""Database tables (SQLAlchemy 2). Every change to them comes with an Alembic migration in app/migrations.

Longer than 400 lines because every table is here, so one file answers what the migrations must build
(tests/test_db.py compares them) and what a chain replicates (app/chain/tables.py names the tables).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class DesignRow(Base):
    """Where a part comes from: a catalog template with values, or a customer's upload."""

    __tablename__ = "designs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "template" or "upload"
    template_id: Mapped[str | None] = mapped_column(String(64))
    template_hash: Mapped[str | None] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    upload_path: Mapped[str | None] = mapped_column(String(500))  # server-made name
    upload_format: Mapped[str | None] = mapped_column(String(8))
    display_name: Mapped[str] = mapped_column(String(200), default="")  # customer's filename: display text only
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PartRow(Base):
    """A checked part: the mesh (or 2-D drawing) to make, its size and the problems found."""

    __tablename__ = "parts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    design_id: Mapped[str] = mapped_column(ForeignKey("designs.id"), index=True)
    machine_id: Mapped[str] = mapped_column(String(64))  # checked against this machine's envelope
    geometry_path: Mapped[str] = mapped_column(String(500))
    preview_path: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    size_x: Mapped[float] = mapped_column(Float)
    size_y: Mapped[float] = mapped_column(Float)
    size_z: Mapped[float] = mapped_column(Float)
    volume_mm3: Mapped[float] = mapped_column(Float, default=0.0)
    triangles: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanRow(Base):
    """A machine program for one part on one machine and material, with the slicer's or planner's estimates."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"), index=True)
    machine_id: Mapped[str] = mapped_column(String(64), index=True)
    material: Mapped[str] = mapped_column(String(64))
    program_path: Mapped[str | None] = mapped_column(String(500))
    estimated_seconds: Mapped[int] = mapped_column(Integer)
    material_grams: Mapped[float] = mapped_column(Float, default=0.0)
    sheet_cm2: Mapped[float] = mapped_column(Float, default=0.0)
    layers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuoteRow(Base):
    """A price for a plan; a job locks one when the customer accepts it."""

    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    material_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    machine_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    setup_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_by_job: Mapped[str | None] = mapped_column(String(32), index=True)  # jobs table arrives with the journey
    # the template version priced and its designer's share of the total, fixed when the price is given: a newer
    # version or a changed share never changes a quote already given
    template_version_id: Mapped[str | None] = mapped_column(String(32), index=True)
    designer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    designer_share: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))


class JobRow(Base):
    """A customer's job: one accepted quote on one machine, from submission to pickup. Written only by app/jobs.py."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the phone link's capability token
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), index=True)
    machine_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))  # "kiosk" or "remote"
    state: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")  # why it is held, failed or cancelled: plain words
    paused_by: Mapped[str | None] = mapped_column(String(16))  # "kiosk" or "phone": only they may resume
    display_name: Mapped[str] = mapped_column(String(200), default="")
    estimated_seconds: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the queue: staff may move jobs up
    customer_name: Mapped[str] = mapped_column(String(60), default="")  # remote orders: the name given for pickup
    refund: Mapped[bool] = mapped_column(Boolean, default=False)  # staff flagged the money to be given back
    tip: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))  # from the customer, for the designer
    # in a chain (app/chain/): the store that made it, and the figures the head office shows, copied from the
    # quote and plan when the job is first written, so the head office needs no quotes, plans or designs
    store: Mapped[str] = mapped_column(String(64), default="", index=True)
    hq_order_id: Mapped[str | None] = mapped_column(String(32), index=True)  # ordered through the head office
    template_id: Mapped[str | None] = mapped_column(String(64))
    machine_kind: Mapped[str] = mapped_column(String(32), default="")
    material: Mapped[str] = mapped_column(String(64), default="")
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="")


class JobEventRow(Base):
    """One state change of a job: from, to, who and why. Written in the same transaction as the state."""

    __tablename__ = "job_events"

    # the store's own counter; with the store it is unique across a chain (the key on PostgreSQL, app/chain/)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")


class StaffUserRow(Base):
    """A staff or admin account. Only the argon2 hash of the password is stored."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # "staff" or "admin"
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # wrong passwords in a row
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSessionRow(Base):
    """A signed-in staff browser: the sha256 of its session token, until it expires or signs out."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MachineSettingsRow(Base):
    """What staff set per machine, kept across restarts: maintenance, the material loaded, whether it must be
    cleared (the ready handshake) before the next job."""

    __tablename__ = "machine_settings"

    machine_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_material: Mapped[str | None] = mapped_column(String(64))
    needs_clearing: Mapped[bool] = mapped_column(Boolean, default=False)
    # the last job did not finish (held, stopped, cancelled): what is on the bed is for staff to judge
    staff_must_clear: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffActionRow(Base):
    """A staff action on the store (machines, queue, accounts), for the audit log beside the job events."""

    __tablename__ = "staff_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    machine_id: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")


class KioskRow(Base):
    """A kiosk device staff paired, and the machines it stands beside. Only the SHA-256 of its device secret (kept
    in the kiosk browser's HttpOnly cookie) is stored; while pairing, the one-time code and the hash of the claim
    token held by the browser that asked for it."""

    __tablename__ = "kiosks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    machines: Mapped[list[Any]] = mapped_column(default=list)  # machine ids
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # set when the browser claims it
    claim_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # the pairing browser, until it claims
    code: Mapped[str | None] = mapped_column(String(16), index=True)  # the one-time code, until staff confirm it
    code_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_from: Mapped[str] = mapped_column(String(64), default="")  # the address that asked to pair
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffDeviceRow(Base):
    """A browser where a staff account signed in before (the SHA-256 of its device cookie): tries from it are not
    slowed by wrong passwords others typed for that name, so nobody can keep staff out of their own console."""

    __tablename__ = "staff_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DesignerRow(Base):
    """A designer who publishes templates: the public page `/designer/<name>` and, when they sign in, their account
    (a staff_users row with the role "designer")."""

    __tablename__ = "designers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the page's address: lower case, digits, hyphens
    display_name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80), index=True)
    about: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language -> a short text in the designer's words
    portrait_path: Mapped[str | None] = mapped_column(String(500))  # re-encoded by the server, never the upload
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TemplateVersionRow(Base):
    """A published version of a template: its OpenSCAD source and metadata as approved. Versions are never changed
    once published; a new version is a new row, and quotes and jobs keep the version they were made from."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    designer_id: Mapped[str] = mapped_column(ForeignKey("designers.id"), index=True)
    meta_toml: Mapped[str] = mapped_column(Text)  # the template's .toml as approved
    scad_source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of scad_source
    share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # of each job's total, for the designer
    cities: Mapped[list[Any]] = mapped_column(default=list)  # stores' cities it is offered in; empty: every store
    submission_id: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(80))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SubmissionRow(Base):
    """A template a designer submitted: its files, the intake checks' results and the review."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    designer_id: Mapped[str] = mapped_column(ForeignKey("designers.id"), index=True)
    template_id: Mapped[str] = mapped_column(String(64), index=True)
    meta_toml: Mapped[str] = mapped_column(Text)
    scad_source: Mapped[str] = mapped_column(Text)
    share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # "checking", "failed" (intake found problems), "in_review", "sent_back", "approved", "withdrawn"
    status: Mapped[str] = mapped_column(String(16), index=True)
    intake: Mapped[list[Any]] = mapped_column(default=list)  # one entry per check: what, passed, message, picture
    reason: Mapped[str] = mapped_column(String(500), default="")  # why it was sent back, in the reviewer's words
    reviewed_by: Mapped[str] = mapped_column(String(80), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version_id: Mapped[str | None] = mapped_column(String(32))  # the published version, once approved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FollowRow(Base):
    """A customer follows a designer, held by the job link they followed from (no account); ended when undone."""

    __tablename__ = "follows"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    designer_id: Mapped[str] = mapped_column(ForeignKey("designers.id"), index=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    store: Mapped[str] = mapped_column(String(64), default="")  # in a chain: the store it was written in


class RatingRow(Base):
    """How a finished part turned out, from its customer after pickup: 1 to 5 and an optional sentence."""

    __tablename__ = "ratings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)  # one rating per job; it may be changed
    template_id: Mapped[str | None] = mapped_column(String(64), index=True)
    template_version_id: Mapped[str | None] = mapped_column(String(32))
    designer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(280), default="")
    lang: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    store: Mapped[str] = mapped_column(String(64), default="")  # in a chain: the store it was written in


class LedgerEntryRow(Base):
    """Money owed to a designer: their share of a collected job, a tip, or the reversal of either (refund, cancel).
    Entries are only ever added; amounts are exact decimals in the store's currency; each names its job."""

    __tablename__ = "ledger_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    designer_id: Mapped[str] = mapped_column(ForeignKey("designers.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "share", "tip", "reversal"
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # negative for a reversal
    currency: Mapped[str] = mapped_column(String(3))
    reverses: Mapped[str | None] = mapped_column(String(32))  # the entry a reversal undoes
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    store: Mapped[str] = mapped_column(String(64), default="")  # in a chain: the store it was written in


class DesignerInvitationRow(Base):
    """A one-time link an admin made for a designer to make their own account; only the SHA-256 of its token is
    stored. Used once (then `used_at` and the designer it made), and only until it expires."""

    __tablename__ = "designer_invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    designer_id: Mapped[str | None] = mapped_column(String(32))


# --- a chain of stores (app/chain/): who writes what is in app/chain/tables.py ---------------------------------


class StoreRow(Base):
    """A store of the chain. Catalog: written at the head office only, replicated to every store."""

    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the slug of `[chain] store_id`
    name: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MachineSnapshotRow(Base):
    """A machine's last reported state. A fact: written by its store only (app/chain/snapshots.py), at most every
    2 s per machine and at least every `[chain] snapshot_every_s`; its age tells the head office a store is away."""

    __tablename__ = "machine_snapshots"

    store: Mapped[str] = mapped_column(String(64), primary_key=True)
    machine_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HqOrderRow(Base):
    """An order a remote customer placed at the head office for one store. Written at the head office only and
    replicated to that store alone (a row-filtered publication per store); the store's job carries its id."""

    __tablename__ = "hq_orders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    store: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the customer's link token
    template_id: Mapped[str] = mapped_column(String(64))
    template_version_id: Mapped[str | None] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    machine_kind: Mapped[str] = mapped_column(String(32))
    material: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(60), default="")
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    tip: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StoreLinkRow(Base):
    """How the head office reaches a store's database for its subscription. Head office only, never replicated."""

    __tablename__ = "store_links"

    store: Mapped[str] = mapped_column(String(64), primary_key=True)
    conninfo: Mapped[str] = mapped_column(String(1000))
    slot_name: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
