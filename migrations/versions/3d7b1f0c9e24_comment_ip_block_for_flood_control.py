"""comment address block for flood control: one IPv6 user holds a whole /64

Revision ID: 3d7b1f0c9e24
Revises: d2b7e4f1a836
Create Date: 2026-11-27 10:00:00

Flood control now compares the block an address belongs to (IPv4 /32,
IPv6 /64 by default), so it gets the index the address had. Old rows are
not backfilled: the flood window is seconds long, and the purge clears
addresses after COMMENT_IP_RETENTION_DAYS anyway.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3d7b1f0c9e24"
down_revision = "d2b7e4f1a836"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip_block", sa.String(length=49), nullable=True))
        batch_op.drop_index("ix_comment_ip_created")
        batch_op.create_index(
            "ix_comment_ip_block_created", ["ip_block", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_ip_block_created")
        batch_op.create_index("ix_comment_ip_created", ["ip_address", "created_at"], unique=False)
        batch_op.drop_column("ip_block")
