"""drop the comment author index: the duplicate check finds texts by digest

Revision ID: c5e0d7a9b312
Revises: 9b3f5a7c2d41
Create Date: 2026-11-26 00:40:00

No query looks comments up by author alone any more (the duplicate check
goes by article and digest, the first-comment check by email), and every
index costs each new comment a write.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e0d7a9b312"
down_revision = "9b3f5a7c2d41"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_author")


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_author", ["author"], unique=False)
