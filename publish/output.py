"""Writing an output file (`-o`): only over a regular file or at a new path, never seen
half-written, and no temporary file left when it fails or the command gets SIGTERM."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from rdflib import Graph

from .errors import OutputError

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_output(out: Path) -> Path:
    """``out`` if it is a new path or a regular file; OutputError for anything a rename would
    silently replace (a symbolic link, a FIFO, a device ...)."""
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    for test, kind in _KINDS:
        if test(mode):
            raise OutputError(f"{out} is {kind}; the output must be a regular file or a new path")
    return out


def _mode_for(out: Path) -> int:
    """The permissions ``out`` has, or a new file's under the umask: mkstemp's 0600 would
    leave the data unreadable to the account that serves it."""
    try:
        return stat.S_IMODE(out.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(graph: Graph, out: Path, rdf_format: str = "turtle") -> None:
    """Serialise to a hidden temporary file next to ``out`` and rename it over ``out``: a
    failure (disk full, SIGTERM) leaves ``out`` as it was and removes the temporary file.
    OutputError when it cannot be written. (SIGKILL cannot be caught: it leaves the hidden
    ``.OUT.xxxx`` file, never a half-written ``out``.)"""
    out = check_output(Path(out))
    temporary: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        temporary = Path(name)
        with os.fdopen(handle, "wb") as stream:
            graph.serialize(stream, format=rdf_format)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(out))
        check_output(out)  # again: it may have changed while we serialised
        os.replace(temporary, out)
        temporary = None
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:  # also on SIGTERM, which the CLI turns into SystemExit
        if temporary is not None:
            temporary.unlink(missing_ok=True)
