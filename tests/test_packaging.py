"""storydesk is an application in its own environment: its top-level packages are ours."""

from __future__ import annotations

from pathlib import Path

import config
import db

REPO = Path(__file__).resolve().parent.parent


def test_config_and_db_are_this_repositorys_packages() -> None:
    assert Path(config.__file__).resolve().parent == REPO / "config"
    assert Path(db.__file__).resolve().parent == REPO / "db"


def test_no_engine_is_built_at_import_time() -> None:
    import sqlalchemy.engine.create as create

    import db.models
    import db.session

    assert db.models and db.session  # importing them must not have connected anywhere
    assert not hasattr(create, "_storydesk_engine")
