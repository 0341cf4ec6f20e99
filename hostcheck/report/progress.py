"""A progress bar for work that outlasts a second (an archive scan, a fleet of reports).

Shown on stderr, and only when stderr is a terminal (not a dumb one): never in a pipe or a
file, and never inside a document on stdout. It appears once the work has run for DELAY
seconds (a quick run prints nothing) and is erased when the work ends (transient), so the
report that follows starts on a clean line.

    with Progress("Reading reports", total=len(files)) as progress:
        for item in work:
            progress.advance()

rich is imported only when the bar is about to be shown.
"""

import os
import sys
import time

DELAY = 1.0


def stderr_is_terminal():
    try:
        return sys.stderr.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):       # a closed or replaced stderr
        return False


class Progress(object):
    """advance(n) as work gets done; `total` None for an unknown amount (a stream).

    unit "bytes" shows sizes and a transfer speed; anything else counts items.
    """

    def __init__(self, label, total=None, unit="items", color=True, delay=None):
        self.label, self.total, self.unit, self.color = label, total, unit, color
        self.delay = DELAY if delay is None else delay
        self.enabled = stderr_is_terminal()
        self.done = 0
        self.started = time.monotonic()
        self._bar = self._task = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def advance(self, amount=1):
        if not self.enabled:
            return
        self.done += amount
        if self._bar is None:
            if time.monotonic() - self.started < self.delay:
                return
            self._start()
        self._bar.update(self._task, completed=self.done)

    def _start(self):
        from rich.console import Console
        from rich import progress as rp
        console = Console(file=sys.stderr, no_color=not self.color or bool(os.environ.get("NO_COLOR")),
                          markup=False, emoji=False, highlight=False)
        if self.unit == "bytes":
            counter = [rp.DownloadColumn(), rp.TransferSpeedColumn()]
        else:
            counter = [rp.MofNCompleteColumn()]
        self._bar = rp.Progress(rp.TextColumn("{task.description}", markup=False), rp.BarColumn(), *counter,
                                rp.TimeElapsedColumn(), console=console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total, completed=self.done)

    def close(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class CountingReader(object):
    """A binary stream that reports every read to `progress` (bytes)."""

    def __init__(self, stream, progress):
        self.stream, self.progress = stream, progress

    def read(self, size=-1):
        data = self.stream.read(size)
        self.progress.advance(len(data))
        return data

    def __getattr__(self, name):       # name, mode, …: the stream's own
        return getattr(self.stream, name)
