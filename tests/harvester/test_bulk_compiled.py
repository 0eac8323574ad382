"""db.bulk.execute_many compiles a statement its caller keeps once (the harvest's posts
insert ran the compiler on every page), with the SQL compiling it again gives."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from db import bulk


def test_a_kept_statement_is_compiled_once_with_the_same_sql() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("a", String))
    engine = create_engine("sqlite://")
    table.create(engine)
    statement = insert(table)
    with Session(engine) as session:
        before = bulk._compiled.cache_info()
        bulk.execute_many(session, statement, ["a", "id"], [("x", 2), ("y", 1)])
        bulk.execute_many(session, statement, ["a", "id"], [("z", 3)])
        after = bulk._compiled.cache_info()
        assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
        sql, order = bulk._compiled(statement, engine.dialect, ("a", "id"))
        fresh = statement.compile(dialect=engine.dialect, column_keys=["a", "id"])
        assert (sql, order) == (fresh.string, list(fresh.positiontup or []))
        # one made for the call (update_many's) gives its own SQL
        bulk.execute_many(session, insert(table), ["id"], [(4,)])
        rows = session.execute(select(table.c.id, table.c.a).order_by(table.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, "y"), (2, "x"), (3, "z"), (4, None)]
