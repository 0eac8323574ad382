"""Bluesky: the consent form's field naming the person's Bluesky account (handle or DID)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        # a handle is a domain name (at most 253 characters); a DID fits too
        batch_op.add_column(sa.Column("bluesky_handle", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_column("bluesky_handle")
