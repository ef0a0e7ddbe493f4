"""notices of applications (kind, application lines and objections), application freeze and
change time for the supplementary notice

Revision ID: e4b7c2a91f05
Revises: e3c7a1f09b52
Create Date: 2026-12-01 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7c2a91f05'
down_revision = 'e3c7a1f09b52'
branch_labels = None
depends_on = None

ONE_SUBJECT = "(certificate_id IS NULL) <> (application_id IS NULL)"


def upgrade():
    with op.batch_alter_table('public_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='certificates', nullable=False))
        batch_op.add_column(sa.Column('supplementary', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('notice_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('specialty', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('route', sa.String(length=16), nullable=True))
        batch_op.alter_column('certificate_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_notice_entries_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notice_entries_application_id_evaluation_applications'),
                                    'evaluation_applications', ['application_id'], ['id'])
        batch_op.create_check_constraint('one_subject', ONE_SUBJECT)

    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.alter_column('certificate_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_objections_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_objections_application_id_evaluation_applications'),
                                    'evaluation_applications', ['application_id'], ['id'])
        batch_op.create_check_constraint('one_subject', ONE_SUBJECT)

    with op.batch_alter_table('evaluation_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('objection_open', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('content_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('applied_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consent_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commitment_document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_applications_consent_by_id_users'),
                                    'users', ['consent_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_applications_commitment_document_id_issued_documents'),
                                    'issued_documents', ['commitment_document_id'], ['id'])

    op.create_table('evaluation_insurance_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['evaluation_applications.id'], name=op.f('fk_evaluation_insurance_records_application_id_evaluation_applications')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_evaluation_insurance_records_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_evaluation_insurance_records_entered_by_id_users')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_files.id'], name=op.f('fk_evaluation_insurance_records_evidence_id_evidence_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_insurance_records')),
    sa.UniqueConstraint('application_id', name=op.f('uq_evaluation_insurance_records_application_id'))
    )


def downgrade():
    op.drop_table('evaluation_insurance_records')
    with op.batch_alter_table('evaluation_applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evaluation_applications_commitment_document_id_issued_documents'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_evaluation_applications_consent_by_id_users'), type_='foreignkey')
        batch_op.drop_column('commitment_document_id')
        batch_op.drop_column('consent_by_id')
        batch_op.drop_column('consent_at')
        batch_op.drop_column('applied_on')
        batch_op.drop_column('content_changed_at')
        batch_op.drop_column('objection_open')

    op.execute("DELETE FROM objections WHERE certificate_id IS NULL")
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_objections_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_objections_application_id_evaluation_applications'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_objections_application_id'))
        batch_op.alter_column('certificate_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('application_id')

    op.execute("DELETE FROM notice_entries WHERE certificate_id IS NULL")
    with op.batch_alter_table('notice_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_notice_entries_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_notice_entries_application_id_evaluation_applications'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notice_entries_application_id'))
        batch_op.alter_column('certificate_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('route')
        batch_op.drop_column('specialty')
        batch_op.drop_column('application_id')

    with op.batch_alter_table('public_notices', schema=None) as batch_op:
        batch_op.drop_column('supplementary')
        batch_op.drop_column('kind')
