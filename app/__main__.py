"""The `fabkiosk` command: `serve` (the default) starts the store's server; small admin commands beside it."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from app.chain.publications import ChainError
from app.config import ConfigError, Settings, load_settings
from app.designs.catalog import CatalogError
from app.designs.customizer import describe
from app.designs.problems import DesignRejected, Problem, Severity
from app.designs.uploads import check_size
from app.i18n import t
from app.pipeline import QuoteResult
from app.production.quotes import format_money
from machine_adapters.profiles import MachineProfile, ProfileError

EXIT_REJECTED = 1  # the design (or the request) was refused, with the reason printed
EXIT_USAGE = 2
EXIT_SOFTWARE = 70  # an error of ours (sysexits.h EX_SOFTWARE): one line here, the traceback in the log
LOG_NAME = "fabkiosk-cli.log"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(
            args.config,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            data_dir=getattr(args, "data_dir", None),
        )
    except ConfigError as e:
        print(f"fabkiosk: configuration: {e}", file=sys.stderr)
        return EXIT_USAGE
    command = args.command or "serve"
    try:
        if command == "serve":
            from app.server import serve

            if getattr(args, "role", None):  # the flag wins over `[chain] role`
                settings = replace(settings, chain=replace(settings.chain, role=args.role))
            serve(settings)
            return 0
        if command == "templates":
            return _templates(settings, args.lang)
        if command == "user":
            return _user(settings, args)
        if command == "kiosk":
            return _kiosk(settings, args)
        if command == "designer":
            return _designer(settings, args)
        if command == "chain":
            from app.chain.cli import run

            return run(settings, args)
        if command == "migrate":
            return _migrate(settings)
        return _quote(settings, args)
    except (ProfileError, CatalogError, ChainError) as e:
        print(f"fabkiosk: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:
        log_file = _log_internal_error(settings)
        print(
            f"fabkiosk: internal error ({type(e).__name__}); nothing was changed. Details: {log_file}",
            file=sys.stderr,
        )
        return EXIT_SOFTWARE


def _log_internal_error(settings: Settings) -> Path:
    """Write the traceback being handled to the store's log folder (the temporary folder if that is not writable)."""
    for folder in (settings.data_dir / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LOG_NAME
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            continue
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("fabkiosk.cli")
        logger.addHandler(handler)
        logger.propagate = False  # the traceback goes to the log, not to the terminal
        try:
            logger.exception("internal error")
        finally:
            logger.removeHandler(handler)
            handler.close()
        return path
    traceback.print_exc()  # nowhere to write it: the terminal is the last resort
    return Path("-")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fabkiosk", description="Customer-facing control for production machines.")
    parser.add_argument("--config", help="settings file (default: $FABKIOSK_CONFIG or ./fabkiosk.toml)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the store's server (default)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--data-dir", help="where the database, uploads and caches live")
    serve.add_argument("--role", choices=["store", "hq"], help="a store (default), or a chain's head office")
    templates = sub.add_parser("templates", help="list the catalog's templates and their settings")
    templates.add_argument("--lang", default="en", choices=["en", "de"])
    templates.add_argument("--data-dir", help="where the database, uploads and caches live")
    quote = sub.add_parser("quote", help="check a design and print time and price")
    quote.add_argument("model", nargs="?", help="a model file (STL, 3MF, OBJ) or drawing (SVG)")
    quote.add_argument("--template", help="a catalog template instead of a file")
    quote.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template setting; repeat for more",
    )
    quote.add_argument("--machine", help="machine id from the machines file (default: the first that fits)")
    quote.add_argument("--material", help="material (default: the one loaded in the machine)")
    quote.add_argument("--scale", type=float, default=1.0, help="scale an upload, e.g. 25.4 for a file in inches")
    quote.add_argument("--lang", default="en", choices=["en", "de"])
    quote.add_argument("--data-dir", help="where the database, uploads and caches live")
    user = sub.add_parser(
        "user", help="accounts: `user add NAME --role staff`, `user add NAME --role designer --city CITY`, `user list`"
    )
    user.add_argument("verb", choices=["add", "list"])
    user.add_argument("name", nargs="?", help="the account's name (add)")
    user.add_argument("--role", choices=["staff", "admin", "designer", "hq"], default="staff")
    user.add_argument("--city", default="", help="a designer's city (designers only)")
    user.add_argument("--display-name", default="", help="a designer's name as customers see it (designers only)")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_argument("--data-dir", help="where the database, uploads and caches live")
    kiosk = sub.add_parser(
        "kiosk", help="kiosks: `kiosk pair CODE --name N --machine ID`, `kiosk list`, `kiosk revoke ID`"
    )
    kiosk.add_argument("verb", choices=["pair", "list", "revoke"])
    kiosk.add_argument("what", nargs="?", help="the code the kiosk shows (pair), the kiosk's id (revoke)")
    kiosk.add_argument("--name", default="", help="a name staff will recognise (pair)")
    kiosk.add_argument("--machine", action="append", default=[], help="a machine beside the kiosk; repeat for more")
    kiosk.add_argument("--data-dir", help="where the database, uploads and caches live")
    designer = sub.add_parser("designer", help="designers: `designer invite` prints a one-time link to join")
    designer.add_argument("verb", choices=["invite"])
    designer.add_argument("--days", type=float, default=7.0, help="how long the link works (default 7 days)")
    designer.add_argument("--data-dir", help="where the database, uploads and caches live")
    from app.chain.cli import add_parser as add_chain_parser

    add_chain_parser(sub)
    migrate = sub.add_parser("migrate", help="bring the database to this version (in a chain: in the chain's order)")
    migrate.add_argument("--data-dir", help="where the database, uploads and caches live")
    return parser


def _migrate(settings: Settings) -> int:
    """Migrate the database; in a chain each migration is checked against the peers' schemas first."""
    from app.chain.upgrade import UpgradeRefused, migrate_member
    from app.db import make_engine

    try:
        applied = migrate_member(make_engine(settings.effective_database_url), settings.chain)
    except UpgradeRefused as e:
        print(f"fabkiosk migrate: {e}", file=sys.stderr)
        return EXIT_REJECTED
    print(f"Migrated: {', '.join(applied)}." if applied else "The database is up to date.")
    return 0


def _designer(settings: Settings, args: argparse.Namespace) -> int:
    """An invitation link for a designer to make their own account (made as an admin at the server)."""
    from app.access import Principal, Role
    from app.chain.upgrade import migrate_member
    from app.db import make_engine, session_factory
    from app.designers.accounts import DesignerAccounts
    from app.staff import StaffAccounts

    engine = make_engine(settings.effective_database_url)
    migrate_member(engine, settings.chain)
    sessions = session_factory(engine)
    designers = DesignerAccounts(sessions, StaffAccounts(sessions, settings.staff), settings.data_dir / "portraits")
    token = designers.invite(Principal(Role.ADMIN, name="command line"), args.days)
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    print(f"{base}/designer/join/{token}")
    print(f"The link works once, for {args.days:g} days.")
    if not settings.public_url:
        print("(The address is this server's from its settings; set public_url to the address designers reach.)")
    return 0


def _kiosk(settings: Settings, args: argparse.Namespace) -> int:
    """Pair a kiosk by the code its screen shows, list the paired kiosks, or revoke one: staff at the server."""
    from app.chain.upgrade import migrate_member
    from app.db import make_engine, session_factory
    from app.kiosks import KioskError, Kiosks
    from machine_adapters.profiles import load_machines

    engine = make_engine(settings.effective_database_url)
    migrate_member(engine, settings.chain)
    kiosks = Kiosks(session_factory(engine), load_machines(settings.machines_file))
    try:
        if args.verb == "list":
            for device in kiosks.paired():
                state = " (revoked)" if device.revoked else ""
                print(f"{device.id}  {device.name}: {', '.join(sorted(device.machines))}{state}")
            return 0
        if not args.what:
            print(f"fabkiosk kiosk {args.verb}: give the {'code' if args.verb == 'pair' else 'id'}", file=sys.stderr)
            return EXIT_USAGE
        if args.verb == "revoke":
            kiosks.revoke(args.what)
            print(f"Kiosk {args.what} can no longer start machines.")
            return 0
        device = kiosks.confirm(args.what, args.name, args.machine, "command line")
    except KioskError as e:
        print(f"fabkiosk kiosk {args.verb}: {e}", file=sys.stderr)
        return EXIT_REJECTED
    print(f"Kiosk {device.id} ({device.name}) is paired beside {', '.join(sorted(device.machines))}.")
    return 0


def _user(settings: Settings, args: argparse.Namespace) -> int:
    """Add a staff account (the password asked twice, or read from standard input) or list the accounts."""
    from getpass import getpass

    from app.chain.upgrade import migrate_member
    from app.db import make_engine, session_factory
    from app.staff import StaffAccounts, StaffError

    engine = make_engine(settings.effective_database_url)
    migrate_member(engine, settings.chain)
    accounts = StaffAccounts(session_factory(engine), settings.staff)
    if args.verb == "list":
        for account in accounts.users():
            locked = f" (locked until {account.locked_until:%Y-%m-%d %H:%M} UTC)" if account.locked_until else ""
            print(f"{account.name}: {account.role.value}{locked}")
        return 0
    if not args.name:
        print("fabkiosk user add: give the account's name", file=sys.stderr)
        return EXIT_USAGE
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass(f"Password for {args.name}: ")
        if getpass("The same again: ") != password:
            print("fabkiosk user add: the two passwords differ; nothing was changed", file=sys.stderr)
            return EXIT_REJECTED
    try:
        account = accounts.add_user(args.name, args.role, password, args.city, args.display_name)
    except StaffError as e:
        print(f"fabkiosk user add: {e}; nothing was changed", file=sys.stderr)
        return EXIT_REJECTED
    # designers sign in at /designer; head-office staff at the head office's /hq
    door = {"designer": "/designer", "hq": "/hq"}.get(account.role.value, "/staff")
    print(f"{account.name} can now sign in at {door} as {account.role.value}.")
    return 0


def _templates(settings: Settings, lang: str) -> int:
    """The store's catalog: the newest published version of each template offered in its city."""
    from app.services import build_services

    for template in build_services(settings).catalog.values():
        print(
            f"{template.id}: {template.title_in(lang)} — {template.designer.name}, {template.designer.city} "
            f"({', '.join(template.machine_kinds)}; version {template.version})"
        )
        for param in template.parameters:
            print(f"    {describe(param)}")
    return 0


def _quote(settings: Settings, args: argparse.Namespace) -> int:
    from app.services import build_services

    lang = args.lang
    if bool(args.model) == bool(args.template):
        print("fabkiosk quote: give either a model file or --template NAME", file=sys.stderr)
        return EXIT_USAGE
    values: dict[str, str] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"fabkiosk quote: --param takes NAME=VALUE, not {item!r}", file=sys.stderr)
            return EXIT_USAGE
        values[name.strip()] = value
    services = build_services(settings)
    pipeline = services.pipeline
    try:
        if args.template:
            template = services.catalog.get(args.template)
            machine = args.machine or _first_machine(services.machines, template.machine_kinds if template else ())
            result = pipeline.quote_template(args.template, values, machine, args.material)
        else:
            path = Path(args.model)
            if not path.is_file():
                print(t("There is no file at {path}.", path=str(path)).render(lang), file=sys.stderr)
                return EXIT_USAGE
            check_size(path.stat().st_size, settings.uploads)
            kinds = ("laser_engraver", "cnc_router") if path.suffix.lower() == ".svg" else ("fdm_printer",)
            machine = args.machine or _first_machine(services.machines, kinds)
            result = pipeline.quote_upload(path.read_bytes(), path.name, machine, args.material, args.scale)
    except DesignRejected as e:
        _print_problems(e.problems, lang, sys.stderr)
        return EXIT_REJECTED
    _print_result(result, lang)
    return 0


def _first_machine(machines: Mapping[str, MachineProfile], kinds: Sequence[str]) -> str:
    """The first machine of a kind that makes the design; the store's first machine otherwise."""
    return next((m.id for m in machines.values() if m.kind.value in kinds), next(iter(machines)))


def _print_problems(problems: Sequence[Problem], lang: str, stream: object) -> None:
    for problem in problems:
        marker = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}[problem.severity]
        line = f"{marker} {problem.render(lang)}"
        if problem.suggested_scale:
            line += " " + t("Suggested scale: {scale}", scale=f"{problem.suggested_scale:g}").render(lang)
        print(line, file=stream)  # type: ignore[call-overload]


def _print_result(result: QuoteResult, lang: str) -> None:
    part, plan, quote = result.part, result.plan, result.quote
    print(t("Design: {name}", name=result.design.display_name).render(lang))
    print(
        t(
            "Checks passed on {machine}: size {x} × {y} × {z} mm",
            machine=plan.machine_id,
            x=f"{part.size[0]:.1f}",
            y=f"{part.size[1]:.1f}",
            z=f"{part.size[2]:.1f}",
        ).render(lang)
    )
    _print_problems(part.problems, lang, sys.stdout)
    hours, rest = divmod(plan.estimated_seconds, 3600)
    print(t("Estimated time: {h} h {m} min", h=hours, m=rest // 60).render(lang))
    if plan.material_grams:
        print(
            t("Material: {grams} g {material}", grams=f"{plan.material_grams:.1f}", material=plan.material).render(lang)
        )
    else:
        print(t("Material: {area} cm² {material}", area=f"{plan.sheet_cm2:.0f}", material=plan.material).render(lang))
    money = format_money
    print(
        t(
            "Price: {total} (material {material}, machine time {machine}, setup {setup})",
            total=money(quote.total, quote.currency, lang),
            material=money(quote.material_cost, quote.currency, lang),
            machine=money(quote.machine_cost, quote.currency, lang),
            setup=money(quote.setup_fee, quote.currency, lang),
        ).render(lang)
    )
    print(t("Valid until {time}", time=_local_time(quote.valid_until)).render(lang))


def _local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


if __name__ == "__main__":
    raise SystemExit(main())
