"""comment body digest for the duplicate check

Revision ID: 4c1d2e7f9a10
Revises: b081d5940c95
Create Date: 2026-11-25 22:25:00

"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4c1d2e7f9a10"
down_revision = "b081d5940c95"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_digest", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_comment_article_digest", ["article_id", "body_digest"])

    comment = sa.table(
        "comment", sa.column("id", sa.Integer), sa.column("body", sa.Text),
        sa.column("body_digest", sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(comment.c.id, comment.c.body)
            .where(comment.c.id > last_id)
            .order_by(comment.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            comment.update()
            .where(comment.c.id == sa.bindparam("row_id"))
            .values(body_digest=sa.bindparam("digest")),
            [
                {
                    "row_id": row.id,
                    "digest": hashlib.sha256(
                        row.body.encode("utf-8", "surrogatepass")
                    ).hexdigest(),
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_article_digest")
        batch_op.drop_column("body_digest")
