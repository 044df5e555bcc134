"""Migrations in a chain. Replication carries rows, not schema: each member migrates its own database, and a link
keeps working only while its publisher sends no column its subscriber lacks, and its subscriber needs no column
its publisher does not send (a required column without a default).

So every migration is applied alone, in a transaction, and checked against each peer's schema before it commits:
a migration that would break a link is rolled back and refused, naming the member that must go first. What follows
from the rule: a column is added at the subscribers first (head office before stores for facts, stores before the
head office for the catalog) and dropped at the publishers first; a rename is refused in either order (add the new
column, copy, and drop the old one in a later release).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.chain.publications import (
    ChainError,
    admin_connection,
    ensure_hq_publications,
    ensure_store_publication,
)
from app.chain.tables import CATALOG_TABLES, FACT_TABLES, ORDER_TABLES, store_subscription
from app.config import ChainSettings
from app.db import MIGRATIONS_DIR

log = logging.getLogger(__name__)
Columns = dict[str, dict[str, tuple[str, bool]]]  # table -> column -> (type, required: not null and no default)


class UpgradeRefused(ChainError):
    """A migration would break a link of the chain; nothing was changed."""


@dataclass(frozen=True)
class Peer:
    name: str  # "the head office" or "store koeln"
    url: str
    sends: tuple[str, ...]  # tables the peer publishes to this member
    receives: tuple[str, ...]  # tables this member publishes to the peer


def alembic_config(version_locations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if version_locations:
        locations = [MIGRATIONS_DIR / "versions", *version_locations]
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", ":".join(str(p) for p in locations))
    return config


def pending_revisions(engine: Engine, config: Config) -> list[str]:
    script = ScriptDirectory.from_config(config)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    revisions = script.iterate_revisions("heads", current or "base")
    return [r.revision for r in reversed(list(revisions))]


def migrate_member(engine: Engine, chain: ChainSettings, version_locations: Sequence[Path] = ()) -> list[str]:
    """Bring this database to the newest revision in the chain's order; returns the revisions applied.

    On its own (SQLite, or PostgreSQL in no chain) this is the plain migration."""
    config = alembic_config(version_locations)
    pending = pending_revisions(engine, config)
    peers = chain_peers(engine, chain) if engine.dialect.name == "postgresql" else []
    if pending and peers:
        theirs = {peer.name: _peer_columns(peer) for peer in peers}
        for revision in pending:
            with engine.begin() as connection:
                before = _problems(columns_of(connection, _replicated()), peers, theirs)
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                after = _problems(columns_of(connection, _replicated()), peers, theirs)
                new = [problem for problem in after if problem not in before]
                if new:
                    raise UpgradeRefused(f"migration {revision} refused, nothing was changed: " + "; ".join(new))
    elif pending:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    if peers:
        _after_upgrade(engine, chain)
    return pending


def chain_peers(engine: Engine, chain: ChainSettings) -> list[Peer]:
    """The members this one links to, and how to read their schema: a store reads the head office's through
    its subscription's address, the head office each store's through its store link."""
    with engine.connect() as connection:
        if chain.role == "hq":
            if not _has_table(connection, "store_links"):
                return []
            rows = connection.execute(text("SELECT store, conninfo FROM store_links ORDER BY store"))
            return [Peer(f"store {store}", url, FACT_TABLES, CATALOG_TABLES + ORDER_TABLES) for store, url in rows]
        url = connection.scalar(
            text("SELECT subconninfo FROM pg_subscription WHERE subname = :s"),
            {"s": store_subscription(chain.store_id)},
        )
    return [Peer("the head office", url, CATALOG_TABLES + ORDER_TABLES, FACT_TABLES)] if url else []


def _replicated() -> tuple[str, ...]:
    return CATALOG_TABLES + ORDER_TABLES + FACT_TABLES


def columns_of(connection: Connection, tables: Sequence[str]) -> Columns:
    """The columns of these tables, from pg_catalog (which any role may read, unlike the tables themselves)."""
    rows = connection.execute(
        text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull AND NOT a.atthasdef "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = ANY(:tables) AND a.attnum > 0 AND NOT a.attisdropped"
        ),
        {"tables": list(tables)},
    )
    columns: Columns = {}
    for table, column, type_, required in rows:
        columns.setdefault(table, {})[column] = (type_, bool(required))
    return columns


def _peer_columns(peer: Peer) -> Columns:
    try:
        with admin_connection(peer.url) as connection:
            return columns_of(connection, _replicated())
    except SQLAlchemyError as e:
        raise UpgradeRefused(
            f"{peer.name} cannot be reached to compare schemas ({type(e).__name__}); nothing was changed: "
            "migrate when it answers"
        ) from e


def _problems(mine: Columns, peers: Sequence[Peer], theirs: dict[str, Columns]) -> list[str]:
    problems = []
    for peer in peers:
        for table in peer.receives:  # this member publishes, the peer subscribes
            problems += _link_problems(table, mine.get(table), theirs[peer.name].get(table), peer.name, "first")
        for table in peer.sends:  # the peer publishes, this member subscribes
            problems += _link_problems(table, theirs[peer.name].get(table), mine.get(table), peer.name, "after")
    return problems


def _link_problems(
    table: str,
    publisher: dict[str, tuple[str, bool]] | None,
    subscriber: dict[str, tuple[str, bool]] | None,
    peer: str,
    peer_goes: str,
) -> list[str]:
    """What breaks replication of `table` from publisher to subscriber; `peer_goes` says whether the peer is the
    subscriber ("first": it must migrate before this member) or the publisher ("after")."""
    if publisher is None:
        return []
    if subscriber is None:
        return [f"{table} is missing at the subscriber: {peer} must migrate {peer_goes}"]
    problems = []
    for column, (type_, _required) in publisher.items():
        if column not in subscriber:
            problems.append(f"{table}.{column} would be sent but not received: {peer} must migrate {peer_goes}")
        elif subscriber[column][0] != type_:
            problems.append(f"{table}.{column} differs in type ({type_} / {subscriber[column][0]})")
    for column, (_type, required) in subscriber.items():
        if column not in publisher and required:
            problems.append(f"{table}.{column} is required but would never be sent: {peer} must migrate {peer_goes}")
    return problems


def _has_table(connection: Connection, table: str) -> bool:
    return bool(connection.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}))


def _after_upgrade(engine: Engine, chain: ChainSettings) -> None:
    """Publications follow the code's table lists; subscriptions here learn of tables their publishers added."""
    with admin_connection(engine.url.render_as_string(hide_password=False)) as connection:
        if chain.role == "hq":
            ensure_hq_publications(connection)
        else:
            ensure_store_publication(connection)
        refresh_subscriptions(connection)


def refresh_subscriptions(connection: Connection) -> None:
    names = connection.scalars(text("SELECT subname FROM pg_subscription WHERE subname LIKE 'fabkiosk\\_%'"))
    for name in list(names):
        try:
            connection.execute(text(f"ALTER SUBSCRIPTION {name} REFRESH PUBLICATION"))
        except SQLAlchemyError as e:  # the publisher is away: the tables it added arrive after the next refresh
            log.warning("subscription %s not refreshed: %s", name, e)
