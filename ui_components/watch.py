"""Watch: run a callback whenever a bindable value changes, for as long as the page that watches is open."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nicegui import binding, ui

log = logging.getLogger(__name__)


class Watch(ui.element):
    def __init__(self, source: object, name: str, on_change: Callable[[Any], object]) -> None:
        """Watch

        An invisible element that calls `on_change` with the new value of `source.name` whenever it changes
        (and once at the start). Being an element, its binding ends when the page closes.

        :param source: an object with bindable properties
        :param name: the property to watch
        :param on_change: called with the new value
        """
        super().__init__()
        self.visible = False
        self._on_change = on_change
        self._value: Any = object()
        self._name = name
        binding.bind_from(self, "value", source, name)

    @property
    def value(self) -> Any:
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        if new != self._value:
            self._value = new
            try:
                with self:  # the change may come from another page's action or a machine: act in our own page
                    self._on_change(new)
            except Exception:  # a page's trouble must never reach whoever changed the value (a job, a machine)
                log.exception("a watcher of %s failed", self._name)
