"""Putting a rebuilt gallery in place: a reader sees the old gallery or the new one, whole,
also through a symlink into a web root; a folder holding anything else is never replaced."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher import gallery_swap
from publisher.gallery_swap import MARKER, SITE_FILES, ForeignFolder, put_in_place


def site(
    version: str, seen: list[str] | None = None, live: Path | None = None
) -> Callable[[Path], None]:
    """A writer for gallery `version`; it records what a reader of `live` sees meanwhile."""

    def write(folder: Path) -> None:
        if seen is not None and live is not None and (live / "index.html").exists():
            seen.append((live / "index.html").read_text())
        for name in SITE_FILES:
            (folder / name).write_text(f"{name} {version}")

    return write


def failing(folder: Path) -> None:
    (folder / "index.html").write_text("half")
    raise OSError(errno.ENOSPC, "No space left on device")


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_folder_gets_the_site_and_a_marker_readable_by_a_web_server(tmp_path: Path) -> None:
    out = tmp_path / "www" / "gallery"
    put_in_place(out, site("v1"))
    assert set(contents(out)) == {*SITE_FILES, MARKER}
    assert (out / "index.html").read_text() == "index.html v1"
    assert mode(out) == 0o755 and all(mode(out / n) == 0o644 for n in SITE_FILES)
    assert sorted(p.name for p in out.parent.iterdir()) == ["gallery"]  # no staging left


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_rebuild_replaces_the_whole_folder_and_readers_see_the_old_one_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:  # a file system that cannot exchange two paths in one step
        monkeypatch.setattr(gallery_swap, "_exchange", lambda a, b: False)
    out = tmp_path / "gallery"
    put_in_place(out, site("v1"))
    (out / "stray.html").write_text("left by a reader's experiment")
    seen: list[str] = []
    put_in_place(out, site("v2", seen, out))
    assert seen == ["index.html v1"]  # while v2 was being written, v1 was served whole
    assert contents(out) == {
        **{n: f"{n} v2" for n in SITE_FILES},
        MARKER: gallery_swap.MARKER_TEXT,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gallery"]


def test_a_failed_rebuild_leaves_the_old_gallery_whole(tmp_path: Path) -> None:
    out = tmp_path / "gallery"
    put_in_place(out, site("v1"))
    before = contents(out)
    with pytest.raises(OSError, match="No space left"):
        put_in_place(out, failing)
    assert contents(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gallery"]


def test_a_symlink_into_a_web_root_keeps_pointing_there_and_the_web_root_is_updated(
    tmp_path: Path,
) -> None:
    webroot = tmp_path / "srv" / "www" / "gallery"
    webroot.mkdir(parents=True)
    webroot.chmod(0o751)  # the web server's own folder: its mode stays as its owner set it
    link = tmp_path / "gallery"
    link.symlink_to(webroot)
    inode = webroot.stat().st_ino

    put_in_place(link, site("v1"))
    seen: list[str] = []
    put_in_place(link, site("v2", seen, webroot))

    assert link.is_symlink() and link.resolve() == webroot.resolve()
    assert webroot.stat().st_ino == inode and mode(webroot) == 0o751
    assert seen == ["index.html v1"]
    assert contents(webroot) == {
        **{n: f"{n} v2" for n in SITE_FILES},
        MARKER: gallery_swap.MARKER_TEXT,
    }
    assert (link / "index.html").read_text() == "index.html v2"  # through the link, too

    with pytest.raises(OSError):  # a failed rebuild: the web root still serves v2, whole
        put_in_place(link, failing)
    assert contents(webroot)["index.html"] == "index.html v2"
    assert set(contents(webroot)) == {*SITE_FILES, MARKER}  # no private half-build left


@pytest.mark.parametrize("through_link", [False, True], ids=["folder", "symlink"])
def test_a_folder_with_anything_else_is_refused_and_nothing_in_it_is_touched(
    tmp_path: Path, through_link: bool
) -> None:
    foreign = tmp_path / "site"
    foreign.mkdir()
    (foreign / "index.html").write_text("the organisation's home page")
    (foreign / "style.css").write_text("body {}")
    out = foreign
    if through_link:
        out = tmp_path / "gallery"
        out.symlink_to(foreign)
    with pytest.raises(ForeignFolder, match="non-empty folder storydesk did not create"):
        put_in_place(out, site("v1"))
    assert contents(foreign) == {
        "index.html": "the organisation's home page",
        "style.css": "body {}",
    }


def test_a_gallery_written_before_the_marker_existed_is_still_its_own(tmp_path: Path) -> None:
    out = tmp_path / "gallery"
    out.mkdir()
    for name in SITE_FILES:
        (out / name).write_text("old")
    put_in_place(out, site("v2"))
    assert (out / "index.html").read_text() == "index.html v2" and (out / MARKER).exists()


def test_a_file_or_a_dangling_link_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "gallery.html"
    afile.write_text("x")
    with pytest.raises(ForeignFolder, match="is a file"):
        put_in_place(afile, site("v1"))
    dangling = tmp_path / "gone"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ForeignFolder, match="not a folder"):
        put_in_place(dangling, site("v1"))
    assert afile.read_text() == "x" and os.path.islink(dangling)
