"""The case's risk score over time as a small SVG line, drawn on the server (no
script). The table beside it carries the same numbers, for screen readers."""

from dataclasses import dataclass

WIDTH = 260
HEIGHT = 60
PAD = 6


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: str  # "x,y x,y …" for <polyline>
    dots: list  # [(x, y)]
    threshold_y: float
    label: str


def sparkline(rows, *, threshold) -> Sparkline | None:
    """Scores oldest first, on one scale from 0 to the longest checklist's length (a
    24-question and a 27-question checklist side by side), with the threshold drawn."""
    if len(rows) < 2:
        return None
    top = max(max(row.max_score for row in rows), threshold, 1)
    step = (WIDTH - 2 * PAD) / (len(rows) - 1)

    def y(value):
        return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top, 1)

    dots = [(round(PAD + i * step, 1), y(row.assessment.score)) for i, row in enumerate(rows)]
    scores = ", ".join(str(row.assessment.score) for row in rows)
    return Sparkline(
        width=WIDTH,
        height=HEIGHT,
        points=" ".join(f"{x},{yy}" for x, yy in dots),
        dots=dots,
        threshold_y=y(threshold),
        label=f"Line chart of the risk checklist scores, oldest first: {scores}. The dashed line is the threshold of {threshold}. The same figures are in the table.",
    )
