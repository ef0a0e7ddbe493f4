"""The title an evaluation application is for (拟申报职称名称)

Revision ID: b3f1c8d2e7a4
Revises: a9cdef96e6cd
Create Date: 2026-12-01 08:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b3f1c8d2e7a4'
down_revision = 'a9cdef96e6cd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evaluation_applications') as batch_op:
        batch_op.add_column(sa.Column('title_name', sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table('evaluation_applications') as batch_op:
        batch_op.drop_column('title_name')
