"""Reusable NiceGUI widgets for fabkiosk's pages: they bind to live state and call back; they hold no business rules."""
