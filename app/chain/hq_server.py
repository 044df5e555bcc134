"""The head office's server (`fabkiosk serve --role hq`): no machines of its own; the catalog's owner, the console
(`/hq`), the head office's `/order` and its customers' links (`/job/<token>`).

Its machines file is read but never connected: it describes the chain's reference machine of each kind, which the
head office prices orders on (app/chain/hq_orders.py). Everything it shows of the stores comes from its own
database, filled by replication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi.responses import RedirectResponse
from nicegui import app, background_tasks

from app.chain.hq_console import HqConsole
from app.chain.hq_orders import HqOrders
from app.config import Settings
from app.design_queue import DesignQueue
from app.designers.versions import keep_catalog_fresh
from app.designs.pictures import Pictures
from app.fleet import Fleet
from app.jobs import JobService
from app.services import Services, build_services


@dataclass
class HeadOffice:
    services: Services
    orders: HqOrders
    console: HqConsole


def build_head_office(settings: Settings) -> HeadOffice:
    services = build_services(settings)
    # the customers' steps ask for the page's machines: the head office has none (prices are made on the
    # reference machines, availability comes from the stores' facts)
    services.fleet = Fleet()
    services.jobs = JobService(settings, services.sessions, services.fleet)
    services.design_queue = DesignQueue()
    orders = HqOrders(settings, services.sessions, services.catalog, services.machines)
    console = HqConsole(services.sessions, settings.store_timezone, timedelta(seconds=settings.chain.stale_after_s))
    return HeadOffice(services, orders, console)


def create_hq_app(settings: Settings) -> Services:
    from app.pages import hq, hq_job, hq_order, hq_signin
    from app.server import (
        HostAllowList,
        allowed_host_names,
        events_from_their_own_socket_only,
        register_media_routes,
        same_origin_sockets_only,
    )

    office = build_head_office(settings)
    services = office.services
    services.pictures = Pictures(settings.cache_dir, services.catalog, settings.render_timeout_s)

    services.catalog.on_change.append(services.pictures.start)  # a version published here gets its picture

    def start() -> None:
        assert services.pictures is not None
        services.pictures.start()
        # where a version is offered changes here (the console's publishing); designers' versions arrive too
        background_tasks.create(keep_catalog_fresh(services.catalog), name="catalog")

    app.on_startup(start)

    @app.get("/")
    def front() -> RedirectResponse:
        return RedirectResponse("/order", 303)  # the head office's front door is ordering

    register_media_routes(services)
    hq_signin.register(settings, services.staff)
    hq.register(settings, services.staff, office.console, services.catalog)
    hq_job.register(settings, office.orders)
    hq_order.register(office)
    same_origin_sockets_only()
    events_from_their_own_socket_only()
    app.add_middleware(HostAllowList, allowed=allowed_host_names(settings))
    app.state.services = services
    app.state.head_office = office
    return services
