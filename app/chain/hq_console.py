"""The head office's figures (`/hq`): every store and its machines with the age of their last report, today's jobs
per store, what is made and rated best per city, designers whose designs travel beyond their city, machine
utilisation per kind; and publishing a template version to every store or to chosen cities.

Everything is read from the head office's own database, where logical replication brings each store's facts; no
store is ever asked over the network. Every figure is a grouped query (no query per row), and no customer's name or
link is ever read here: head-office staff see the chain, not its customers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.access import Action, Principal, authorize
from app.i18n import t
from app.job_records import JobRefused, aware
from app.job_states import JobState
from app.models import DesignerRow, JobRow, MachineSnapshotRow, RatingRow, StoreRow, TemplateVersionRow

Clock = Callable[[], datetime]
MADE = (JobState.FINISHING.value, JobState.READY_FOR_PICKUP.value, JobState.COLLECTED.value)


@dataclass(frozen=True)
class MachineReport:
    machine_id: str
    kind: str
    state: str
    age_s: float  # since the store last reported this machine
    stale: bool


@dataclass(frozen=True)
class StoreReport:
    id: str
    name: str
    city: str
    machines: tuple[MachineReport, ...]
    last_report_age_s: float | None  # None: the store never reported
    jobs_today: int
    stale: bool  # no report for a while (or never): the store or its link is down; what is shown may be old


@dataclass(frozen=True)
class CityFavourite:
    city: str
    template_id: str
    made: int  # jobs of it made in the city's stores (all time)
    stars: float | None  # its mean rating there
    ratings: int


@dataclass(frozen=True)
class TravellingDesigner:
    designer_id: str
    name: str
    home: str  # the designer's city
    cities: tuple[str, ...]  # other cities their designs were made in
    made_elsewhere: int


@dataclass(frozen=True)
class KindUse:
    kind: str
    machines: int
    running_now: int
    busy_today: float  # share of the machines' time since midnight spent making jobs, 0..1


@dataclass(frozen=True)
class Published:
    version_id: str
    template_id: str
    version: int
    cities: tuple[str, ...]  # empty: every store


def store_is_stale(last_report: datetime | None, now: datetime, after: timedelta) -> bool:
    """One rule for the console and the order pages alike (`[chain] stale_after_s`; stores report every 10 s)."""
    return last_report is None or now - aware_utc(last_report) > after


def aware_utc(moment: datetime) -> datetime:
    value = aware(moment)
    assert value is not None
    return value


class HqConsole:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        timezone: str,
        stale_after: timedelta,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.zone = ZoneInfo(timezone)
        self.stale_after = stale_after
        self.clock = clock

    def _stale(self, last_report: datetime | None, now: datetime) -> bool:
        return store_is_stale(last_report, now, self.stale_after)

    def midnight(self) -> datetime:
        """Today's start in the head office's time zone: "today" is the same day for every figure."""
        local = self.clock().astimezone(self.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    # --- stores and their machines ---------------------------------------------------------------------------

    def stores(self, who: Principal) -> list[StoreReport]:
        authorize(who, Action.VIEW_HQ)
        now, midnight = self.clock(), self.midnight()
        with self.sessions() as session:
            stores = list(
                session.scalars(select(StoreRow).where(StoreRow.retired_at.is_(None)).order_by(StoreRow.city))
            )
            snapshots: dict[str, list[MachineSnapshotRow]] = defaultdict(list)
            for row in session.scalars(select(MachineSnapshotRow).order_by(MachineSnapshotRow.machine_id)):
                snapshots[row.store].append(row)
            today = dict(
                session.execute(
                    select(JobRow.store, func.count()).where(JobRow.created_at >= midnight).group_by(JobRow.store)
                ).all()
            )
        reports = []
        for store in stores:
            machines = tuple(
                MachineReport(
                    m.machine_id,
                    m.kind,
                    m.state,
                    (now - aware_utc(m.updated_at)).total_seconds(),
                    store_is_stale(m.updated_at, now, self.stale_after),
                )
                for m in snapshots.get(store.id, [])
            )
            age = min((m.age_s for m in machines), default=None)
            stale = age is None or age > self.stale_after.total_seconds()
            reports.append(StoreReport(store.id, store.name, store.city, machines, age, today.get(store.id, 0), stale))
        return reports

    # --- what is made and loved where ---------------------------------------------------------------------------

    def favourites(self, who: Principal, per_city: int = 3) -> dict[str, list[CityFavourite]]:
        """Per city: the templates made most there, best rated first among equals, with their mean stars."""
        authorize(who, Action.VIEW_HQ)
        with self.sessions() as session:
            made = session.execute(
                select(StoreRow.city, JobRow.template_id, func.count())
                .join(StoreRow, StoreRow.id == JobRow.store)
                .where(JobRow.state.in_(MADE), JobRow.template_id.is_not(None))
                .group_by(StoreRow.city, JobRow.template_id)
            ).all()
            rated = session.execute(
                select(StoreRow.city, RatingRow.template_id, func.avg(RatingRow.stars), func.count())
                .join(StoreRow, StoreRow.id == RatingRow.store)  # each rating carries the store it was given at
                .where(RatingRow.template_id.is_not(None))
                .group_by(StoreRow.city, RatingRow.template_id)
            ).all()
        stars = {(city, template): (float(mean), count) for city, template, mean, count in rated}
        by_city: dict[str, list[CityFavourite]] = defaultdict(list)
        for city, template, count in made:
            if template is None:
                continue
            mean, ratings = stars.get((city, template), (None, 0))
            by_city[city].append(CityFavourite(city, template, count, mean, ratings))
        return {
            city: sorted(items, key=lambda f: (-f.made, -(f.stars or 0), f.template_id))[:per_city]
            for city, items in sorted(by_city.items())
        }

    def travelling_designers(self, who: Principal) -> list[TravellingDesigner]:
        """Designers whose designs were made in stores of other cities than their own, most travelled first."""
        authorize(who, Action.VIEW_HQ)
        # a template's designer is on its newest published version (the head office's catalog): one per template
        newest = (
            select(TemplateVersionRow.template_id, func.max(TemplateVersionRow.version).label("version"))
            .group_by(TemplateVersionRow.template_id)
            .subquery()
        )
        designer_of = (
            select(TemplateVersionRow.template_id, TemplateVersionRow.designer_id)
            .join(
                newest,
                (newest.c.template_id == TemplateVersionRow.template_id)
                & (newest.c.version == TemplateVersionRow.version),
            )
            .subquery()
        )
        with self.sessions() as session:
            rows = session.execute(
                select(DesignerRow.id, DesignerRow.display_name, DesignerRow.city, StoreRow.city, func.count())
                .select_from(JobRow)
                .join(StoreRow, StoreRow.id == JobRow.store)
                .join(designer_of, designer_of.c.template_id == JobRow.template_id)
                .join(DesignerRow, DesignerRow.id == designer_of.c.designer_id)
                .where(JobRow.state.in_(MADE), StoreRow.city != DesignerRow.city)
                .group_by(DesignerRow.id, DesignerRow.display_name, DesignerRow.city, StoreRow.city)
            ).all()
        found: dict[str, tuple[str, str, list[str], int]] = {}
        for designer_id, name, home, city, count in rows:
            _, _, cities, total = found.get(designer_id, (name, home, [], 0))
            found[designer_id] = (name, home, [*cities, city], total + count)
        return sorted(
            (
                TravellingDesigner(d, name, home, tuple(sorted(cities)), n)
                for d, (name, home, cities, n) in found.items()
            ),
            key=lambda d: (-len(d.cities), -d.made_elsewhere, d.name),
        )

    def utilisation(self, who: Principal) -> list[KindUse]:
        """Per machine kind: machines reporting, how many run now, and the share of today they spent making jobs."""
        authorize(who, Action.VIEW_HQ)
        now, midnight = self.clock(), self.midnight()
        with self.sessions() as session:
            machines = list(session.scalars(select(MachineSnapshotRow)))
            worked = session.execute(
                select(JobRow.store, JobRow.machine_id, JobRow.started_at, JobRow.ended_at).where(
                    JobRow.started_at.is_not(None),
                    (JobRow.ended_at.is_(None)) | (JobRow.ended_at >= midnight),
                )
            ).all()
        kind_of = {(m.store, m.machine_id): m.kind for m in machines}
        busy: dict[str, float] = defaultdict(float)
        for store, machine_id, started, ended in worked:
            kind = kind_of.get((store, machine_id))
            if kind is None or started is None:
                continue
            start = max(aware_utc(started), midnight)
            end = aware_utc(ended) if ended is not None else now
            busy[kind] += max(0.0, (end - start).total_seconds())
        day_so_far = max(1.0, (now - midnight).total_seconds())
        counts: dict[str, list[MachineSnapshotRow]] = defaultdict(list)
        for m in machines:
            counts[m.kind].append(m)
        return [
            KindUse(
                kind,
                len(rows),
                sum(
                    1 for m in rows if m.state == "running" and not store_is_stale(m.updated_at, now, self.stale_after)
                ),
                min(1.0, busy[kind] / (len(rows) * day_so_far)),
            )
            for kind, rows in sorted(counts.items())
        ]

    # --- the catalog ------------------------------------------------------------------------------------------

    def versions(self, who: Principal) -> list[Published]:
        """The newest published version of each template and where it is offered."""
        authorize(who, Action.VIEW_HQ)
        with self.sessions() as session:
            rows = session.scalars(
                select(TemplateVersionRow)
                .where(TemplateVersionRow.withdrawn_at.is_(None))
                .order_by(TemplateVersionRow.template_id, TemplateVersionRow.version.desc())
            )
            newest: dict[str, Published] = {}
            for row in rows:
                newest.setdefault(
                    row.template_id, Published(row.id, row.template_id, row.version, tuple(row.cities or ()))
                )
        return list(newest.values())

    def cities(self, who: Principal) -> list[str]:
        authorize(who, Action.VIEW_HQ)
        with self.sessions() as session:
            return sorted(set(session.scalars(select(StoreRow.city).where(StoreRow.retired_at.is_(None)))))

    def publish(self, who: Principal, version_id: str, cities: Sequence[str]) -> Published:
        """Offer a version in every store (no cities) or in the stores of the cities chosen; replication takes the
        row to every store, whose catalog shows it where its city is among them."""
        authorize(who, Action.PUBLISH)
        known = set(self.cities(who))
        chosen = sorted({c for c in cities if c})
        if any(c not in known for c in chosen):
            raise JobRefused(t("There is no store in that city."))
        with self.sessions.begin() as session:
            row = session.get(TemplateVersionRow, version_id, with_for_update=True)
            if row is None or row.withdrawn_at is not None:
                raise JobRefused(t("This version is not published."))
            row.cities = chosen
            return Published(row.id, row.template_id, row.version, tuple(chosen))
