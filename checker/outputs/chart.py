"""The HTML report's chart: the fleet's state per day as stacked bars of inline SVG, drawn here
(no script, no plotting library, nothing fetched).

Each UTC day, from the period's first check to its last, counts every (account, setting) pair
checked by the end of that day by what its latest check up to then found: the setting off (or not
offered to the account), on, or nothing read (the check failed before it could tell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from html import escape

from checker.core.outcome import CheckResult, Outcome
from checker.outputs.fleet import Record, pair_key

# The series, bottom to top: a key, what the legend says, and a colour that stays apart from the
# others for the common colour-vision deficiencies (and every bar says its numbers in its title).
SERIES = (
    ("off", "off or not offered", "#1a7f37"),
    ("on", "on", "#c2410c"),
    ("unknown", "unknown or failing", "#6b7280"),
)
WIDTH, HEIGHT = 760, 290
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 44, 52
MOST_X_LABELS = 8
MAX_BAR = 48


@dataclass(frozen=True)
class Day:
    """How many pairs were in each series at the end of one UTC day."""

    day: date
    off: int
    on: int
    unknown: int

    def count(self, series: str) -> int:
        counts = {"off": self.off, "on": self.on, "unknown": self.unknown}
        return counts[series]

    @property
    def total(self) -> int:
        return self.off + self.on + self.unknown


def per_day(records: list[Record]) -> list[Day]:
    """A Day for each UTC day from the first check of `records` (oldest first) to the last; a day
    without checks keeps the state of the day before."""
    if not records:
        return []
    latest: dict[tuple[str, str], str] = {}
    days: list[Day] = []
    index = 0
    day, last = _day(records[0].result), _day(records[-1].result)
    while day <= last:
        while index < len(records) and _day(records[index].result) <= day:
            result = records[index].result
            latest[pair_key(result)] = _series(result)
            index += 1
        found = list(latest.values())
        days.append(Day(day, found.count("off"), found.count("on"), found.count("unknown")))
        day += timedelta(days=1)
    return days


def _day(result: CheckResult) -> date:
    return result.checked_at.astimezone(UTC).date()


def _series(result: CheckResult) -> str:
    if result.outcome is Outcome.NOT_APPLICABLE:
        return "off"
    state = result.read_state
    return "unknown" if state is None else state.value


def chart_svg(days: list[Day]) -> str:
    """The stacked bars of `days` (at least one), with axes, their labels, a legend, a title and a
    description for screen readers."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = _tick_step(max(day.total for day in days))
    y_max = max(step, math.ceil(max(day.total for day in days) / step) * step)
    scale = plot_h / y_max
    slot = plot_w / len(days)
    bar = min(slot * 0.7, MAX_BAR) if slot >= 3 else slot
    last = days[-1]
    summary = ", ".join(f"{last.count(key)} {label}" for key, label, _ in SERIES)
    parts = [
        f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        ' aria-labelledby="chart-title chart-desc" font-size="12" font-family="system-ui, sans-serif">',
        '<title id="chart-title">The settings of the fleet per day: off, on, or unknown</title>',
        f'<desc id="chart-desc">{len(days)} day{"s" if len(days) != 1 else ""} from {days[0].day} to'
        f" {last.day} (UTC). At the end of {last.day}: {escape(summary)}.</desc>",
    ]
    for value in range(0, y_max + 1, step):
        y = TOP + plot_h - value * scale
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text class="y-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    every = math.ceil(len(days) / MOST_X_LABELS)
    for index, day in enumerate(days):
        if index % every == 0:
            x = LEFT + slot * (index + 0.5)
            y = TOP + plot_h + 18
            parts.append(f'<text class="x-tick" x="{x:.1f}" y="{y}" text-anchor="middle">{day.day}</text>')
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">day (UTC)</text>'
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle"'
        f' transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">(account, setting) pairs</text>'
    )
    parts.append('<g class="legend">')
    for position, (_, label, colour) in enumerate(SERIES):
        x = LEFT + position * 190
        parts.append(
            f'<rect x="{x}" y="10" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="20">{escape(label)}</text>'
        )
    parts.append("</g>")
    for index, day in enumerate(days):
        x = LEFT + slot * index + (slot - bar) / 2
        parts.append(
            f'<g class="day" data-day="{day.day}" data-off="{day.off}" data-on="{day.on}"'
            f' data-unknown="{day.unknown}">'
        )
        base = float(TOP + plot_h)
        for key, label, colour in SERIES:
            height = day.count(key) * scale
            if height == 0:
                continue
            base -= height
            parts.append(
                f'<rect class="{key}" x="{x:.2f}" y="{base:.2f}" width="{bar:.2f}" height="{height:.2f}"'
                f' fill="{colour}"><title>{day.day}: {day.count(key)} {escape(label)}</title></rect>'
            )
        parts.append("</g>")
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#57606a"/>'
        "</svg>"
    )
    return "\n".join(parts)


def _tick_step(top: int) -> int:
    """A step of 1, 2 or 5 times a power of ten that gives at most five steps up to `top`."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if top <= 5 * factor * magnitude:
                return factor * magnitude
        magnitude *= 10


def days_table(days: list[Day]) -> str:
    """The chart's numbers as a table, for a reader who cannot see the bars."""
    head = "".join(f'<th scope="col">{escape(label)}</th>' for _, label, _ in SERIES)
    rows = "".join(
        f'<tr><th scope="row">{day.day}</th>'
        + "".join(f'<td class="number">{day.count(key)}</td>' for key, _, _ in SERIES)
        + "</tr>"
        for day in days
    )
    return (
        '<details><summary>The numbers per day</summary><table class="days">'
        f'<thead><tr><th scope="col">day (UTC)</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
        "</details>"
    )
