"""Who writes which table in a chain: one writer per table, so replication never meets a conflict.

The head office writes the catalog and the orders placed through it; each store writes its facts. Everything
else (staff, sessions, kiosks, quotes, plans, designers' submissions, links) stays where it was written.
"""

from __future__ import annotations

import re

# written at the head office only, published to every store (publication `fabkiosk_catalog`)
CATALOG_TABLES: tuple[str, ...] = ("stores", "designers", "template_versions")
# written by each store only, about itself, published to the head office (publication `fabkiosk_facts`)
FACT_TABLES: tuple[str, ...] = (
    "jobs",
    "job_events",
    "machine_snapshots",
    "ratings",
    "ledger_entries",
    "follows",
)
# written at the head office only; each store gets its own rows (publication `fabkiosk_orders_<store>`)
ORDER_TABLES: tuple[str, ...] = ("hq_orders",)

CATALOG_PUBLICATION = "fabkiosk_catalog"
FACTS_PUBLICATION = "fabkiosk_facts"
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,39}")


def checked_store_id(store: str) -> str:
    """A store id is part of slot, publication and role names: lower-case letters, digits and _ only."""
    if not _IDENTIFIER.fullmatch(store):
        raise ValueError(f"store id {store!r}: use lower-case letters, digits and _, starting with a letter")
    return store


def orders_publication(store: str) -> str:
    return f"fabkiosk_orders_{checked_store_id(store)}"


def store_subscription(store: str) -> str:
    """The store's subscription to the head office (catalog and its orders); its slot lives at the head office."""
    return f"fabkiosk_hq_to_{checked_store_id(store)}"


def hq_subscription(store: str) -> str:
    """The head office's subscription to a store's facts; its slot lives at the store."""
    return f"fabkiosk_{checked_store_id(store)}_to_hq"


def store_role(store: str) -> str:
    """The role a store uses at the head office: it reads the catalog and its orders, and links itself."""
    return f"fabkiosk_store_{checked_store_id(store)}"


HQ_ROLE = "fabkiosk_hq"  # the role the head office uses at a store: it reads the store's facts


def written_here(role: str) -> tuple[str, ...]:
    """The replicated tables this member writes."""
    return CATALOG_TABLES + ORDER_TABLES if role == "hq" else FACT_TABLES


def received_here(role: str) -> tuple[str, ...]:
    """The replicated tables this member only ever gets through replication."""
    return FACT_TABLES if role == "hq" else CATALOG_TABLES + ORDER_TABLES
