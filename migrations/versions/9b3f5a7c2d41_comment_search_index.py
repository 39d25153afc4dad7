"""comment search index: FTS5 trigram on SQLite, pg_trgm on PostgreSQL

Revision ID: 9b3f5a7c2d41
Revises: f8c138298b5c
Create Date: 2026-11-25 22:50:00

"""

from alembic import op

from blog.moderation import search

# revision identifiers, used by Alembic.
revision = "9b3f5a7c2d41"
down_revision = "f8c138298b5c"
branch_labels = None
depends_on = None


def upgrade():
    # The statements live in blog/moderation/search.py, shared with create_all.
    search.create_index(op.get_bind())


def downgrade():
    search.drop_index(op.get_bind())
