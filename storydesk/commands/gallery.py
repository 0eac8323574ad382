from __future__ import annotations

from pathlib import Path

import click

from storydesk.context import AppContext


@click.command(name="gallery")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (default: [publish.gallery] out).",
)
@click.pass_obj
def command(app: AppContext, out: Path | None) -> None:
    """Write the website gallery: index.html with a square card per approved, consented
    testimony, feed.json (JSON Feed) and rss.xml."""
    from publisher.gallery import build_gallery

    path = build_gallery(app.sessions(), app.campaign(), out)
    click.echo(f"wrote {path}/index.html, {path}/feed.json, {path}/rss.xml")
