"""A stacked bar chart laid out for server-side SVG: no library, no script, readable without colour."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext, ngettext

WIDE = (640, 280)  # drawn at about its own size on a desktop
NARROW = (360, 240)  # for phones: fewer units per pixel, so the labels stay readable
LEFT, RIGHT, TOP, BOTTOM = 32, 4, 12, 30
# Okabe-Ito: told apart by most colour-blind readers. Grey stays for "other" and "no answer".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#332288")
OTHER_COLOR = "#8C8C8C"
NONE_COLOR = "#C8C8C8"


@dataclass(frozen=True)
class Segment:
    """One rectangle: a series' value in one column."""

    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Tick:
    """A horizontal grid line with its value."""

    y: float
    label: str


@dataclass(frozen=True)
class Column:
    """A column's label under the axis, centred at x."""

    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the template draws, in SVG user units (viewBox 0 0 width height)."""

    width: int
    height: int
    segments: list[Segment]
    ticks: list[Tick]
    columns: list[Column]
    legend: list[tuple[str, str]]  # (label, colour)
    baseline: float
    plot_left: float = LEFT
    plot_right: float = 0.0


def stacked_bars(columns: list[str], series: dict[str, list[int]], *, none_label: str | None = None,
                 size: tuple[int, int] = WIDE) -> Chart:
    """Columns of stacked series (biggest first); past the palette's size the smallest become "other"."""
    ranked = sorted(series, key=lambda name: (name == none_label, -sum(series[name])))
    named = [n for n in ranked if n != none_label][: len(PALETTE)]
    colors = {name: PALETTE[i] for i, name in enumerate(named)}
    rest = [n for n in ranked if n not in colors and n != none_label]
    stacks = [(name, series[name], colors[name]) for name in named]
    if rest:
        stacks.append((gettext("other"), [sum(series[n][i] for n in rest) for i in range(len(columns))], OTHER_COLOR))
    if none_label in series:
        stacks.append((none_label, series[none_label], NONE_COLOR))
    top = _nice_top(max((sum(s[1][i] for s in stacks) for i in range(len(columns))), default=0))
    width, height = size
    return Chart(width, height, _segments(columns, stacks, top, size), _ticks(top, height), _columns(columns, width),
                 [(name, color) for name, _, color in stacks], height - BOTTOM, LEFT, width - RIGHT)


def _segments(columns: list[str], stacks: list[tuple[str, list[int], str]], top: int,
              size: tuple[int, int]) -> list[Segment]:
    width, height = size
    slot = (width - LEFT - RIGHT) / max(len(columns), 1)
    scale = (height - TOP - BOTTOM) / top
    segments = []
    for i, column in enumerate(columns):
        y = height - BOTTOM
        for name, values, color in stacks:
            if values[i]:
                height = values[i] * scale
                y -= height
                title = ngettext("%(column)s: %(name)s, %(num)d question", "%(column)s: %(name)s, %(num)d questions",
                                 values[i], column=column, name=name)
                segments.append(Segment(LEFT + i * slot + slot * 0.2, round(y, 2), round(slot * 0.6, 2),
                                        round(height, 2), color, title))
    return segments


def _ticks(top: int, height: int) -> list[Tick]:
    step = top // 4  # top is always a multiple of 4 (see _nice_top)
    scale = (height - TOP - BOTTOM) / top
    return [Tick(round(height - BOTTOM - value * scale, 2), str(value)) for value in range(0, top + 1, step)]


def _columns(columns: list[str], width: int) -> list[Column]:
    slot = (width - LEFT - RIGHT) / max(len(columns), 1)
    return [Column(round(LEFT + (i + 0.5) * slot, 2), label) for i, label in enumerate(columns)]


def _nice_top(value: int) -> int:
    """The smallest of 4, 8, 20, 40, 80, 200, ... that holds ``value`` (so four grid steps are whole numbers)."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value / 4))
    for factor in (1, 2, 5, 10):
        if 4 * factor * magnitude >= value:
            return 4 * factor * magnitude
    return 40 * magnitude
