"""`fabkiosk chain ...`: make the head office, add stores to it, join a store, and show each link's state."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.chain import links, status
from app.chain.publications import ChainError, admin_connection
from app.chain.upgrade import migrate_member
from app.config import Settings

EXIT_REFUSED = 1
EXIT_USAGE = 2


def add_parser(sub: Any) -> None:
    chain = sub.add_parser("chain", help="a chain of stores: init-hq, add-store, join, status")
    chain.add_argument("--data-dir", help="where the database, uploads and caches live")
    verbs = chain.add_subparsers(dest="chain_command", required=True)
    verbs.add_parser("init-hq", help="at the head office: publications and what stores link through")
    add = verbs.add_parser("add-store", help="at the head office: add a store; prints the command the store runs")
    add.add_argument("store", help="the store's id: lower-case letters, digits and _ (e.g. koeln)")
    add.add_argument("--city", required=True)
    add.add_argument("--name", help="the store's name as people know it (default: the city)")
    add.add_argument(
        "--address",
        help="the head office's database as stores reach it, e.g. postgresql://hq.example.com:5432/fabkiosk "
        "(default: database_url's host, port and database)",
    )
    join = verbs.add_parser("join", help="at the store: join the head office's chain")
    join.add_argument("--hq", required=True, help="the address `chain add-store` printed")
    join.add_argument("--store", required=True, help="this store's id; must be [chain] store_id")
    join.add_argument(
        "--reachable-as",
        help="this store's database as the head office reaches it (default: database_url's host and port)",
    )
    join.add_argument(
        "--resync",
        action="store_true",
        help="start both directions over from a full copy (after `chain status` says a slot was lost)",
    )
    verbs.add_parser("status", help="each link's state, lag and last message; at the head office each store")


def run(settings: Settings, args: argparse.Namespace) -> int:
    url = settings.database_url
    chain = settings.chain
    verb = args.chain_command
    wants_hq = verb in ("init-hq", "add-store")
    if wants_hq != (chain.role == "hq") and verb != "status":
        where = 'role = "hq"' if wants_hq else 'role = "store"'
        print(f"fabkiosk chain {verb}: this server's settings must say [chain] {where}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if verb == "init-hq":
            migrate_member(_engine(url), chain)
            links.init_hq(url, chain.slot_keep_mb)
            print("This database is the head office. Add stores with: fabkiosk chain add-store ID --city CITY")
            return 0
        if verb == "add-store":
            invitation = links.add_store(url, args.store, args.name or args.city, args.city, args.address)
            print(
                f"Store {args.store} ({args.city}) is in the chain. At the store, with [chain] store_id = "
                f'"{args.store}" in its settings, run:\n\n  {invitation.command}\n'
            )
            print("The address holds the store's own password: hand it over as you would a key.")
            return 0
        if verb == "join":
            if args.store != chain.store_id:
                print(
                    f'fabkiosk chain join: set [chain] store_id = "{args.store}" in this store\'s settings first '
                    f"(it is {chain.store_id!r}): every fact the store reports carries it",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            migrate_member(_engine(url), chain)
            links.join(url, args.hq, args.store, chain.slot_keep_mb, args.reachable_as, args.resync)
            done = "started over from a full copy" if args.resync else "joined the chain"
            print(f"Store {args.store} {done}. `fabkiosk chain status` shows the links.")
            return 0
        with admin_connection(url) as connection:
            stores = status.store_reports(connection, chain.stale_after_s) if chain.role == "hq" else []
            print(status.render(status.links(connection, chain.stale_after_s), stores))
        return 0
    except ChainError as e:
        print(f"fabkiosk chain {verb}: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except SQLAlchemyError as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        print(f"fabkiosk chain {verb}: the database said: {reason}", file=sys.stderr)
        return EXIT_REFUSED


def _engine(url: str) -> Any:
    from app.db import make_engine

    if not url.startswith("postgresql"):
        raise ChainError("a chain needs PostgreSQL on every member: set database_url to a postgresql:// URL")
    return make_engine(url)
