"""A designer's public page (`/designer/<name>`): portrait or logo, city, their words, their designs with pictures,
how often each was made and how customers rated it, and links to share the page.

Registered after the designer's own area (`/designer/submit`, `/designer/statement`, ...), whose words are never
designer names (app/backing/showcase.py RESERVED_NAMES): a route registered first wins, so this one never shadows
them.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import Request
from nicegui import ui

from app.backing import support
from app.backing.showcase import designer_named, designs_of, made_counts
from app.i18n import t
from app.models import DesignerRow
from app.pages.common import language_switch, not_found, reader_language, touch_page
from app.pages.steps.designers import stars_text
from app.services import Services

SHARE_PAGE_JS = """
async (url, title) => {
  if (navigator.share) { try { await navigator.share({url, title}); return 'shared'; } catch (e) { return 'no'; } }
  await navigator.clipboard.writeText(url);
  return 'copied';
}
"""


def page_url(services: Services, request: Request | None, name: str) -> str:
    """The designer page's full address as phones reach this store (public_url), else as this request came."""
    base = services.settings.public_url or (str(request.base_url) if request is not None else "/")
    return base.rstrip("/") + "/designer/" + quote(name)


def register(services: Services) -> None:
    settings = services.settings

    @ui.page("/designer/{name}", title=settings.store_name)
    def designer_page(name: str, request: Request, lang: str | None = None) -> None:
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        with services.sessions() as session:
            designer = designer_named(session, name)
            if designer is not None:
                session.expunge(designer)
                made = made_counts(session)
                loved = support.loved(session)
                followers = support.followers(session, designer.id)
                said = {  # customers' own sentences, newest first, in the language each was written in
                    template.id: [(r.comment, r.lang) for r in support.comments(session, template.id, 2)]
                    for template in designs_of(services.catalog, designer)
                }
        if designer is None:
            not_found(settings, lang)
            return
        url = page_url(services, request, name)
        DesignerPage(services, designer, lang, url, made, loved, followers, said)


class DesignerPage:
    """Everything a customer sees of one designer; text only as text, never as markup."""

    def __init__(
        self,
        services: Services,
        designer: DesignerRow,
        lang: str,
        url: str,
        made: dict[str, int],
        loved: dict[str, support.Loved],
        followers: int,
        said: dict[str, list[tuple[str, str]]],
    ) -> None:
        settings = services.settings
        self.lang = lang
        title = t("{name}, designer from {city}", name=designer.display_name, city=designer.city).render(lang)
        with ui.column().classes("w-full max-w-3xl mx-auto p-4 gap-4"):
            with ui.row().classes("w-full justify-between items-center"):
                ui.label(settings.store_name).classes("text-lg font-bold")
                language_switch(settings, lang, lambda code: ui.navigate.to(f"?lang={code}"))
            with ui.row().classes("items-center gap-6"):
                if designer.portrait_path:
                    ui.image(f"/media/portraits/{quote(designer.portrait_path)}").classes(
                        "w-32 h-32 rounded-full"
                    ).props(f'fit=cover alt="{_attribute(designer.display_name)}"').props("data-testid=portrait").mark(
                        "portrait"
                    )
                else:
                    ui.icon("person", size="96px").classes("text-gray-500").props("data-testid=portrait").mark(
                        "portrait"
                    )
                with ui.column().classes("gap-1"):
                    ui.label(designer.display_name).classes("text-3xl font-bold").props(
                        "role=heading aria-level=1"
                    ).props("data-testid=designer-name").mark("designer-name")
                    ui.label(designer.city).classes("text-xl").props("data-testid=designer-city").mark("designer-city")
                    if followers:
                        ui.label(
                            (t("1 follower") if followers == 1 else t("{count} followers", count=followers)).render(
                                lang
                            )
                        ).classes("text-gray-700")
            about = designer.about.get(lang) or designer.about.get("en") or ""
            if about:
                ui.label(str(about)).classes("text-lg whitespace-pre-line").props("data-testid=designer-about").mark(
                    "designer-about"
                )
            self.share_links(url, title)
            ui.label(t("Designs").render(lang)).classes("text-2xl font-bold").props("role=heading aria-level=2")
            designs = designs_of(services.catalog, designer)
            if not designs:
                ui.label(t("No designs yet.").render(lang)).classes("text-gray-700")
            with ui.row().classes("gap-4"):
                for template in designs:
                    picture = services.pictures.url_for_template(template.id) if services.pictures else None
                    with (
                        ui.card()
                        .classes("w-64 p-0 gap-0")
                        .props(f"data-testid=design-{template.id}")
                        .mark(f"design-{template.id}")
                    ):
                        name = template.title_in(lang)
                        if picture:
                            ui.image(picture).classes("w-full h-40").props(f'fit=contain alt="{_attribute(name)}"')
                        else:
                            ui.icon("view_in_ar", size="96px").classes("w-full h-40 text-gray-500 text-center pt-4")
                        with ui.column().classes("p-3 gap-1"):
                            ui.label(name).classes("text-xl font-bold")
                            ui.label(template.description_in(lang)).classes("text-base")
                            times = made.get(template.id, 0)
                            ui.label(
                                (t("Made once") if times == 1 else t("Made {count} times", count=times)).render(lang)
                            ).props(f"data-testid=made-{template.id}").mark(f"made-{template.id}")
                            rating = loved.get(template.id)
                            if rating is not None:
                                ui.label("★ " + stars_text(rating).render(lang)).props(
                                    f"data-testid=stars-{template.id}"
                                ).mark(f"stars-{template.id}")
                            for comment, written_in in said.get(template.id, []):
                                ui.label(f"“{comment}”").classes("text-base italic").props(
                                    f"lang={written_in or 'und'} data-testid=comment-{template.id}"
                                ).mark(f"comment-{template.id}")

    def share_links(self, url: str, title: str) -> None:
        """The page's own address to pass on: the phone's share sheet (or the clipboard), e-mail and messengers."""
        text = quote(f"{title} {url}")
        with ui.row().classes("items-center gap-4"):
            ui.button(
                t("Share this page").render(self.lang),
                icon="share",
                on_click=lambda: ui.run_javascript(f"({SHARE_PAGE_JS})({json.dumps(url)}, {json.dumps(title)})"),
            ).props("data-testid=share-page").mark("share-page")
            ui.link(t("E-mail").render(self.lang), f"mailto:?subject={quote(title)}&body={quote(url)}").classes(
                "py-3"
            ).props("data-testid=share-mail").mark("share-mail")
            ui.link("WhatsApp", f"https://wa.me/?text={text}", new_tab=True).classes("py-3").props(
                "data-testid=share-whatsapp"
            ).mark("share-whatsapp")
            ui.label(url).classes("text-sm text-gray-600 break-all").props("data-testid=page-url").mark("page-url")


def _attribute(text: str) -> str:
    """Text for a props attribute value: Quasar props are split on quotes."""
    return text.replace('"', "'")
