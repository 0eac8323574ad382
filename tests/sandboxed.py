"""A sandbox, a campaign file pointed at it, a ready database: shared by the integration tests."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from platforms import registry
from tests.helpers import invoke

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config" / "campaigns" / "sandbox.toml"


# The world a test gets unless it asks for another with @pytest.mark.world(posts=...): 20 of
# seed 3's posts give every publish target a matched testimony to reshare; a test that counts
# on a rarer case (a GIF, a testimony moved between people, a short listing) asks for the 60
# it was written against. Every post more is a harvest, a match and up to eight publications
# more in every test that uses the sandbox.
WORLD_POSTS, WORLD_SEED = 20, 3


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    from sandbox.server import start_sandbox

    marker = request.node.get_closest_marker("world")
    posts = marker.kwargs.get("posts", WORLD_POSTS) if marker else WORLD_POSTS
    server = start_sandbox(port=0, posts=posts, seed=WORLD_SEED)
    try:
        yield server
    finally:
        server.stop()


def campaign_text(
    base_url: str,
    out_dir: Path,
    every: str | None = None,
    extra: str = "",
    targets: tuple[str, ...] | None = None,
) -> str:
    """The shipped sandbox campaign, pointed at `base_url`; `every` replaces every interval."""
    text = SHIPPED.read_text().replace("http://127.0.0.1:8765", base_url)
    text = text.replace('out = "gallery"', f'out = "{out_dir / "gallery"}"')
    if every is not None:
        text = re.sub(r'^every = "[^"]+"', f'every = "{every}"', text, flags=re.M)
    if targets is not None:
        for name in registry.names("publish"):
            if name not in targets:
                text = text.replace(f"[publish.{name}]\n", f"[publish.{name}]\nenabled = false\n")
    return text + "\n" + extra


@dataclass
class Setup:
    path: Path
    config: Path
    db_url: str
    base_url: str

    @property
    def env(self) -> dict[str, str]:
        return {"STORYDESK_CONFIG": str(self.config), "STORYDESK_DB": self.db_url}

    def cli(self, *args: str) -> Any:
        return invoke(*args, env=self.env)

    def subprocess_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
        env.update(self.env)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "storydesk.cli", *args]

    def stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.base_url}/__sandbox__/stats", timeout=10).json())

    def control(self, action: str, body: dict[str, Any]) -> Any:
        return requests.post(f"{self.base_url}/__sandbox__/{action}", json=body, timeout=10).json()


def make_setup(
    tmp_path: Path,
    base_url: str,
    db_url: str,
    every: str | None = None,
    extra: str = "",
    targets: tuple[str, ...] | None = None,
    consent: bool = True,
) -> Setup:
    config = tmp_path / "campaign.toml"
    config.write_text(campaign_text(base_url, tmp_path, every, extra, targets))
    setup = Setup(tmp_path, config, db_url, base_url)
    assert setup.cli("init").exit_code == 0
    if consent:
        export = tmp_path / "consent.csv"
        export.write_text(requests.get(f"{base_url}/__sandbox__/consent.csv", timeout=10).text)
        outcome = setup.cli("consent", "import", str(export))
        assert outcome.exit_code == 0, outcome.stderr
    return setup


OTHER_CAMPAIGN = "cities-of-learning-2027"


def other_campaign(ready: Setup, folder: Path) -> Setup:
    """A second campaign file on the same database and platforms, its own gallery: what
    several campaigns sharing one database look like."""
    folder.mkdir()
    text = ready.config.read_text()
    assert 'id = "learning-never-stops"' in text
    text = text.replace('id = "learning-never-stops"', f'id = "{OTHER_CAMPAIGN}"', 1)
    text = text.replace(str(ready.path / "gallery"), str(folder / "gallery"))
    config = folder / "campaign.toml"
    config.write_text(text)
    other = Setup(folder, config, ready.db_url, ready.base_url)
    assert other.cli("init").exit_code == 0
    return other


@pytest.fixture
def ready(tmp_path: Path, sandbox: Any, db_url: str) -> Setup:
    """Campaign on the sandbox, database at the current schema, consent forms imported."""
    return make_setup(tmp_path, sandbox.base_url, db_url)


def load(setup: Setup) -> Any:
    from config.loader import load_campaign

    return load_campaign(setup.config)


def session_factory(db_url: str) -> Any:
    from db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(db_url))
