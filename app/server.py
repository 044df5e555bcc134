"""The web server: builds the services, registers routes and pages, and runs NiceGUI.

In front of everything: the Host allow-list (a DNS-rebinding page asks for its own name and is refused before a
page or a socket is served), the content security policy and the refusal to be framed by other sites. Page events
are taken only from the socket of the page that owns them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException
from fastapi.responses import FileResponse
from nicegui import Client, app, background_tasks, core, ui
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access import LOOPBACK_NAMES, host_name
from app.chain.orders import OrderIntake, keep_taking_orders
from app.chain.snapshots import MachineSnapshots
from app.config import Settings
from app.designers.versions import keep_catalog_fresh
from app.designs.pictures import Pictures
from app.dispatch import reconcile, reconcile_unavailable
from app.fleet import Fleet
from app.machine_control import control
from app.pages import hq_intake, register_pages
from app.services import Services, build_services

log = logging.getLogger(__name__)
_MEDIA_NAME = re.compile(r"^[0-9a-f]{32}$")
DISPATCH_EVERY_S = 2.0


def register_media_routes(services: Services) -> None:
    """Big payloads over HTTP with caching: previews are content-addressed, so they never change."""
    previews = services.settings.cache_dir / "previews"

    @app.get("/media/previews/{name}.glb")
    def preview(name: str) -> FileResponse:
        path = previews / f"{name}.glb"
        if not _MEDIA_NAME.match(name) or not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(
            path,
            media_type="model/gltf-binary",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    pictures = services.settings.cache_dir / "pictures"

    @app.get("/media/pictures/{name}.svg")
    def picture(name: str) -> FileResponse:
        path = pictures / f"{name}.svg"
        if not _MEDIA_NAME.match(name) or not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(
            path,
            media_type="image/svg+xml",
            headers={
                "Cache-Control": "public, max-age=31536000, immutable",
                "Content-Security-Policy": "script-src 'none'",
            },
        )

    programs = services.settings.cache_dir / "programs"

    @app.get("/media/toolpaths/{name}.svg")
    def toolpaths(name: str) -> FileResponse:
        """A laser job's toolpaths drawn over the sheet (never the program itself)."""
        path = programs / f"{name}.svg"
        if not _MEDIA_NAME.match(name) or not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(
            path, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=31536000, immutable"}
        )


async def keep_dispatching(services: Services) -> None:
    """Queued jobs go to machines as they become free (and are cleared by staff); checked every few seconds."""
    assert services.store is not None
    while True:
        await asyncio.sleep(DISPATCH_EVERY_S)
        try:
            await control(services.store.dispatch)  # machine control's path, never behind design work
        except Exception:  # one failed round must not end dispatching for the day
            log.exception("dispatch failed")


def same_origin_sockets_only() -> None:
    """Page events travel over socket.io; a connection from another site's page is refused (engine.io's same-origin
    rule: the Origin header must match the Host the browser asked for). Clients without an Origin header are not
    browsers and carry no one's cookies."""
    core.sio.eio.cors_allowed_origins = None


def allowed_host_names(settings: Settings) -> frozenset[str]:
    """Host names this server answers to: public_url's, the configured ones, the address it listens on when that is
    one address, and loopback's (the demo, and the kiosk on the server's own computer)."""
    names = set(LOOPBACK_NAMES) | set(settings.allowed_hosts)
    if settings.public_url:
        names.add(host_name(urlsplit(settings.public_url).netloc))
    listen = settings.host.strip().lower()
    if listen not in ("0.0.0.0", "::", ""):
        names.add(f"[{listen}]" if ":" in listen else listen)
    return frozenset(names)


def content_security_policy(host: str) -> str:
    """NiceGUI's pages need inline scripts and Vue's template compiler; everything else comes from this server, and
    no other site may frame a page (clickjacking the STOP or the start)."""
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws://{host} wss://{host}; "
        "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )


class HostAllowList:
    """ASGI middleware around everything (pages, routes, the socket.io endpoint): a Host not on the list gets 400
    (a socket is closed before it is accepted); every HTTP answer carries the content security policy."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if host_name(host) not in self.allowed:
            log.warning("refused a request for host %r from %s", host[:100], (scope.get("client") or ("?",))[0])
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = b"Unknown host name.\n"
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        policy = content_security_policy(host.strip().lower()).encode("latin-1")

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy))
                headers.append((b"x-frame-options", b"SAMEORIGIN"))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_policy)


def events_from_their_own_socket_only() -> None:
    """NiceGUI matches a page event to its element by the client id in the message, not by the socket it came on,
    so a second connection could click another page's buttons. Each message is taken only from a socket the
    owning page's handshake registered; any other is dropped and logged."""

    def owner(sid: str, msg: Any) -> Client | None:
        client = Client.instances.get(str(msg.get("client_id"))) if isinstance(msg, dict) else None
        if client is None:
            return None
        if sid not in client._socket_to_document_id:  # the sockets NiceGUI's handshake registered
            log.warning("a page event for client %s came on socket %s, not the page's own: ignored", client.id, sid)
            return None
        return client

    def on_event(sid: str, msg: Any) -> None:
        client = owner(sid, msg)
        if client is not None and client.has_socket_connection:
            client.handle_event(msg)

    def on_javascript_response(sid: str, msg: Any) -> None:
        client = owner(sid, msg)
        if client is not None:
            client.handle_javascript_response(msg)

    def on_ack(sid: str, msg: Any) -> None:
        client = owner(sid, msg)
        if client is not None:
            client.outbox.prune_history(msg["next_message_id"])

    def on_log(sid: str, msg: Any) -> None:
        client = owner(sid, msg)
        if client is not None:
            client.handle_log_message(msg)

    for event, handler in [
        ("event", on_event),
        ("javascript_response", on_javascript_response),
        ("ack", on_ack),
        ("log", on_log),
    ]:
        core.sio.on(event, handler=handler)  # replaces NiceGUI's own handler of the event


def create_app(settings: Settings) -> Services:
    if settings.chain.role == "hq":
        from app.chain.hq_server import create_hq_app  # the head office: no machines, its own pages

        return create_hq_app(settings)
    services = build_services(settings)
    fleet = Fleet.build(services.machines)
    jobs = services.run_machines(fleet)
    services.pictures = Pictures(settings.cache_dir, services.catalog, settings.render_timeout_s)
    services.catalog.on_change.append(services.pictures.start)  # a newly published version gets its picture
    # orders the head office took for this store arrive in its own hq_orders table by replication
    intake = OrderIntake(settings.chain.store_id, services.sessions, services.pipeline, jobs)

    def take_machines_into_service() -> None:
        loop = asyncio.get_running_loop()
        fleet.attach_loop(loop)  # machine events reach pages on the event loop
        # a machine's jobs are reconciled once it answered: what it still runs is followed, the rest held
        fleet.connect_all(then=lambda machine_id: loop.call_soon_threadsafe(reconcile, jobs, machine_id))
        reconcile_unavailable(jobs)
        assert services.pictures is not None
        services.pictures.start()
        services.submissions.resume()  # designers' templates whose intake the last stop cut short
        background_tasks.create(keep_dispatching(services), name="dispatch")
        background_tasks.create(keep_catalog_fresh(services.catalog), name="catalog")
        assert services.design_queue is not None
        background_tasks.create(keep_taking_orders(intake, services.design_queue), name="head-office orders")
        if snapshots is not None:
            snapshots.start()

    # on PostgreSQL a store may be part of a chain: its machines' states are kept for the head office (which
    # itself writes no facts: its database refuses them)
    snapshots = (
        MachineSnapshots(services.sessions, fleet, settings.chain.store_id, settings.chain.snapshot_every_s)
        if services.engine.dialect.name == "postgresql" and settings.chain.role == "store"
        else None
    )
    app.on_startup(take_machines_into_service)
    app.on_shutdown(fleet.disconnect_all)
    if snapshots is not None:
        app.on_shutdown(snapshots.stop)
    register_media_routes(services)
    register_pages(services)
    hq_intake.register(services, intake)  # the store's staff see the head office's orders for it
    same_origin_sockets_only()
    events_from_their_own_socket_only()
    app.add_middleware(HostAllowList, allowed=allowed_host_names(settings))
    app.state.services = services  # for route handlers and tests running the app in-process
    return services


def serve(settings: Settings) -> None:
    create_app(settings)
    ui.run(
        host=settings.host,
        port=settings.port,
        title=settings.store_name,
        reload=False,
        show=False,
        favicon="🛠",
        language="de" if settings.default_language == "de" else "en-GB",
        storage_secret=None,
        proxy_headers=False,  # X-Forwarded-For is believed only from the store's own proxies (app/access.py)
    )
