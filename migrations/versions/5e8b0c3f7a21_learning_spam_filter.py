"""learning spam filter: token counts, and each comment's score and training

Revision ID: 5e8b0c3f7a21
Revises: 7a4e2c9d1b58
Create Date: 2026-11-28 10:00:00

``spam_token`` holds, for every token the filter has learned, in how many
spam and ham messages it was seen; its ``.MSG_COUNT`` row holds the totals.
A comment keeps the score it was given on arrival, the tokens that weighed
most, and what moderators' decisions trained the filter it is (so that a
later decision takes that back first). Existing comments have no score and
were never trained.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e8b0c3f7a21"
down_revision = "7a4e2c9d1b58"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "spam_token",
        sa.Column("token", sa.String(length=128), nullable=False),
        sa.Column("spam_count", sa.Integer(), nullable=False),
        sa.Column("ham_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_spam_token")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spam_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("spam_clues", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column(
                "spam_trained",
                sa.Enum("spam", "ham", name="spamlabel", native_enum=False, length=4),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("spam_trained")
        batch_op.drop_column("spam_clues")
        batch_op.drop_column("spam_score")
    op.drop_table("spam_token")
