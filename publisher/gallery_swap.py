"""Putting a freshly built gallery in place, so that no reader ever sees half of one.

The folder a gallery goes to is one of:
- missing, or a real folder storydesk made (it holds MARKER; one from before the marker holds
  nothing but the gallery's own files): the new site is built in a sibling folder, then the
  two are exchanged in one step (Linux renameat2 RENAME_EXCHANGE). Where the kernel or file
  system cannot exchange, the old folder is renamed away and the new one renamed in: the
  path is missing for an instant, never half-built.
- a symlink to a folder, typically into a web server's root made by someone else: the link
  and that folder stay as they are (their owner, mode and labels are the web server's), the
  new site is built in a private folder inside it, then each file is renamed over its old
  self, one atomic step per file. The page served through the link is always whole, and no
  file of anyone else in that folder is touched.
A non-empty folder storydesk did not make is refused before anything is written: replacing
it would delete what is in it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from config.errors import ConfigError

MARKER = ".storydesk-gallery"
# index.html last: a reader that follows the page to its feeds finds the new ones there.
SITE_FILES = ("feed.json", "rss.xml", "index.html")
MARKER_TEXT = (
    "This folder is written by `storydesk gallery` and `storydesk publish`.\n"
    "Its contents are replaced on every rebuild: keep nothing else in it.\n"
)
INSIDE_STAGING = ".storydesk-new-"


class ForeignFolder(ConfigError):
    """The output folder holds things storydesk did not write; nothing was touched."""


def refuse_foreign(out: Path) -> None:
    """Raise ForeignFolder unless the gallery may be written at `out`."""
    if not os.path.lexists(out):
        return
    folder = out
    if out.is_symlink():
        if not out.is_dir():
            raise ForeignFolder(f"{out} is a link to {os.readlink(out)}, which is not a folder")
        folder = out.resolve()
    elif not out.is_dir():
        raise ForeignFolder(f"{out} is a file, not a folder; nothing was written")
    if not is_ours(folder):
        raise ForeignFolder(
            f"{out} is a non-empty folder storydesk did not create; nothing was written or "
            "deleted (give a new or empty folder)"
        )


def is_ours(folder: Path) -> bool:
    entries = {p.name for p in folder.iterdir() if not p.name.startswith(INSIDE_STAGING)}
    return MARKER in entries or entries <= set(SITE_FILES)


def put_in_place(out: Path, write: Callable[[Path], None]) -> None:
    """Build the site with `write(folder)` and put it at `out` whole. Caller holds the lock."""
    refuse_foreign(out)
    if out.is_symlink():
        _swap_inside(out.resolve(), write)
    else:
        _swap_folder(out, write)


def _finish(staging: Path, write: Callable[[Path], None]) -> None:
    write(staging)
    (staging / MARKER).write_text(MARKER_TEXT, "utf-8")
    for name in (*SITE_FILES, MARKER):
        path = staging / name
        path.chmod(0o644)  # the gallery is public: a web server running as anyone reads it
        with open(path, "rb") as handle:  # on disk before the rename makes it the live file
            os.fsync(handle.fileno())


def _swap_folder(out: Path, write: Callable[[Path], None]) -> None:
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    old = out.with_name(out.name + ".old")
    for stale in [*parent.glob(f"{out.name}.new-*"), old]:  # from a rebuild that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{out.name}.new-", dir=parent))
    try:
        _finish(staging, write)
        staging.chmod(0o755)  # mkdtemp makes it private; a web server must read it
        if not out.exists():
            staging.rename(out)
        elif not _exchange(staging, out):
            out.rename(old)
            staging.rename(out)
            staging = old
        # else: staging now holds the previous site
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the old site, or a failed half-build


def _swap_inside(folder: Path, write: Callable[[Path], None]) -> None:
    for stale in folder.glob(f"{INSIDE_STAGING}*"):
        shutil.rmtree(stale, ignore_errors=True)
    # mkdtemp makes it 0700: the web server serving `folder` cannot read the half-built one.
    staging = Path(tempfile.mkdtemp(prefix=INSIDE_STAGING, dir=folder))
    try:
        _finish(staging, write)
        for name in (MARKER, *SITE_FILES):
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False where this system cannot (then nothing changed).
    Python has no binding for renameat2(2), so it is called from the C library."""
    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not glibc >= 2.28 (or not Linux)
        return False
    if call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # file system without exchange
        return False
    raise OSError(code, os.strerror(code), str(b))
