"""comment import keys: where an imported comment came from and its id there

Revision ID: a04aaf004c6d
Revises: b23393ba4ba5
Create Date: 2026-11-28 10:00:00

WordPress, Disqus and Isso imports recognise a comment they already stored
by (article, source, id at the source), and remember the parent's id at the
source until that parent is imported (it may come later in the file). Rows
imported from WordPress before get their key from ``wp_comment_id``, so a
second run of an old import still adds nothing.

A unique index, not a constraint: on SQLite adding a constraint rebuilds the
table, which would drop the search index's triggers.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a04aaf004c6d"
down_revision = "b23393ba4ba5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("import_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("import_parent_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_comment_article_import", ["article_id", "import_source", "import_id"], unique=True
        )
    comment = sa.table(
        "comment",
        sa.column("wp_comment_id", sa.Integer),
        sa.column("import_source", sa.String),
        sa.column("import_id", sa.String),
    )
    op.execute(
        comment.update()
        .where(comment.c.wp_comment_id.is_not(None))
        .values(
            import_source="wordpress",
            import_id=sa.cast(comment.c.wp_comment_id, sa.String(64)),
        )
    )


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_article_import")
        batch_op.drop_column("import_parent_id")
        batch_op.drop_column("import_id")
        batch_op.drop_column("import_source")
