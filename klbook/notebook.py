"""Set-up shared by every chapter notebook: seeds, printing, figures, progress.

Every chapter starts with ``rng = setup_notebook(seed)``. The outputs committed
with the notebooks are re-checked by ``pytest --nbval``, so everything here aims
at outputs that are identical from run to run.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys

import numpy as np

from ._validation import integer
from .plotting import set_style

__all__ = ["setup_notebook", "progress", "quiet", "get_device"]


def quiet() -> bool:
    """True when progress bars must stay out of the outputs.

    That is when ``KLBOOK_QUIET`` is set (the test suite and ``make outputs``
    set it), or when the code does not run in an interactive session.
    """
    return bool(os.environ.get("KLBOOK_QUIET")) or not (
        hasattr(sys, "ps1") or "ipykernel" in sys.modules
    )


def progress(iterable, *, desc: str | None = None, total: int | None = None):
    """Wrap a long loop in a text progress bar when a reader runs it interactively.

    In quiet mode (see :func:`quiet`) the iterable is returned unchanged, so no
    variable output (rates, timings) lands in a committed notebook. The bar is
    tqdm's plain-text one: widget bars would load scripts from the network.
    """
    if not hasattr(iterable, "__iter__"):
        raise TypeError(f"iterable must be iterable, got {type(iterable).__name__}")
    if desc is not None and not isinstance(desc, str):
        raise TypeError(f"desc must be a string or None, got {type(desc).__name__}")
    if total is not None:
        integer(total, "total", minimum=0)
    if quiet():
        return iterable
    from tqdm.std import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stdout, leave=False)


def setup_notebook(seed: int = 0, *, torch: bool | None = None) -> np.random.Generator:
    """Seed every generator, fix printing and figure defaults; return a numpy ``Generator``.

    Parameters
    ----------
    seed : int
        A non-negative integer below ``2**32`` (numpy's limit). Seeds Python's ``random``, numpy's legacy global state and, if torch is
        imported (or ``torch=True``), ``torch.manual_seed``, with deterministic
        algorithms switched on.
    torch : bool, optional
        Force (``True``) or skip (``False``) the torch set-up; by default it
        happens only when torch is already imported, so numpy-only chapters
        do not pay for importing it.

    Returns
    -------
    numpy.random.Generator
        ``np.random.default_rng(seed)``: chapters draw their randomness from it.
    """
    seed = integer(seed, "seed", minimum=0, maximum=2**32 - 1)  # an int: random.seed rejects numpy integers
    if torch is not None and not isinstance(torch, (bool, np.bool_)):
        raise TypeError(f"torch must be True, False or None, got {torch!r}")
    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    if torch or (torch is None and "torch" in sys.modules):
        import torch as _torch

        _torch.manual_seed(seed)
        _torch.use_deterministic_algorithms(True)
    set_style()
    try:  # PNG figures: nbval skips comparing images, and SVG would embed dates.
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # not running under IPython
        pass
    return np.random.default_rng(seed)


def get_device(prefer: str | None = None):
    """The torch device for the chapters' models.

    The CPU is the default and the reference: the committed outputs were made
    on it. Every model and tensor in the book goes through this function, so
    ``prefer="cuda"`` / ``"auto"`` (or the environment variable
    ``KLBOOK_DEVICE=cuda`` / ``auto``) moves a chapter to a GPU without code
    changes -- with slightly different numbers, which nbval will then report.
    ``"auto"`` means CUDA when it is available, else the CPU.
    """
    import torch

    if isinstance(prefer, torch.device):
        return prefer
    if isinstance(prefer, int) and not isinstance(prefer, bool):
        raise TypeError(f"prefer must be a device name (str), a torch.device or None, got int {prefer}; "
                        f"for a GPU index write 'cuda:{prefer}'")
    if prefer is not None and not isinstance(prefer, str):
        raise TypeError(f"prefer must be a device name (str), a torch.device or None, got {type(prefer).__name__}")
    source = "prefer" if prefer else "KLBOOK_DEVICE"
    choice = (prefer or os.environ.get("KLBOOK_DEVICE") or "cpu").lower()
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        return torch.device(choice)
    except RuntimeError as exc:
        raise ValueError(f"{source} is not a torch device name: {choice!r} ({exc})") from None


@contextlib.contextmanager
def torch_threads(n):
    """Run torch on ``n`` intra-op threads (``None``: leave the setting alone), then restore it.

    The products in this module are small; on a CPU shared with other work, extra threads
    mostly wait for each other (measured here: one linear layer 15x slower on 2 threads
    than on 1 when both cores were busy).
    """
    import torch

    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
