from __future__ import annotations

from pathlib import Path

import click

from config.errors import ExitCode, StorydeskError
from storydesk.context import AppContext


class OutRefused(StorydeskError):
    exit_code = ExitCode.USAGE


@click.command(name="gallery")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write instead of [publish.gallery] out: a new or empty one, or one this "
    "command wrote before (it holds a .storydesk-gallery marker). Any other folder is "
    "refused (exit 2) and nothing in it is touched.",
)
@click.pass_obj
def command(app: AppContext, out: Path | None) -> None:
    """Write the website gallery: index.html with a square card per approved, consented
    testimony, feed.json (JSON Feed) and rss.xml. The new gallery replaces the old one in
    one step, also when the folder is a symlink into a web root. Written to the campaign's
    own folder, it also completes the takedowns of withdrawn cards, which count as done only
    once the gallery without them is in place. Exit 1 if it could not be written (the old
    gallery stays), 2 if --out names a folder holding anything else, 78 if the campaign's
    folder does."""
    from publisher.gallery import build_site, configured_out
    from publisher.gallery_swap import ForeignFolder
    from publisher.recovery import rebuild_gallery

    loaded = app.campaign()
    if out is None or out.resolve() == configured_out(loaded).resolve():
        built = rebuild_gallery(app.sessions(), loaded, app.clock, "gallery")
        path, removed = built.path, len(built.taken_down)
    else:
        try:
            path, removed = build_site(app.sessions(), loaded, out).path, 0
        except ForeignFolder as exc:
            raise OutRefused(exc.message) from exc
    click.echo(f"wrote {path}/index.html, {path}/feed.json, {path}/rss.xml")
    if removed:
        click.echo(f"{removed} withdrawn card{'s' if removed != 1 else ''} removed: takedown done")
