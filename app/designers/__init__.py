"""Designers who publish templates: their accounts and profiles, submissions, the intake checks, review, and the
catalog built from published template versions."""
