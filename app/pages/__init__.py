"""NiceGUI pages. Pages call services and bind to their state; services never import pages."""

from __future__ import annotations

from app.handoff import Handoffs
from app.services import Services
from app.upload_route import register_upload_route


def register_pages(services: Services) -> None:
    from app.pages import designer_public, designer_statement, kiosk, kiosk_pairing, order, phone, staff, staff_owed

    handoffs = Handoffs()
    kiosk.register(services, handoffs)
    phone.register(services, handoffs)
    order.register(services, handoffs)
    staff.register(services)
    settings = services.settings
    register_upload_route(handoffs, settings.uploads, settings.uploads_dir / "incoming")
    kiosk_pairing.register(services)
    staff_owed.register(services)
    designer_statement.register(services)
    designer_public.register(services)  # last: /designer/<name> never shadows a page of the designer's own area
