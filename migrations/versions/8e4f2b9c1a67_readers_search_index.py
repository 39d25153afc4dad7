"""readers' search index: FTS5 on SQLite, a tsvector column and GIN index on PostgreSQL

Revision ID: 8e4f2b9c1a67
Revises: 6d1e0a7b3c52
Create Date: 2026-12-08 02:00:00

"""

from alembic import op

from blog.articles import search_index

# revision identifiers, used by Alembic.
revision = "8e4f2b9c1a67"
down_revision = "6d1e0a7b3c52"
branch_labels = None
depends_on = None


def upgrade():
    # The statements live in blog/articles/search_index.py, shared with
    # create_all: an FTS5 table on SQLite, a column and its index on
    # PostgreSQL (op.get_bind().dialect.name chooses). The articles already
    # there are indexed in the site's language.
    connection = op.get_bind()
    search_index.create_index(connection)
    search_index.reindex_all(connection)


def downgrade():
    search_index.drop_index(op.get_bind())
