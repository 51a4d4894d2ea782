"""One plotting style for the whole book.

* :data:`PALETTE` -- the Okabe--Ito colour-blind-safe palette, also set as the
  default colour cycle;
* :func:`set_style` -- matplotlib defaults (size, fonts, grid, PNG output);
* :func:`show` -- display a figure after checking every axes is labelled, so an
  unlabelled plot fails when the chapter runs instead of slipping into the book.
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.figure import Figure
import matplotlib.pyplot as plt
from cycler import cycler

__all__ = ["PALETTE", "set_style", "show", "check_labels"]

#: Okabe & Ito (2008) palette, distinguishable under the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
    "axes.prop_cycle": cycler(color=list(PALETTE.values())),
}


def set_style() -> None:
    """Apply the book's matplotlib defaults (idempotent)."""
    mpl.rcParams.update(STYLE)


def check_labels(fig) -> None:
    """Raise ``ValueError`` if a visible axes of ``fig`` lacks an x or y label.

    An axes may rely on the figure's ``supxlabel``/``supylabel``, or on a label
    of an axes it shares that axis with. Axes drawn without axis lines
    (``ax.axis("off")``, e.g. image grids) and colour bars are exempt.
    """
    sup_x = fig._supxlabel is not None and fig._supxlabel.get_text()
    sup_y = fig._supylabel is not None and fig._supylabel.get_text()
    axes = [ax for ax in fig.axes if ax.axison and not hasattr(ax, "_colorbar")]
    for ax in axes:
        for axis, sup in (("x", sup_x), ("y", sup_y)):
            siblings = getattr(ax, f"get_shared_{axis}_axes")().get_siblings(ax)
            if sup or any(getattr(s, f"get_{axis}label")() for s in siblings):
                continue
            where = f" (titled {ax.get_title()!r})" if ax.get_title() else ""
            raise ValueError(f"an axes{where} has no {axis}-axis label; every figure needs labelled axes")


def show(fig=None) -> None:
    """Check the labels of ``fig`` (default: the current figure), then display it."""
    fig = plt.gcf() if fig is None else fig
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure or None, got {type(fig).__name__}")
    check_labels(fig)
    plt.show()
