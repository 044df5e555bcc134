"""The web server: builds the services, registers routes and pages, and runs NiceGUI."""

from __future__ import annotations

import asyncio
import logging
import re

from fastapi import HTTPException
from fastapi.responses import FileResponse
from nicegui import app, background_tasks, core, ui

from app.config import Settings
from app.designs.pictures import Pictures
from app.dispatch import reconcile, reconcile_unavailable
from app.fleet import Fleet
from app.machine_control import control
from app.pages import register_pages
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


def create_app(settings: Settings) -> Services:
    services = build_services(settings)
    fleet = Fleet.build(services.machines)
    jobs = services.run_machines(fleet)
    services.pictures = Pictures(settings.cache_dir, services.catalog, settings.render_timeout_s)

    def take_machines_into_service() -> None:
        loop = asyncio.get_running_loop()
        fleet.attach_loop(loop)  # machine events reach pages on the event loop
        # a machine's jobs are reconciled once it answered: what it still runs is followed, the rest held
        fleet.connect_all(then=lambda machine_id: loop.call_soon_threadsafe(reconcile, jobs, machine_id))
        reconcile_unavailable(jobs)
        assert services.pictures is not None
        services.pictures.start()
        background_tasks.create(keep_dispatching(services), name="dispatch")

    app.on_startup(take_machines_into_service)
    app.on_shutdown(fleet.disconnect_all)
    register_media_routes(services)
    register_pages(services)
    same_origin_sockets_only()
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
    )
