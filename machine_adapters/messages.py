"""Plain-words messages for people: written in English here, translated by the app's catalogs when shown.

`N_` only marks a message for the translators' tools (`pybabel extract -k N_`); the adapters stay free of the UI
and of any language but English, and a page renders the message in its reader's language.
"""


def N_(message: str) -> str:  # the gettext name for "mark now, translate when shown"
    return message


# said by every adapter after STOP, whatever the protocol
REASON_STOPPED = N_("Stopped. Staff must check the machine before it is used again.")
