"""The quota ledger counts per credential: quota_usage.credential, part of the primary key

Google counts YouTube units per API key and X charges reads per app, so campaigns sharing
one database with keys of their own must not spend each other's count. The column holds
the name of the variable holding the credential, never its value. Rows recorded before
hold '' (db/quota.py: each credential counts them as its own, so an upgrade mid-day gives
back none of the day's spent quota).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PK = "pk_quota_usage"


def upgrade() -> None:
    with op.batch_alter_table("quota_usage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credential", sa.String(128), nullable=False, server_default="")
        )
        batch_op.drop_constraint(PK, type_="primary")
        batch_op.create_primary_key(PK, ["platform", "credential", "day"])


def downgrade() -> None:
    ledger = sa.table(
        "quota_usage",
        sa.column("platform", sa.String),
        sa.column("day", sa.Date),
        sa.column("units", sa.Integer),
    )
    bind = op.get_bind()
    # one row per platform and day again: the credentials' counts summed, as one count was
    totals = [
        {"platform": platform, "day": day, "units": int(units)}
        for platform, day, units in bind.execute(
            sa.select(ledger.c.platform, ledger.c.day, sa.func.sum(ledger.c.units)).group_by(
                ledger.c.platform, ledger.c.day
            )
        )
    ]
    op.execute(ledger.delete())
    with op.batch_alter_table("quota_usage", schema=None) as batch_op:
        batch_op.drop_constraint(PK, type_="primary")
        batch_op.drop_column("credential")
        batch_op.create_primary_key(PK, ["platform", "day"])
    if totals:
        op.bulk_insert(ledger, totals)
