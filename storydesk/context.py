"""What every command gets: the campaign, the database and the clock, built on first use."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from config.clock import Clock, SystemClock
from config.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from config.schema import LoadedCampaign


@dataclass
class AppContext:
    config_path: str | None
    db_url: str
    debug: bool = False
    # Only `init` (and the demo) may create a missing SQLite file; commands that only read
    # open the database read-only.
    create_db: bool = False
    read_only: bool = False
    clock: Clock = field(default_factory=SystemClock)
    _campaign: LoadedCampaign | None = None
    _engine: Engine | None = None
    _sessions: sessionmaker[Session] | None = None

    def campaign(self) -> LoadedCampaign:
        if self._campaign is None:
            from config.loader import load_campaign, resolve_campaign_path

            self._campaign = load_campaign(resolve_campaign_path(self.config_path))
        return self._campaign

    def campaign_id(self) -> str:
        """The campaign's id, what a listing keeps to (several campaigns may share the
        database): read alone from the file, so `queue` loads no validator; a file it
        cannot read that way gets the full load's error."""
        if self._campaign is None:
            from config.campaign_file import campaign_id_in, resolve_campaign_path

            found = campaign_id_in(resolve_campaign_path(self.config_path))
            if found is not None:
                return found
        return self.campaign().id

    def engine(self) -> Engine:
        if self._engine is None:
            from sqlalchemy.engine import make_url

            from config.redact import remember
            from db.session import make_engine

            # the database password is a credential like the others (a bad URL: make_engine says)
            with contextlib.suppress(Exception):
                remember(make_url(self.db_url).password)  # type: ignore[arg-type]
            self._engine = make_engine(self.db_url, create=self.create_db, read_only=self.read_only)
        return self._engine

    def sessions(self, *, check_schema: bool = True) -> sessionmaker[Session]:
        """Sessions on an up-to-date database; tells the user to run `init` otherwise."""
        if self._sessions is None:
            from db.session import make_session_factory

            if check_schema:
                self.require_schema()
            self._sessions = make_session_factory(self.engine())
        return self._sessions

    def require_schema(self) -> None:
        from db.migrate import schema_problem, schema_state

        problem = schema_problem(*schema_state(self.engine()), self.display_db())
        if problem is not None:
            raise ConfigError(problem)

    def display_db(self) -> str:
        """The URL without its password, for messages and logs."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.db_url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - an unparseable URL is shown as given
            return self.db_url

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
