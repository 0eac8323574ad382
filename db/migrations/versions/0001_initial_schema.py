"""initial schema: every table, and triggers that keep the audit log append-only

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


AUDIT_IMMUTABLE_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
AUDIT_IMMUTABLE_POSTGRES = [
    "CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_immutable()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable()",
]


def _audit_triggers() -> list[str]:
    return AUDIT_IMMUTABLE_POSTGRES if op.get_bind().dialect.name == "postgresql" else (
        AUDIT_IMMUTABLE_SQLITE
    )


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('consent_version', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_subject_type_subject_id'), ['subject_type', 'subject_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_table('leases',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('quota_usage',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'day', name=op.f('pk_quota_usage'))
    )
    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('response_id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('full_name', sa.String(length=256), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('city', sa.String(length=128), nullable=True),
    sa.Column('country', sa.String(length=128), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=256), nullable=True),
    sa.Column('x_handle', sa.String(length=128), nullable=True),
    sa.Column('youtube_channel', sa.String(length=256), nullable=True),
    sa.Column('instagram_handle', sa.String(length=128), nullable=True),
    sa.Column('facebook_profile', sa.String(length=256), nullable=True),
    sa.Column('tiktok_handle', sa.String(length=128), nullable=True),
    sa.Column('linkedin_profile', sa.String(length=256), nullable=True),
    sa.Column('video_urls', sa.JSON(), nullable=False),
    sa.Column('video_file', sa.Text(), nullable=True),
    sa.Column('consent_scope', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('guardian_name', sa.String(length=256), nullable=True),
    sa.Column('guardian_relationship', sa.String(length=64), nullable=True),
    sa.Column('guardian_signed', sa.Boolean(), nullable=False),
    sa.Column('signature', sa.String(length=256), nullable=True),
    sa.Column('form_version', sa.String(length=32), nullable=True),
    sa.Column('source_file', sa.Text(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=128), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('personal_data_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_consent_records_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records')),
    sa.UniqueConstraint('campaign_id', 'response_id', name=op.f('uq_consent_records_campaign_id_response_id'))
    )
    op.create_table('harvest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=128), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('quota_units', sa.Integer(), nullable=False),
    sa.Column('new_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('error_kind', sa.String(length=16), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_harvest_runs_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_runs'))
    )
    with op.batch_alter_table('harvest_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_runs_campaign_id_platform_started_at'), ['campaign_id', 'platform', 'started_at'], unique=False)

    op.create_table('harvest_cursors',
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('query_key', sa.String(length=64), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('position', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_harvest_cursors_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['run_id'], ['harvest_runs.id'], name=op.f('fk_harvest_cursors_run_id_harvest_runs')),
    sa.PrimaryKeyConstraint('campaign_id', 'platform', 'query_key', name=op.f('pk_harvest_cursors'))
    )
    op.create_table('testimonies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('consent_state', sa.String(length=24), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('consent_evidence', sa.JSON(), nullable=True),
    sa.Column('consent_score', sa.Double(), nullable=True),
    sa.Column('review_state', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_testimonies_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['consent_id'], ['consent_records.id'], name=op.f('fk_testimonies_consent_id_consent_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testimonies'))
    )
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_testimonies_campaign_id_review_state_priority_id'), ['campaign_id', 'review_state', 'priority', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_testimonies_consent_id'), ['consent_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reviewer', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('override', sa.Boolean(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('consent_version', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consent_records.id'], name=op.f('fk_decisions_consent_id_consent_records')),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_decisions_testimony_id_testimonies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_testimony_id'), ['testimony_id'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('native_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('author_id', sa.String(length=64), nullable=True),
    sa.Column('author_handle', sa.String(length=128), nullable=True),
    sa.Column('author_name', sa.String(length=256), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('hashtags', sa.JSON(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('media_type', sa.String(length=16), nullable=True),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('duration_seconds', sa.Double(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('harvested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_state', sa.String(length=16), nullable=False),
    sa.Column('source_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('config_hash', sa.String(length=64), nullable=True),
    sa.Column('edit_history', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_posts_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['run_id'], ['harvest_runs.id'], name=op.f('fk_posts_run_id_harvest_runs')),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_posts_testimony_id_testimonies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('campaign_id', 'platform', 'native_id', name=op.f('uq_posts_campaign_id_platform_native_id'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_platform_author_id'), ['platform', 'author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_testimony_id'), ['testimony_id'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=256), nullable=True),
    sa.Column('external_url', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('skip_reason', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('takedown_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('takedown_reason', sa.Text(), nullable=True),
    sa.Column('taken_down_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_publications_testimony_id_testimonies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_publications_idempotency_key')),
    sa.UniqueConstraint('testimony_id', 'target', name=op.f('uq_publications_testimony_id_target'))
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publications_state_next_attempt_at'), ['state', 'next_attempt_at'], unique=False)

    op.create_table('consent_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consent_records.id'], name=op.f('fk_consent_matches_consent_id_consent_records')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_consent_matches_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_matches')),
    sa.UniqueConstraint('post_id', name=op.f('uq_consent_matches_post_id'))
    )
    with op.batch_alter_table('consent_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_matches_consent_id'), ['consent_id'], unique=False)
    for statement in _audit_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_immutable()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    with op.batch_alter_table('consent_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_matches_consent_id'))

    op.drop_table('consent_matches')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_state_next_attempt_at'))

    op.drop_table('publications')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_testimony_id'))
        batch_op.drop_index(batch_op.f('ix_posts_platform_author_id'))

    op.drop_table('posts')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_testimony_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_testimonies_consent_id'))
        batch_op.drop_index(batch_op.f('ix_testimonies_campaign_id_review_state_priority_id'))

    op.drop_table('testimonies')
    op.drop_table('harvest_cursors')
    with op.batch_alter_table('harvest_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvest_runs_campaign_id_platform_started_at'))

    op.drop_table('harvest_runs')
    op.drop_table('consent_records')
    op.drop_table('quota_usage')
    op.drop_table('leases')
    op.drop_table('campaigns')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject_type_subject_id'))

    op.drop_table('audit_log')
