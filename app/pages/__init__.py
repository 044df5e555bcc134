"""NiceGUI pages. Pages call services and bind to their state; services never import pages."""

from __future__ import annotations

from app.handoff import Handoffs
from app.services import Services
from app.upload_route import register_upload_route


def register_pages(services: Services) -> None:
    from app.pages import (
        designer,
        designer_profile,
        designer_public,
        designer_statement,
        designer_submit,
        kiosk,
        kiosk_pairing,
        order,
        phone,
        staff,
        staff_owed,
        staff_submissions,
    )

    # the designer's own area first: its fixed words (submit, profile, login, ...) come before /designer/<name>
    designer.register(services)
    designer_submit.register(services)
    designer_profile.register(services)
    handoffs = Handoffs()
    kiosk.register(services, handoffs)
    phone.register(services, handoffs)
    order.register(services, handoffs)
    staff.register(services)
    staff_submissions.register(services)
    settings = services.settings
    register_upload_route(handoffs, settings.uploads, settings.uploads_dir / "incoming")
    kiosk_pairing.register(services)
    staff_owed.register(services)
    designer_statement.register(services)
    designer_public.register(services)  # last: /designer/<name> never shadows a page of the designer's own area
