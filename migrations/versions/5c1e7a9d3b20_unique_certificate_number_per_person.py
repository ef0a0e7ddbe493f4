"""Unique certificate number per person

Revision ID: 5c1e7a9d3b20
Revises: 5a7c2e91d4b3
Create Date: 2026-12-01 05:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "5c1e7a9d3b20"
down_revision = "5a7c2e91d4b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("uq_certificates_person_id_cert_no", "certificates", ["person_id", "cert_no"], unique=True,
                    sqlite_where=sa.text("cert_no IS NOT NULL"), postgresql_where=sa.text("cert_no IS NOT NULL"))


def downgrade():
    op.drop_index("uq_certificates_person_id_cert_no", table_name="certificates")
