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
    database = tmp_path / "queue.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    code = (
        "import sys; from storydesk.cli import run; "
        "out = sys.stdout; sys.stdout = open('/dev/null', 'w'); "
        f"code = run(['--db', 'sqlite:///{database}', 'queue', '--limit', '50']); "
        f"out.write(__import__('json').dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [0, []]
