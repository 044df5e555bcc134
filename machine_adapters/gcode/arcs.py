"""Arc geometry for the validator: the centre of an R arc, the points where an arc reaches its extremes, its length."""

from __future__ import annotations

import math

EPSILON = 1e-6


class BadArc(ValueError):
    """The arc's radius cannot reach its end point."""


def center_from_radius(start: list[float], end: list[float], radius: float, clockwise: bool) -> tuple[float, float]:
    dx, dy = end[0] - start[0], end[1] - start[1]
    chord = math.hypot(dx, dy)
    if chord < EPSILON or abs(radius) < chord / 2 - EPSILON:
        raise BadArc("the arc's radius is too small for its end point")
    h = math.sqrt(max(radius * radius - chord * chord / 4, 0.0))
    # G2 with positive R takes the short way round; the sign of R picks the long way
    sign = -1.0 if clockwise == (radius > 0) else 1.0
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    return (mx - sign * h * dy / chord, my + sign * h * dx / chord)


def sweep_of(start: list[float], end: list[float], center: tuple[float, float], clockwise: bool) -> float:
    """How far round the arc turns, in radians; the same start and end point is a full circle (as both firmwares)."""
    cx, cy = center
    a0 = math.atan2(start[1] - cy, start[0] - cx)
    a1 = math.atan2(end[1] - cy, end[0] - cx)
    sweep = ((a0 - a1) if clockwise else (a1 - a0)) % (2 * math.pi)
    return 2 * math.pi if sweep < EPSILON else sweep


def arc_extremes(
    start: list[float], end: list[float], center: tuple[float, float], clockwise: bool, sweep: float
) -> list[tuple[float, float]]:
    """The end point and every axis-extreme point the arc passes through."""
    cx, cy = center
    radius = math.hypot(start[0] - cx, start[1] - cy)
    a0 = math.atan2(start[1] - cy, start[0] - cx)
    points = [(end[0], end[1])]
    for quadrant in range(4):
        angle = quadrant * math.pi / 2
        offset = ((a0 - angle) if clockwise else (angle - a0)) % (2 * math.pi)
        if offset <= sweep:
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points
