"""queue tools: when a comment entered its status, readers' reports, undo

Revision ID: 2feb647089cf
Revises: 3f9a6c2e1b7d
Create Date: 2026-12-02 10:00:00

``comment.status_changed_at`` is what `flask purge` deletes old Spam and
Cestino by; existing comments take the time of the last change that led to
their status in the audit trail, else their creation. ``comment.flag_count``
and ``comment_flag`` are readers' reports ("Segnala"), each reader known
only by a keyed digest. ``moderation_event.lesson_before`` is what the
learning filter knew of the comment before a change, for "Annulla".
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2feb647089cf"
down_revision = "3f9a6c2e1b7d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "comment_flag",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_flag_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_comment_flag")),
    )
    with op.batch_alter_table("comment_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_flag_comment_id"), ["comment_id"])
        batch_op.create_index(batch_op.f("ix_comment_flag_created_at"), ["created_at"])

    # Plain ADD COLUMNs: SQLite adds them in place, without copying the
    # table (and its search triggers).
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("flag_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        """
        UPDATE comment SET status_changed_at = COALESCE(
            (SELECT MAX(moderation_event.created_at) FROM moderation_event
             WHERE moderation_event.comment_id = comment.id
               AND moderation_event.to_status = comment.status),
            comment.created_at)
        """
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_status_changed", ["status", "status_changed_at"])

    with op.batch_alter_table("moderation_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lesson_before", sa.String(length=4), nullable=True))


def downgrade():
    with op.batch_alter_table("moderation_event", schema=None) as batch_op:
        batch_op.drop_column("lesson_before")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_status_changed")
        batch_op.drop_column("flag_count")
        batch_op.drop_column("status_changed_at")
    with op.batch_alter_table("comment_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_flag_created_at"))
        batch_op.drop_index(batch_op.f("ix_comment_flag_comment_id"))
    op.drop_table("comment_flag")
