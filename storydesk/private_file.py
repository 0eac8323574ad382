"""Writing a file that holds personal data: owner-only, whole or not at all, never through
a link someone placed where the file will go.

The text goes to a fresh file beside the target (created exclusively, mode 0600, so a
pre-placed file or symlink of that name cannot be written through), then is renamed over
the target: a rename replaces a symlink at the target instead of following it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from config.errors import WorkFailed


def write_private(path: Path, text: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise WorkFailed(f"{path}: is a folder; name a file to write")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise WorkFailed(f"{path}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WorkFailed(f"{path}: cannot write ({exc.strerror})") from None
        raise
