from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from config.errors import ExitCode
from storydesk.context import AppContext


@click.command(name="demo")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's campaign file, database and gallery"
    " (default: a new storydesk-demo-<time> folder here).",
)
@click.option(
    "--posts",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Posts in the sandbox's campaign.",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the sandbox's world.")
@click.pass_obj
def command(app: AppContext, folder: Path | None, posts: int, seed: int) -> int:
    """See the whole job done with no API keys: start the sandbox (the platforms' offline
    twin), harvest the campaign from every platform, import the consent forms, match,
    approve the cleanly consented testimonies as reviewer "demo", publish to every target,
    build the gallery, and print a summary with the next commands to try."""
    from platforms import registry
    from sandbox.server import start_sandbox
    from storydesk.context import AppContext as Context
    from storydesk.demo import prepare_folder, run_demo, write_campaign

    folder = folder or Path(f"storydesk-demo-{datetime.now():%Y%m%d-%H%M%S}")
    prepare_folder(folder)
    server = start_sandbox(port=0, posts=posts, seed=seed)
    try:
        twins = ", ".join(p.label for p in registry.all_platforms() if not p.website)
        click.echo(f"sandbox serving {twins} at {server.base_url}")
        config = write_campaign(folder, server.base_url)
        db_url = f"sqlite:///{(folder / 'storydesk.db').resolve()}"
        click.echo(f"demo folder: {folder} (campaign.toml, storydesk.db, consent.csv, gallery/)")
        demo_app = Context(config_path=str(config), db_url=db_url, clock=app.clock, create_db=True)
        try:
            report = run_demo(
                demo_app,
                folder,
                server.base_url,
                progress_bar=sys.stderr.isatty(),
                say=lambda line: click.echo(f"· {line}"),
            )
        finally:
            demo_app.dispose()
    finally:
        server.stop()
    from storydesk.demo_summary import print_summary

    print_summary(report)
    return ExitCode.OK if not report.errors else ExitCode.FAILED
