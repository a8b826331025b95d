"""Charts of the SLA report, drawn by matplotlib as inline SVG (no JavaScript).

Three charts per service: delay over time with the objective drawn as a
line, availability per interval (Y.1540 clause 7.1), and loss ratio per
interval.  Each is a standalone ``<svg>`` element in text form; figures are
made with :class:`matplotlib.figure.Figure` directly (no pyplot, no global
state), text kept as text (``svg.fonttype = none``).  The time axis spans the
intervals that have data (matplotlib would widen a single point to years),
and the legend sits below the plot, where it cannot hide a line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import Decimal

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from controller.sla.series import ProbeSeries

_SIZE = (8.0, 2.6)
_TWO_COLUMN_LABEL = 48  # characters: longer legend labels take a row each
_LEGEND_ROW_INCHES = 0.17
#: Room on each side of the plotted intervals: a twentieth of their span, at least this.
_MIN_PAD = np.timedelta64(5 * 60, "s")


def _style() -> AbstractContextManager[None]:
    return mpl.rc_context(
        rc={
            "svg.fonttype": "none",
            "svg.hashsalt": "netsla",
            "font.size": 8.0,
            "date.converter": "concise",
        }
    )


def _times(series: ProbeSeries, keep: NDArray[np.bool_]) -> NDArray[np.datetime64]:
    times: NDArray[np.datetime64] = series.start_us.astype("datetime64[us]")[keep]
    return times


def _figure(title: str, ylabel: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=_SIZE, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, loc="left")
    axes.set_ylabel(ylabel)
    axes.grid(visible=True, alpha=0.3)
    return figure, axes


def _no_data(axes: Axes) -> None:
    """An empty chart says so instead of drawing a meaningless (1970 or 0..1) axis."""
    axes.set_axis_off()
    axes.text(
        0.5,
        0.5,
        "no data in the period",
        transform=axes.transAxes,
        ha="center",
        va="center",
        color="#777777",
        fontsize=11.0,
    )


def _finish(figure: Figure, axes: Axes, times: Sequence[NDArray[np.datetime64]]) -> None:
    """Time axis over the plotted intervals and the legend below, or the no-data notice."""
    if not times:
        _no_data(axes)
        return
    first = min(t.min() for t in times)
    last = max(t.max() for t in times)
    pad = max((last - first) / 20, _MIN_PAD)
    axes.set_xlim(first - pad, last + pad)
    labels = axes.get_legend_handles_labels()[1]
    columns = 2 if max(len(label) for label in labels) <= _TWO_COLUMN_LABEL else 1
    rows = -(-len(labels) // columns)
    figure.set_size_inches(_SIZE[0], _SIZE[1] + rows * _LEGEND_ROW_INCHES)
    figure.legend(loc="outside lower center", ncols=columns, frameon=False)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def delay_chart(series: Sequence[ProbeSeries], *, objective: Decimal | None) -> str:
    """Mean delay per interval and probe, with the objective as a dashed line."""
    with _style():
        figure, axes = _figure("Delay per interval", "ms")
        plotted = []
        for one in series:
            counted = ~np.isnan(one.mean_delay_ms)
            if not counted.any():
                continue
            times = _times(one, counted)
            axes.plot(times, one.mean_delay_ms[counted], marker=".", linewidth=1, label=one.probe)
            plotted.append(times)
        if objective is not None and plotted:
            axes.axhline(
                float(objective), color="tab:red", linestyle="--", label=f"objective {objective} ms"
            )
        _finish(figure, axes, plotted)
        return _svg(figure)


def availability_chart(series: Sequence[ProbeSeries]) -> str:
    """Per probe, each counted interval as available (1) or not (0)."""
    with _style():
        figure, axes = _figure("Availability per interval", "available")
        plotted = []
        for one in series:
            counted = one.counted
            if not counted.any():
                continue
            times = _times(one, counted)
            plotted.append(times)
            axes.step(
                times,
                one.available[counted].astype(float),
                where="post",
                linewidth=1,
                marker=".",
                label=one.probe,
            )
        axes.set_ylim(-0.1, 1.1)
        axes.set_yticks([0, 1], labels=["down", "up"])
        _finish(figure, axes, plotted)
        return _svg(figure)


def loss_chart(series: Sequence[ProbeSeries], *, objective: Decimal | None) -> str:
    """Loss ratio per interval and probe, with the objective when there is one."""
    with _style():
        figure, axes = _figure("Packet loss per interval", "loss ratio")
        plotted = []
        for one in series:
            counted = one.counted & ~np.isnan(one.loss_ratio)
            if not counted.any():
                continue
            times = _times(one, counted)
            axes.plot(times, one.loss_ratio[counted], marker=".", linewidth=1, label=one.probe)
            plotted.append(times)
        if objective is not None and plotted:
            axes.axhline(
                float(objective), color="tab:red", linestyle="--", label=f"objective {objective}"
            )
        _finish(figure, axes, plotted)
        return _svg(figure)
