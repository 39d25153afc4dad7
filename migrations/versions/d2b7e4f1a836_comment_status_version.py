"""comment status version: mailed moderation links go stale when it changes

Revision ID: d2b7e4f1a836
Revises: c5e0d7a9b312
Create Date: 2026-11-26 13:40:00

Each change of a comment's status bumps it; a one-click link in a
moderator's mail carries the version it was written for, and one use of
a mail's links is recorded by comment, moderator and version. Links
mailed before this revision lack the version and are refused; the rows
``used_link`` holds for them are kept, so that a downgrade does not make
them usable again.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "d2b7e4f1a836"
down_revision = "c5e0d7a9b312"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("status_version")
