"""electronic certificates, use copies and their QR checks

Revision ID: e3c7a1f09b52
Revises: d21e75e33d56
Create Date: 2026-12-01 07:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3c7a1f09b52'
down_revision = 'd21e75e33d56'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('e_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('issuer_org_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=64), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('public_token', sa.String(length=43), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_e_certificates_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['committee_id'], ['organizations.id'], name=op.f('fk_e_certificates_committee_id_organizations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_e_certificates_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['issued_documents.id'], name=op.f('fk_e_certificates_document_id_issued_documents')),
    sa.ForeignKeyConstraint(['issuer_org_id'], ['organizations.id'], name=op.f('fk_e_certificates_issuer_org_id_organizations')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_e_certificates_org_id_organizations')),
    sa.ForeignKeyConstraint(['parent_id'], ['e_certificates.id'], name=op.f('fk_e_certificates_parent_id_e_certificates')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_e_certificates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_e_certificates')),
    sa.UniqueConstraint('document_id', name=op.f('uq_e_certificates_document_id')),
    sa.UniqueConstraint('number', name=op.f('uq_e_certificates_number')),
    sa.UniqueConstraint('public_token', name=op.f('uq_e_certificates_public_token'))
    )
    with op.batch_alter_table('e_certificates', schema=None) as batch_op:
        batch_op.create_index('ix_e_certificates_certificate_id_kind', ['certificate_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_e_certificates_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_e_certificates_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_e_certificates_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_e_certificates_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_e_certificates_region_code'), ['region_code'], unique=False)

    op.create_table('e_certificate_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('e_certificate_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['e_certificate_id'], ['e_certificates.id'], name=op.f('fk_e_certificate_checks_e_certificate_id_e_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_e_certificate_checks'))
    )
    with op.batch_alter_table('e_certificate_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_e_certificate_checks_e_certificate_id'), ['e_certificate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('e_certificate_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_e_certificate_checks_e_certificate_id'))
    op.drop_table('e_certificate_checks')
    with op.batch_alter_table('e_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_e_certificates_region_code'))
        batch_op.drop_index(batch_op.f('ix_e_certificates_person_id'))
        batch_op.drop_index(batch_op.f('ix_e_certificates_parent_id'))
        batch_op.drop_index(batch_op.f('ix_e_certificates_org_id'))
        batch_op.drop_index(batch_op.f('ix_e_certificates_committee_id'))
        batch_op.drop_index('ix_e_certificates_certificate_id_kind')
    op.drop_table('e_certificates')
