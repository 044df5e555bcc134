"""The links of a chain: a store joins (both directions at once), the head office adds stores, and a link whose
slot was given up is made again from a fresh copy (`join --resync`).

Subscriptions are made by the member that receives: the store subscribes to the head office's catalog and its
orders; the head office subscribes to the store's facts. The store asks for the latter through
`fabkiosk_link_store`, a function the head office owns: the store's own role may call it for itself only, so a
store never holds the head office's superuser password (PostgreSQL 15 lets only superusers subscribe).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from app.chain.publications import (
    ChainError,
    admin_connection,
    check_server,
    ensure_guards,
    ensure_hq_publications,
    ensure_orders_publication,
    ensure_store_publication,
    libpq_url,
)
from app.chain.tables import (
    CATALOG_PUBLICATION,
    CATALOG_TABLES,
    FACT_TABLES,
    HQ_ROLE,
    ORDER_TABLES,
    checked_store_id,
    hq_subscription,
    orders_publication,
    received_here,
    store_role,
    store_subscription,
)
from app.config import ChainSettings


@dataclass(frozen=True)
class Invitation:
    """What `add-store` hands to the store: the head office's address with the store's own role."""

    store: str
    hq_url: str

    @property
    def command(self) -> str:
        return f"fabkiosk chain join --hq '{self.hq_url}' --store {self.store}"


def _link_function_sql() -> str:
    facts = "".join(f"DELETE FROM {table} WHERE store = store_id; " for table in FACT_TABLES)
    return f"""
CREATE OR REPLACE FUNCTION fabkiosk_link_store(store_conninfo text, resync boolean) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $fn$
DECLARE
    store_id text;
    sub text;
    existing text;
BEGIN
    IF session_user NOT LIKE 'fabkiosk\\_store\\_%' THEN
        RAISE EXCEPTION 'fabkiosk: only a store''s own role links that store';
    END IF;
    store_id := substring(session_user from 16);
    IF NOT EXISTS (SELECT 1 FROM stores WHERE id = store_id AND retired_at IS NULL) THEN
        RAISE EXCEPTION 'fabkiosk: store % is not in the chain (fabkiosk chain add-store at the head office)', store_id;
    END IF;
    sub := 'fabkiosk_' || store_id || '_to_hq';
    SELECT subconninfo INTO existing FROM pg_subscription WHERE subname = sub;
    IF existing IS NOT NULL AND resync THEN
        -- the store made a fresh slot: this subscription's old one is gone, so leave it alone when dropping
        EXECUTE format('ALTER SUBSCRIPTION %I DISABLE', sub);
        EXECUTE format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', sub);
        EXECUTE format('DROP SUBSCRIPTION %I', sub);
        existing := NULL;
    END IF;
    IF resync THEN
        -- the copy that follows brings every fact of the store again: once, with none left over
        SET LOCAL session_replication_role = replica;
        {facts}
        SET LOCAL session_replication_role = origin;
    END IF;
    INSERT INTO store_links (store, conninfo, slot_name, added_at) VALUES (store_id, store_conninfo, sub, now())
        ON CONFLICT (store) DO UPDATE SET conninfo = EXCLUDED.conninfo, slot_name = EXCLUDED.slot_name;
    IF existing IS NULL THEN
        EXECUTE format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION fabkiosk_facts '
                       'WITH (create_slot = false, slot_name = %L, copy_data = true)', sub, store_conninfo, sub);
    ELSIF existing <> store_conninfo THEN
        EXECUTE format('ALTER SUBSCRIPTION %I CONNECTION %L', sub, store_conninfo);
    END IF;
    RETURN sub;
END $fn$;
REVOKE ALL ON FUNCTION fabkiosk_link_store(text, boolean) FROM PUBLIC;
"""


def _unlink_function_sql() -> str:
    return """
CREATE OR REPLACE FUNCTION fabkiosk_unlink_store() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $fn$
DECLARE
    sub text;
BEGIN
    IF session_user NOT LIKE 'fabkiosk\\_store\\_%' THEN
        RAISE EXCEPTION 'fabkiosk: only a store''s own role unlinks that store';
    END IF;
    sub := 'fabkiosk_' || substring(session_user from 16) || '_to_hq';
    IF EXISTS (SELECT 1 FROM pg_subscription WHERE subname = sub) THEN
        EXECUTE format('ALTER SUBSCRIPTION %I DISABLE', sub);
        EXECUTE format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', sub);
        EXECUTE format('DROP SUBSCRIPTION %I', sub);
    END IF;
END $fn$;
REVOKE ALL ON FUNCTION fabkiosk_unlink_store() FROM PUBLIC;
"""


def init_hq(url: str, slot_keep_mb: int) -> None:
    """Make this database the head office: its publications, guards and the function stores link through."""
    with admin_connection(url) as connection:
        check_server(connection, slot_keep_mb)
        ensure_guards(connection, "hq")
        ensure_hq_publications(connection)
        connection.execute(text(_link_function_sql()))
        connection.execute(text(_unlink_function_sql()))


def add_store(url: str, store: str, name: str, city: str, hq_address: str | None = None) -> Invitation:
    """At the head office: the store's row (catalog), its orders publication and its role; again for an
    existing store, a new password (the old invitation stops working)."""
    checked_store_id(store)
    role = store_role(store)
    password = secrets.token_urlsafe(18)
    with admin_connection(url) as connection:
        if not connection.scalar(text("SELECT count(*) FROM pg_proc WHERE proname = 'fabkiosk_link_store'")):
            raise ChainError("this database is not a head office yet: run `fabkiosk chain init-hq` first")
        connection.execute(
            text(
                "INSERT INTO stores (id, name, city, created_at) VALUES (:id, :name, :city, :now) "
                "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, city = EXCLUDED.city, retired_at = NULL"
            ),
            {"id": store, "name": name, "city": city, "now": datetime.now(UTC)},
        )
        ensure_orders_publication(connection, store)
        exists = connection.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role})
        verb = "ALTER" if exists else "CREATE"
        connection.execute(text(f"{verb} ROLE {role} WITH LOGIN REPLICATION PASSWORD '{password}'"))
        # the initial copy reads the tables as this role; orders only through the store's row filter
        connection.execute(text(f"GRANT SELECT ON {', '.join(CATALOG_TABLES + ORDER_TABLES)} TO {role}"))
        connection.execute(text(f"GRANT EXECUTE ON FUNCTION fabkiosk_link_store(text, boolean) TO {role}"))
        connection.execute(text(f"GRANT EXECUTE ON FUNCTION fabkiosk_unlink_store() TO {role}"))
    address = make_url(libpq_url(hq_address or url))
    return Invitation(store, address.set(username=role, password=password).render_as_string(hide_password=False))


def join(url: str, hq_url: str, store: str, slot_keep_mb: int, reachable_as: str | None, resync: bool) -> None:
    """At the store: publish its facts, subscribe to the head office, and have the head office subscribe back.

    `reachable_as` is this database's address as the head office reaches it (default: `url`'s host and port).
    With `resync`, both directions start over from a full copy: what staff do after a slot was given up.
    """
    checked_store_id(store)
    hq = libpq_url(hq_url)
    with admin_connection(url) as connection:
        check_server(connection, slot_keep_mb)
        ensure_store_publication(connection)
        ensure_guards(connection, "store")
        password = secrets.token_urlsafe(18)
        exists = connection.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": HQ_ROLE})
        connection.execute(
            text(f"{'ALTER' if exists else 'CREATE'} ROLE {HQ_ROLE} WITH LOGIN REPLICATION PASSWORD '{password}'")
        )
        connection.execute(text(f"GRANT SELECT ON {', '.join(FACT_TABLES)} TO {HQ_ROLE}"))
        # facts written before the store joined carry no store yet
        for table in FACT_TABLES:
            connection.execute(text(f"UPDATE {table} SET store = :s WHERE store = ''"), {"s": store})
        address = make_url(libpq_url(reachable_as or url))
        store_conninfo = address.set(username=HQ_ROLE, password=password).render_as_string(hide_password=False)
        with admin_connection(hq) as at_hq:
            if resync:
                at_hq.execute(text("SELECT fabkiosk_unlink_store()"))
            _subscribe_to_hq(connection, store, hq, resync)
            _make_slot(connection, hq_subscription(store), fresh=resync)
            at_hq.execute(text("SELECT fabkiosk_link_store(:c, :r)"), {"c": store_conninfo, "r": resync})


def _subscribe_to_hq(connection: Connection, store: str, hq: str, resync: bool) -> None:
    sub = store_subscription(store)
    exists = connection.scalar(text("SELECT count(*) FROM pg_subscription WHERE subname = :s"), {"s": sub})
    if exists and not resync:
        connection.execute(text(f"ALTER SUBSCRIPTION {sub} CONNECTION '{_quoted(hq)}'"))
        return
    if exists:
        connection.execute(text(f"DROP SUBSCRIPTION {sub}"))  # also drops its slot at the head office
    # what this store holds of the head office's tables is replaced by the head office's copy
    connection.execute(text("SET session_replication_role = replica"))
    try:
        for table in received_here("store"):
            connection.execute(text(f"DELETE FROM {table}"))
    finally:
        connection.execute(text("SET session_replication_role = origin"))
    publications = f"{CATALOG_PUBLICATION}, {orders_publication(store)}"
    connection.execute(
        text(
            f"CREATE SUBSCRIPTION {sub} CONNECTION '{_quoted(hq)}' PUBLICATION {publications} "
            f"WITH (slot_name = '{sub}', copy_data = true)"
        )
    )


def _make_slot(connection: Connection, slot: str, fresh: bool) -> None:
    exists = connection.scalar(text("SELECT count(*) FROM pg_replication_slots WHERE slot_name = :s"), {"s": slot})
    if exists and fresh:
        connection.execute(text("SELECT pg_drop_replication_slot(:s)"), {"s": slot})
        exists = 0
    if not exists:
        connection.execute(text("SELECT pg_create_logical_replication_slot(:s, 'pgoutput')"), {"s": slot})


def _quoted(value: str) -> str:
    return value.replace("'", "''")


def receives_catalog(engine: Engine, chain: ChainSettings) -> bool:
    """Whether this member's catalog comes from a head office: a store that joined a chain. Such a store never
    writes its catalog (no demo seeding, no publishing): the head office's rows arrive by replication, and the
    one-writer guard would refuse a local write."""
    if chain.role == "hq" or engine.dialect.name != "postgresql":
        return False
    with engine.connect() as connection:
        subscribed = connection.scalar(
            text("SELECT count(*) FROM pg_subscription WHERE subname = :s"), {"s": store_subscription(chain.store_id)}
        )
    return bool(subscribed)
