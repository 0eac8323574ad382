"""testimonies: indexes that serve the review queue's order without reading every row

`storydesk queue` asks for one review state (or all), maybe one consent state, ordered by
priority then id, with a limit; the older index leads with campaign_id, which the queue
does not filter on, so a big database was scanned and sorted on every call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("testimonies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_testimonies_review_state_priority_id"),
            ["review_state", "priority", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_testimonies_review_state_consent_state_priority_id"),
            ["review_state", "consent_state", "priority", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_testimonies_priority_id"), ["priority", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("testimonies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_testimonies_priority_id"))
        batch_op.drop_index(batch_op.f("ix_testimonies_review_state_consent_state_priority_id"))
        batch_op.drop_index(batch_op.f("ix_testimonies_review_state_priority_id"))
