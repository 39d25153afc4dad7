"""moderator sessions: one row per device's login, so logout ends it server-side

Revision ID: 7a4e2c9d1b58
Revises: 3d7b1f0c9e24
Create Date: 2026-11-27 11:00:00

Session and remember cookies now name one of these rows, checked at every
request: logging out deletes it, and it expires whatever the cookie says.
Cookies issued before this migration name no row: moderators log in again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7a4e2c9d1b58"
down_revision = "3d7b1f0c9e24"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "moderator_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["moderator.id"],
            name=op.f("fk_moderator_session_moderator_id_moderator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderator_session")),
    )
    with op.batch_alter_table("moderator_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderator_session_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderator_session_moderator_id"), ["moderator_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("moderator_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderator_session_moderator_id"))
        batch_op.drop_index(batch_op.f("ix_moderator_session_expires_at"))
    op.drop_table("moderator_session")
