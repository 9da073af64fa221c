"""The digest's chart: progress by task and by responsible, as PNG bytes.

Rendered with matplotlib's object API on the Agg canvas (no pyplot, no global state, no
display). ``chart_data`` gathers the texts and numbers; ``draw`` turns them into a PNG in a
worker process (``bot.offload``), since drawing holds the GIL.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

from bot.i18n import Translator
from bot.services.text import clip
from bot.services.workplan import Summary
from storage.models.workplan import TaskStatus

#: Tasks drawn one by one; a bigger plan shows the ones nearest their deadline.
MAX_TASKS = 30
LABEL_MAX = 38
COLOURS = {
    TaskStatus.PLANNED: "#9e9e9e",
    TaskStatus.IN_PROGRESS: "#1e88e5",
    TaskStatus.DONE: "#43a047",
    TaskStatus.LATE: "#e53935",
    TaskStatus.SUSPENDED: "#fb8c00",
    TaskStatus.CANCELLED: "#cfd8dc",
}
GROUP_COLOUR = "#5e35b1"


def _short(text: str) -> str:
    return clip(text, LABEL_MAX)


def _value_label(axes: Any, row: int, value: int) -> None:
    """``40%`` after the bar, or inside its end (in white) when the bar is nearly full."""
    if value > 88:
        axes.text(value - 1, row, f"{value}%", va="center", ha="right", fontsize=7, color="white")
    else:
        axes.text(value + 1, row, f"{value}%", va="center", fontsize=7)


def _bars(axes: Any, labels: list[str], values: list[int], colours: list[str]) -> None:
    """Bars 0-100% over a pale track in the same colour (a 0% bar still shows its colour)."""
    rows = range(len(values))
    axes.barh(rows, [100] * len(values), color=colours, alpha=0.18)
    axes.barh(rows, values, color=colours)
    axes.set_yticks(rows, labels, fontsize=8)
    for row, value in enumerate(values):
        _value_label(axes, row, value)
    axes.set_xlim(0, 100)
    axes.invert_yaxis()
    axes.set_xlabel("%", fontsize=8)
    axes.tick_params(axis="x", labelsize=8)


@dataclass(frozen=True)
class ChartData:
    """Everything the chart shows, as plain values (it crosses into a worker process)."""

    title: str
    tasks_title: str
    groups_title: str
    task_labels: list[str]
    task_values: list[int]
    task_colours: list[str]
    legend: list[tuple[str, str]]  # (colour, label)
    group_labels: list[str]
    group_values: list[int]


def chart_data(t: Translator, summary: Summary) -> ChartData:
    """The chart's texts and numbers in the reader's language (cheap: no drawing)."""
    from bot.views.workplan import status_name

    tasks = [task for task in summary.tasks if task.status is not TaskStatus.CANCELLED]
    if len(tasks) > MAX_TASKS:
        tasks = sorted(tasks, key=lambda task: (task.deadline, task.id))[:MAX_TASKS]
    shown = [s for s in TaskStatus if any(task.status is s for task in tasks)]
    return ChartData(
        title=_short(summary.plan.title) + f" ({summary.average}%)",
        tasks_title=t.gettext("Progress by task"),
        groups_title=t.gettext("Progress by owner"),
        task_labels=[_short(f"#{task.id} {task.title}") for task in tasks],
        task_values=[task.progress for task in tasks],
        task_colours=[COLOURS[task.status] for task in tasks],
        legend=[(COLOURS[s], status_name(t, s)) for s in shown],
        group_labels=[_short(g.name) for g in summary.groups],
        group_values=[g.average for g in summary.groups],
    )


def draw(data: ChartData) -> bytes:
    """Two horizontal bar charts (tasks, responsibles), 0-100%, coloured by status.

    Agg draws in C++ without releasing the GIL, so this holds any thread of its process for
    hundreds of milliseconds: the bot calls it through ``bot.offload`` in a worker process."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    task_rows = max(len(data.task_values), 1)
    group_rows = max(len(data.group_values), 1)
    height = 1.8 + 0.32 * (task_rows + group_rows)
    figure = Figure(figsize=(9, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=[task_rows + 1, group_rows + 1])
    _bars(top, data.task_labels, data.task_values, data.task_colours)
    top.set_title(data.tasks_title, fontsize=10, loc="left")
    if data.legend:
        top.legend(
            handles=[Patch(color=colour, label=label) for colour, label in data.legend],
            fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
        )
    _bars(bottom, data.group_labels, data.group_values, [GROUP_COLOUR] * len(data.group_values))
    bottom.set_title(data.groups_title, fontsize=10, loc="left")
    figure.suptitle(data.title, fontsize=11)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def progress_chart(t: Translator, summary: Summary) -> bytes:
    """The chart drawn here, in this thread (tests, tools; the bot uses ``bot.offload``)."""
    return draw(chart_data(t, summary))
