"""Translations: every message in the code has a German translation in the gettext catalog."""

import string
from pathlib import Path

from babel.messages.extract import extract_from_dir

from app.i18n import catalog, t

ROOT = Path(__file__).parent.parent


def messages_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("app", "ui_components", "machine_adapters"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords={"t": None, "N_": None}, comment_tags=(), strip_comment_tags=True
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_german_translation() -> None:
    messages = messages_in_code()
    assert len(messages) > 50
    german = catalog("de")
    missing = sorted(m for m in messages if not german.get(m))
    assert missing == [], f"add German for: {missing}"


def test_translations_keep_their_placeholders() -> None:
    german = catalog("de")
    for msgid, text in german.items():
        assert sorted(_fields(msgid)) == sorted(_fields(text)), msgid


def test_parameters_are_filled_in_after_translation() -> None:
    assert (
        t("The OBJ file is damaged at line {line}.", line=7).render("de") == "Die OBJ-Datei ist in Zeile 7 beschädigt."
    )
    assert t("A message nobody translated").render("de") == "A message nobody translated"


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
