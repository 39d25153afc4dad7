"""readers: likes, their own edits, approval time; moderators' sites

Revision ID: 3f9a6c2e1b7d
Revises: a04aaf004c6d
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f9a6c2e1b7d'
down_revision = "a04aaf004c6d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_like',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_like_comment_id_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_comment_like'))
    )
    with op.batch_alter_table('comment_like', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_like_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_like_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('like_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('moderator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('moderator', schema=None) as batch_op:
        batch_op.drop_column('url')

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('like_count')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('approved_at')

    with op.batch_alter_table('comment_like', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_like_created_at'))
        batch_op.drop_index(batch_op.f('ix_comment_like_comment_id'))

    op.drop_table('comment_like')
