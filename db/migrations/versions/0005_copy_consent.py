"""Consent belongs to a copy: what approval decided per copy, and suggested links

decisions.copies: the plan an approval made for each copy of the testimony (goes out or
not, why, which campaign rules a reviewer overrode with a reason), read again at publish.
posts.link_suggestion: a testimony this post may belong to (same words within a few days,
or a link to its video) when nothing ties both accounts to one form: shown to the
reviewer, never used to carry consent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("copies", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_suggestion", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("link_suggestion")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("copies")
