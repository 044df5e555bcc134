"""Each link of this chain member: its state, its lag in bytes and seconds, its last message, and whether it is
stale; at the head office also each store's last report. Read from PostgreSQL's own views
(pg_stat_subscription for what arrives here, pg_replication_slots and pg_stat_replication for what leaves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from app.chain.publications import admin_connection

RESYNC = "at the store: fabkiosk chain join --resync (a full copy both ways)"


@dataclass(frozen=True)
class LinkStatus:
    """One direction of one link, as seen from this member."""

    name: str  # the subscription (arriving here) or the slot (leaving from here)
    direction: str  # "in" or "out"
    state: str  # streaming, catching up, starting, peer away, down, slot lost
    lag_bytes: int | None  # write-ahead log the peer has not confirmed yet (out), None where unknown
    lag_seconds: float | None
    last_message: datetime | None
    stale: bool
    advice: str = ""


@dataclass(frozen=True)
class StoreReport:
    """A store as the head office sees it: when its newest machine snapshot arrived."""

    store: str
    city: str
    last_report: datetime | None
    stale: bool


def links(connection: Connection, stale_after_s: float) -> list[LinkStatus]:
    now = connection.scalar(text("SELECT now()"))
    return _incoming(connection, now, stale_after_s) + _outgoing(connection, now, stale_after_s)


def _incoming(connection: Connection, now: datetime, stale_after_s: float) -> list[LinkStatus]:
    rows = connection.execute(
        text(
            "SELECT s.subname, s.subenabled, st.pid, st.last_msg_send_time, st.last_msg_receipt_time, "
            "COALESCE(e.apply_error_count, 0) + COALESCE(e.sync_error_count, 0), "
            "(SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid AND r.srsubstate <> 'r') "
            "FROM pg_subscription s "
            "LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL "
            "LEFT JOIN pg_stat_subscription_stats e ON e.subid = s.oid "
            "WHERE s.subname LIKE 'fabkiosk\\_%'"
        )
    )
    result = []
    for name, enabled, pid, sent, received, errors, syncing in rows:
        age = (now - received).total_seconds() if received else None
        if not enabled:
            state, advice = "disabled", "ALTER SUBSCRIPTION ... ENABLE, or join again"
        elif pid is None:
            state, advice = "down", "the peer does not answer; changes wait in its slot until it does"
        elif syncing:
            state, advice = "copying", ""
        else:
            state, advice = "streaming", ""
        if errors and state != "streaming":
            advice += f" ({errors} errors so far: see the PostgreSQL log)"
        stale = state != "streaming" or age is None or age > stale_after_s
        lag = (received - sent).total_seconds() if received and sent else None
        result.append(LinkStatus(name, "in", state, None, lag, received, stale, advice.strip()))
    return result


def _outgoing(connection: Connection, now: datetime, stale_after_s: float) -> list[LinkStatus]:
    rows = connection.execute(
        text(
            "SELECT r.slot_name, r.active, r.wal_status, "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), r.confirmed_flush_lsn)::bigint, "
            "EXTRACT(EPOCH FROM sr.replay_lag), sr.reply_time "
            "FROM pg_replication_slots r LEFT JOIN pg_stat_replication sr ON sr.pid = r.active_pid "
            "WHERE r.slot_name LIKE 'fabkiosk\\_%' ORDER BY r.slot_name"
        )
    )
    result = []
    for name, active, wal_status, lag_bytes, replay_lag, reply_time in rows:
        if wal_status == "lost":
            state, advice = "slot lost", f"the peer was away too long and must start over: {RESYNC}"
        elif not active:
            state, advice = "peer away", "its changes wait here until it returns (up to [chain] slot_keep_mb)"
        elif lag_bytes and lag_bytes > 0:
            state, advice = "catching up", ""
        else:
            state, advice = "streaming", ""
        age = (now - reply_time).total_seconds() if reply_time else None
        seconds = float(replay_lag) if replay_lag is not None else (0.0 if state == "streaming" else None)
        stale = state != "streaming" and (state != "catching up" or age is None or age > stale_after_s)
        result.append(
            LinkStatus(
                name,
                "out",
                state,
                int(lag_bytes) if lag_bytes is not None else None,
                seconds,
                reply_time,
                stale,
                advice,
            )
        )
    return result


def store_reports(connection: Connection, stale_after_s: float) -> list[StoreReport]:
    """At the head office: every store and the age of its newest machine snapshot."""
    now = connection.scalar(text("SELECT now()")) or datetime.now(UTC)
    rows = connection.execute(
        text(
            "SELECT s.id, s.city, (SELECT max(m.updated_at) FROM machine_snapshots m WHERE m.store = s.id) "
            "FROM stores s WHERE s.retired_at IS NULL ORDER BY s.id"
        )
    )
    return [
        StoreReport(store, city, last, last is None or (now - last).total_seconds() > stale_after_s)
        for store, city, last in rows
    ]


def render(links_: list[LinkStatus], stores: list[StoreReport]) -> str:
    """The table `fabkiosk chain status` prints."""
    lines = [f"{'link':34} {'dir':3} {'state':12} {'lag bytes':>10} {'lag s':>7}  last message"]
    for link in links_:
        lag_bytes = "-" if link.lag_bytes is None else str(link.lag_bytes)
        lag_s = "-" if link.lag_seconds is None else f"{link.lag_seconds:.1f}"
        last = link.last_message.strftime("%Y-%m-%d %H:%M:%S") if link.last_message else "never"
        flag = "  STALE" if link.stale else ""
        lines.append(f"{link.name:34} {link.direction:3} {link.state:12} {lag_bytes:>10} {lag_s:>7}  {last}{flag}")
        if link.advice:
            lines.append(f"{'':39}{link.advice}")
    if not links_:
        lines.append("(no links: this database is not part of a chain)")
    if stores:
        lines += ["", f"{'store':20} {'city':20} last report"]
        for store in stores:
            last = store.last_report.strftime("%Y-%m-%d %H:%M:%S") if store.last_report else "never"
            lines.append(f"{store.store:20} {store.city:20} {last}{'  STALE' if store.stale else ''}")
    return "\n".join(lines)


def links_of(url: str, stale_after_s: float) -> list[LinkStatus]:
    with admin_connection(url) as connection:
        return links(connection, stale_after_s)


def reports_of(url: str, stale_after_s: float) -> list[StoreReport]:
    with admin_connection(url) as connection:
        return store_reports(connection, stale_after_s)
