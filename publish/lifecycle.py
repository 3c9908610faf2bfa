"""How a command's processes end: SIGTERM unwinds like an exception, so temporary files are
removed and child processes (HermiT's Java, reasoning workers) are stopped, not orphaned."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from types import FrameType

#: The exit code after SIGTERM, as a shell reports a process the signal ended (128 + 15).
TERMINATED = 128 + signal.SIGTERM
_PR_SET_PDEATHSIG = 1
_received: list[int] = []


def _exit(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    sys.exit(128 + signum)


def exit_code_after_signal() -> int:
    """128 + the signal that stopped us, for code that swallowed the SystemExit (waitress
    does, and then returns normally); 0 when no signal came."""
    return 128 + _received[-1] if _received else 0


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so ``finally`` blocks and context managers run."""
    signal.signal(signal.SIGTERM, _exit)


def end_with_parent(parent: int, signum: int = signal.SIGTERM) -> None:
    """In a worker process: exit on SIGTERM, and get ``signum`` when ``parent`` dies, even by
    SIGKILL (Linux ``PR_SET_PDEATHSIG``), so no worker outlives the command. SIGKILL suits a
    worker whose exit would wait for processes of its own: they get theirs when it dies."""
    exit_on_sigterm()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
    if os.getppid() != parent:  # it died before the request took effect
        sys.exit(TERMINATED)
