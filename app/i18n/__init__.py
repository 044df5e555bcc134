"""Translations: English message ids in the code, other languages in gettext catalogs (.po) beside this file.

Strings are marked with `t("...", **params)` (extracted by `pybabel extract -k t`), kept as `Text` until a
page or the command line renders them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "fabkiosk"


@dataclass(frozen=True)
class Text:
    """A translatable message with its named parameters; parameters are shown as data, never markup."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "en") -> str:
        template = translate(self.msgid, lang)
        if not self.params:
            return template
        return template.format(**{k: _render_param(v, lang) for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class Localized:
    """Text a person wrote in several languages (a designer's labels), not from the gettext catalogs."""

    texts: Mapping[str, str]

    def render(self, lang: str = "en") -> str:
        return self.texts.get(lang) or self.texts.get("en") or next(iter(self.texts.values()), "")

    def __str__(self) -> str:
        return self.render("en")


def t(msgid: str, **params: Any) -> Text:
    """Mark a message for translation."""
    return Text(msgid, params)


def _render_param(value: Any, lang: str) -> Any:
    return value.render(lang) if isinstance(value, Text | Localized) else value


def translate(msgid: str, lang: str) -> str:
    return catalog(lang).get(msgid) or msgid


@cache
def catalog(lang: str) -> dict[str, str]:
    """The translated strings of one language, read once from its .po file."""
    po_file = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.exists():
        return {}
    with po_file.open("rb") as f:
        po = read_po(f, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}
