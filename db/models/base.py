"""Declarative base, the UTC datetime type and constraint naming (stable for alembic)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Date, DateTime, MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from config.redact import redact, redact_any


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RedactedText(TypeDecorator[str]):
    """Text that can carry what a server said (errors, reasons): credentials removed and the
    length bounded before it is written, whichever code path writes it (ORM or Core)."""

    impl = Text
    cache_ok = True
    LIMIT = 2000

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = redact(value.replace("\x00", ""))
        return value if len(value) <= self.LIMIT else value[: self.LIMIT - 1] + "\u2026"


class RedactedJSON(TypeDecorator[Any]):
    """JSON whose strings are redacted before they are written (the audit trail's details)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return redact_any(value)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime,
        date: Date,
        dict[str, Any]: JSON,
        list[Any]: JSON,
        list[str]: JSON,
    }


E = TypeVar("E", bound=StrEnum)


class StateColumn(TypeDecorator[E], Generic[E]):
    """A state column: its enum in and out, the plain word in the database."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum, self.length = enum, length
        # one dict look-up a value (bulk writes of consent matches pass every row through
        # here): a member and its word find the same entry
        self._words: dict[str, str] = {m.value: m.value for m in enum}
        self._members: dict[str, E] = {m.value: m for m in enum}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        word = self._words.get(value)
        if word is None:
            raise ValueError(f"{value!r} is not a valid {self.enum.__name__}")
        return word

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self._members[value]

    def copy(self, **kw: Any) -> StateColumn[E]:
        return StateColumn(self.enum, self.length)
