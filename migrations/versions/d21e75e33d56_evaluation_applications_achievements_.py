"""evaluation applications, achievements, materials and review

Revision ID: d21e75e33d56
Revises: ca562c8d600d
Create Date: 2026-12-01 05:31:10.153511

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd21e75e33d56'
down_revision = 'ca562c8d600d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('unit_region_code', sa.String(length=6), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('specialty', sa.String(length=128), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('exceptional_condition', sa.String(length=16), nullable=True),
    sa.Column('current_certificate_id', sa.Integer(), nullable=True),
    sa.Column('current_level', sa.String(length=8), nullable=True),
    sa.Column('current_title_name', sa.String(length=128), nullable=True),
    sa.Column('education', sa.String(length=64), nullable=True),
    sa.Column('chsi_no', sa.String(length=18), nullable=True),
    sa.Column('work_history', sa.Text(), nullable=True),
    sa.Column('public_hours', sa.Integer(), nullable=True),
    sa.Column('professional_hours', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('opinion', sa.JSON(), nullable=True),
    sa.Column('interview_date', sa.Date(), nullable=True),
    sa.Column('interview_experts', sa.String(length=500), nullable=True),
    sa.Column('return_items', sa.JSON(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('resubmit_by', sa.Date(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['organizations.id'], name=op.f('fk_evaluation_applications_committee_id_organizations')),
    sa.ForeignKeyConstraint(['current_certificate_id'], ['certificates.id'], name=op.f('fk_evaluation_applications_current_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_evaluation_applications_org_id_organizations')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_evaluation_applications_person_id_persons')),
    sa.ForeignKeyConstraint(['plan_id'], ['evaluation_plans.id'], name=op.f('fk_evaluation_applications_plan_id_evaluation_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_applications'))
    )
    with op.batch_alter_table('evaluation_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_applications_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_applications_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_applications_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_applications_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_applications_unit_region_code'), ['unit_region_code'], unique=False)

    op.create_table('evaluation_achievements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['evaluation_applications.id'], name=op.f('fk_evaluation_achievements_application_id_evaluation_applications')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_files.id'], name=op.f('fk_evaluation_achievements_evidence_id_evidence_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_achievements'))
    )
    with op.batch_alter_table('evaluation_achievements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_achievements_application_id'), ['application_id'], unique=False)

    op.create_table('evaluation_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('checklist_item_id', sa.Integer(), nullable=True),
    sa.Column('slot', sa.String(length=24), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['evaluation_applications.id'], name=op.f('fk_evaluation_materials_application_id_evaluation_applications')),
    sa.ForeignKeyConstraint(['checklist_item_id'], ['evaluation_checklist_items.id'], name=op.f('fk_evaluation_materials_checklist_item_id_evaluation_checklist_items')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_files.id'], name=op.f('fk_evaluation_materials_evidence_id_evidence_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_materials')),
    sa.UniqueConstraint('application_id', 'checklist_item_id', 'slot', name=op.f('uq_evaluation_materials_application_id_checklist_item_id_slot'))
    )
    with op.batch_alter_table('evaluation_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_materials_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('civil_service_transition', sa.Boolean(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('civil_service_transition')

    with op.batch_alter_table('evaluation_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_materials_application_id'))

    op.drop_table('evaluation_materials')
    with op.batch_alter_table('evaluation_achievements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_achievements_application_id'))

    op.drop_table('evaluation_achievements')
    with op.batch_alter_table('evaluation_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_applications_unit_region_code'))
        batch_op.drop_index(batch_op.f('ix_evaluation_applications_plan_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_applications_person_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_applications_org_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_applications_committee_id'))

    op.drop_table('evaluation_applications')
