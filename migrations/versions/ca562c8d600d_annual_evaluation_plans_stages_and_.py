"""annual evaluation plans, stages and checklists

Revision ID: ca562c8d600d
Revises: 5c1e7a9d3b20
Create Date: 2026-12-01 05:24:09.695258

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ca562c8d600d'
down_revision = '5c1e7a9d3b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('series', sa.String(length=64), nullable=False),
    sa.Column('levels', sa.String(length=64), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('pass_rate', sa.Integer(), nullable=False),
    sa.Column('deployment_text', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['organizations.id'], name=op.f('fk_evaluation_plans_committee_id_organizations')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_evaluation_plans_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_plans')),
    sa.UniqueConstraint('org_id', 'year', 'series', name=op.f('uq_evaluation_plans_org_id_year_series'))
    )
    with op.batch_alter_table('evaluation_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_plans_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_plans_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_plans_region_code'), ['region_code'], unique=False)

    op.create_table('evaluation_checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('requirement', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['evaluation_plans.id'], name=op.f('fk_evaluation_checklist_items_plan_id_evaluation_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_checklist_items'))
    )
    with op.batch_alter_table('evaluation_checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_checklist_items_plan_id'), ['plan_id'], unique=False)

    op.create_table('evaluation_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['evaluation_plans.id'], name=op.f('fk_evaluation_stages_plan_id_evaluation_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_stages')),
    sa.UniqueConstraint('plan_id', 'stage', name=op.f('uq_evaluation_stages_plan_id_stage'))
    )


def downgrade():
    op.drop_table('evaluation_stages')
    with op.batch_alter_table('evaluation_checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_checklist_items_plan_id'))

    op.drop_table('evaluation_checklist_items')
    with op.batch_alter_table('evaluation_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_plans_region_code'))
        batch_op.drop_index(batch_op.f('ix_evaluation_plans_org_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_plans_committee_id'))

    op.drop_table('evaluation_plans')
