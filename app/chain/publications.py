"""Publications and the one-writer guards, created and changed only here (every call is idempotent).

The guard is a trigger on each table this member only receives: any local insert, update, delete or truncate is
refused. Replication's apply workers run with `session_replication_role = replica`, where ordinary triggers do
not fire, so replication is the one way in (PostgreSQL docs, "Logical Replication: Triggers").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.chain.tables import (
    CATALOG_PUBLICATION,
    CATALOG_TABLES,
    FACT_TABLES,
    FACTS_PUBLICATION,
    ORDER_TABLES,
    checked_store_id,
    orders_publication,
    received_here,
    written_here,
)

GUARD = "fabkiosk_one_writer"
_WRITER = {"hq": "the head office", "store": "its store"}


class ChainError(RuntimeError):
    """A chain command cannot go on; the message says why and what to do."""


@contextlib.contextmanager
def admin_connection(url: str) -> Iterator[Connection]:
    """A connection outside any transaction: CREATE/ALTER SUBSCRIPTION and slot functions need one."""
    if not url.startswith("postgresql"):
        raise ChainError("a chain needs PostgreSQL on every member: set database_url to a postgresql:// URL")
    engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def sqlalchemy_url(url: str) -> str:
    """A libpq URI (as printed for people and given to subscriptions) as SQLAlchemy's psycopg URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """SQLAlchemy's URL as the libpq URI a subscription's CONNECTION takes."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def check_server(connection: Connection, slot_keep_mb: int) -> None:
    """Logical replication needs wal_level = logical (a restart); the slot limit is set here (a reload)."""
    if connection.scalar(text("SHOW wal_level")) != "logical":
        raise ChainError(
            "PostgreSQL's wal_level is not 'logical': set `wal_level = logical` in postgresql.conf and restart it"
        )
    connection.execute(text(f"ALTER SYSTEM SET max_slot_wal_keep_size = '{int(slot_keep_mb)}MB'"))
    connection.execute(text("SELECT pg_reload_conf()"))


def ensure_guards(connection: Connection, role: str) -> None:
    """Refuse local writes to every replicated table this member only receives; allow the ones it writes."""
    connection.execute(
        text(
            "CREATE OR REPLACE FUNCTION fabkiosk_refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'fabkiosk: % is written by %; here it only arrives through replication', "
            "TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'insufficient_privilege'; END $$"
        )
    )
    writer = _WRITER["store" if role == "hq" else "hq"]
    for table in received_here(role):
        connection.execute(
            text(
                f"CREATE OR REPLACE TRIGGER {GUARD} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION fabkiosk_refuse_write('{writer}')"
            )
        )
    for table in written_here(role):
        connection.execute(text(f"DROP TRIGGER IF EXISTS {GUARD} ON {table}"))


def ensure_publication(connection: Connection, name: str, tables: str) -> None:
    """Create the publication, or bring an existing one to exactly these tables (and row filters)."""
    exists = connection.scalar(text("SELECT count(*) FROM pg_publication WHERE pubname = :n"), {"n": name})
    if exists:
        connection.execute(text(f"ALTER PUBLICATION {name} SET TABLE {tables}"))
    else:
        # truncate is not published: no member ever empties another's table by one statement
        connection.execute(
            text(f"CREATE PUBLICATION {name} FOR TABLE {tables} WITH (publish = 'insert, update, delete')")
        )


def ensure_hq_publications(connection: Connection) -> None:
    """The catalog for every store, and each store's own orders."""
    ensure_publication(connection, CATALOG_PUBLICATION, ", ".join(CATALOG_TABLES))
    for (store,) in connection.execute(text("SELECT id FROM stores")):
        ensure_orders_publication(connection, store)


def ensure_orders_publication(connection: Connection, store: str) -> None:
    checked_store_id(store)
    filtered = ", ".join(f"{table} WHERE (store = '{store}')" for table in ORDER_TABLES)
    ensure_publication(connection, orders_publication(store), filtered)


def ensure_store_publication(connection: Connection) -> None:
    ensure_publication(connection, FACTS_PUBLICATION, ", ".join(FACT_TABLES))


def publication_tables(connection: Connection, name: str) -> set[str]:
    rows = connection.execute(text("SELECT tablename FROM pg_publication_tables WHERE pubname = :n"), {"n": name})
    return {row[0] for row in rows}
