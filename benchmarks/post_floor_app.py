"""The floor for comment POSTs: only what any Flask-WTF form handler does.

The blog's own comment form is checked by Flask-WTF (CSRF token included),
its text goes into one table with one insert and one commit, the id joins
the signed session cookie and the answer is the 303. Nothing else of the
blog runs: no article lookup, word lists, duplicate check, sanitizer,
threads, notifications or middleware. The benchmark measures it next to
Isso to show how much of the comment POST target the stack itself takes.

gunicorn loads it as ``post_floor_app:app``; POST_FLOOR_DATABASE names the
SQLite file.
"""

import os
import sys

import sqlalchemy as sa
from flask import Flask, redirect, render_template_string, session
from flask_sqlalchemy import SQLAlchemy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from blog.comments.forms import CommentForm

app = Flask(__name__)
app.config["SECRET_KEY"] = "post floor"
app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.environ['POST_FLOOR_DATABASE']}"
db = SQLAlchemy(app)
posted = sa.Table(
    "posted",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("author", sa.String(245)),
    sa.Column("email", sa.String(100)),
    sa.Column("body", sa.Text),
)
INSERT = sa.insert(posted)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _wal(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA journal_mode = WAL")


with app.app_context():
    db.create_all()


@app.get("/form/")
def form():
    return render_template_string(
        '<input name="csrf_token" type="hidden" value="{{ form.csrf_token.current_token }}">'
        '<input name="form_time" type="hidden" value="">',
        form=CommentForm(),
    )


@app.post("/form/comment")
def post():
    form = CommentForm()
    if not form.validate():
        return "", 422
    values = {"author": form.author.data, "email": form.email.data, "body": form.comment.data}
    comment_id = db.session.connection().execute(INSERT, values).inserted_primary_key[0]
    db.session.commit()
    session["my_comments"] = [*session.get("my_comments", []), comment_id][-20:]
    return redirect(f"/form/#comment-{comment_id}", 303)
