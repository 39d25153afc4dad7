"""moderator language

Revision ID: 7c2f4e9a1d35
Revises: 2feb647089cf
Create Date: 2026-12-07 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c2f4e9a1d35"
down_revision = "2feb647089cf"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("moderator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("moderator", schema=None) as batch_op:
        batch_op.drop_column("language")
