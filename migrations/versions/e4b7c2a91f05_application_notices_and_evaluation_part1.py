"""notices of applications (kind, application lines and objections), application freeze and
change time for the supplementary notice

Revision ID: e4b7c2a91f05
Revises: d21e75e33d56
Create Date: 2026-12-01 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7c2a91f05'
down_revision = 'd21e75e33d56'
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


def downgrade():
    with op.batch_alter_table('evaluation_applications', schema=None) as batch_op:
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
