"""Progress bars that reach the console when the study runs under papermill.

In a Jupyter kernel ``tqdm.auto`` draws ipywidgets, which papermill never shows: a batch run sat
at "Executing 4/15 cells" with no sign of the training and coding loops. The study runner sets
``LIC_PROGRESS=console`` for its kernels; :func:`tqdm` then draws plain-text bars on the kernel's
stderr, which papermill streams to the runner's console (``stderr_file``), and keeps each finished
bar as one line. Anywhere else it is ``tqdm.auto`` (widgets in JupyterLab, text in a terminal).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

__all__ = ["ENV", "tqdm", "console_mode", "console_progress"]

ENV = "LIC_PROGRESS"  # "console": text bars on stderr (set by lic.study.runner for its kernels)
INTERVAL_ENV = "LIC_PROGRESS_INTERVAL"  # seconds between two redraws of a console bar (default 2)


def console_mode() -> bool:
    """Whether bars are drawn as text for a console (``LIC_PROGRESS=console``)."""
    return os.environ.get(ENV) == "console"


def tqdm(*args, **kwargs):
    """``tqdm.auto.tqdm``, or a text bar on stderr in console mode (kept when done, redrawn every
    ``$LIC_PROGRESS_INTERVAL`` s, 2 by default). Same arguments as :class:`tqdm.tqdm`."""
    if console_mode():
        from tqdm.std import tqdm as bar

        kwargs["leave"] = True  # a finished loop stays on the console as one line
        kwargs.setdefault("mininterval", float(os.environ.get(INTERVAL_ENV, "2")))
        kwargs.setdefault("file", sys.stderr)
        kwargs.setdefault("ncols", 100)
        return bar(*args, **kwargs)
    from tqdm.auto import tqdm as bar

    return bar(*args, **kwargs)


@contextmanager
def console_progress(enabled: bool = True):
    """Set ``LIC_PROGRESS=console`` for the block (kernels started inside inherit it)."""
    if not enabled:
        yield
        return
    old = os.environ.get(ENV)
    os.environ[ENV] = "console"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old
