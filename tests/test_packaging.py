"""storydesk is an application in its own environment: its top-level packages are ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import config
import db

REPO = Path(__file__).resolve().parent.parent


def test_config_and_db_are_this_repositorys_packages() -> None:
    assert Path(config.__file__).resolve().parent == REPO / "config"
    assert Path(db.__file__).resolve().parent == REPO / "db"


def test_no_engine_is_built_at_import_time() -> None:
    """Importing the parts never connects: create_engine is made to fail, then every part
    that touches the database is imported in a fresh interpreter."""
    code = (
        "import sqlalchemy, sqlalchemy.engine\n"
        "def boom(*a, **k): raise SystemExit('an engine was built at import time')\n"
        "sqlalchemy.create_engine = sqlalchemy.engine.create_engine = boom\n"
        "import db.models, db.session, harvester.pipeline, publisher.outbox, consent.register\n"
        "import compliance.sweep, review.queue, storydesk.ops.jobs, storydesk.cli\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
