from __future__ import annotations

import signal
import threading
from types import FrameType

import click


@click.command(name="sandbox")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--posts",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Posts in the seeded campaign.",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the generated world.")
def command(port: int, posts: int, seed: int) -> None:
    """Serve the offline twin of X, YouTube, Instagram, Facebook, LinkedIn and TikTok in the
    foreground, on their real paths, with a seeded campaign and its consent-form export.
    Point a campaign file's base_url at the printed address (config/campaigns/sandbox.toml
    uses port 8765)."""
    from sandbox.server import make_server

    try:
        server = make_server(port=port, posts=posts, seed=seed)
    except OSError as exc:
        from config.errors import ConfigError

        raise ConfigError(
            f"--port {port}: cannot serve on 127.0.0.1: {exc.strerror} (a sandbox already "
            "running? stop it, or pass another --port)"
        ) from None
    click.echo(server.base_url)
    click.echo(f"consent export: {server.base_url}/__sandbox__/consent.csv")
    click.echo("Press Ctrl+C to stop.")

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    click.echo("sandbox stopped")
