"""`queue` imports only what it needs to ask the database: staff wait on it at every key.
(Its speed is measured by bench/queue_show.py; this says which libraries it loads.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from db import migrate
from db.session import make_engine

HEAVY = [
    "flask",
    "googleapiclient",
    "tweepy",
    "atproto",
    "instaloader",
    "requests",
    "pydantic",
    "alembic",
    "rapidfuzz",
    "jinja2",
    "platforms.registry",
]


def test_queue_loads_no_platform_client_web_or_config_library(tmp_path: Path) -> None:
    """It keeps to its campaign (several may share the database) reading the campaign's id
    alone from the file: the schema's validator is pydantic."""
    database = tmp_path / "queue.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    campaign = Path(__file__).resolve().parents[2] / "config/campaigns/sandbox.toml"
    code = (
        "import sys; from storydesk.cli import run; "
        "out = sys.stdout; sys.stdout = open('/dev/null', 'w'); "
        f"code = run(['--config', '{campaign}', '--db', 'sqlite:///{database}', "
        "'queue', '--limit', '50']); "
        f"out.write(__import__('json').dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [0, []]


def test_show_loads_no_platform_client(tmp_path: Path) -> None:
    """`show` needs the campaign (so pydantic and the registry's settings), never a client:
    the platform modules import their HTTP stacks only when a client is built."""
    database = tmp_path / "show.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    campaign = Path(__file__).resolve().parents[2] / "config/campaigns/sandbox.toml"
    clients = ["googleapiclient", "tweepy", "atproto", "instaloader", "requests", "flask"]
    code = (
        "import sys; from storydesk.cli import run; "
        "out = sys.stdout; sys.stdout = sys.stderr = open('/dev/null', 'w'); "
        f"code = run(['--config', '{campaign}', '--db', 'sqlite:///{database}', 'show', '1']); "
        f"out.write(__import__('json').dumps([code, [m for m in {clients!r} if m in sys.modules]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    code_, loaded = json.loads(result.stdout)
    assert code_ != 0  # no testimony 1 in an empty database
    assert loaded == []
