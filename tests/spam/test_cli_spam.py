"""``flask spam-train``, ``spam-stats`` and ``spam-reset``, and the mail they read."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, SpamLabel, SpamToken
from blog.moderation.workflow import Action, apply_action
from blog.spam import bayes, bayes_store, corpus
from blog.spam.bayes_store import TOTALS
from tests.helpers import add_comment

FIXTURES = Path(__file__).parents[1] / "fixtures" / "spam"
MBOX = FIXTURES / "spam.mbox"
MAILDIR = FIXTURES / "maildir"
NOTE = FIXTURES / "note.txt"


def counts() -> dict[str, tuple[int, int]]:
    return {
        token: (spam, ham)
        for token, spam, ham in db.session.execute(
            sa.select(SpamToken.token, SpamToken.spam_count, SpamToken.ham_count)
        )
    }


# Reading mail


def test_an_mbox_gives_each_message_with_name_address_subject_text_and_links():
    first, second, third = corpus.messages_in(MBOX)
    assert first.name == "Farmacia Online" and first.email == "offerte@pills.example"
    # The encoded subject decoded; the HTML body as text, without style or script.
    assert first.text.startswith("Pillole economiche per te\n")
    assert "Compra pillole economiche, spedizione gratis!" in first.text
    assert "tracking" not in first.text and "color" not in first.text
    assert first.links == ["https://shop.pills.example/ordina?id=42"]
    # Quoted-printable Latin-1 and an HTML alternative: both read, links from both.
    assert "Casinò online: bonus gratis" in second.text
    assert second.links == ["http://casino.example/bonus", "http://casino.example/bonus"]
    assert third.name == "" and third.text.startswith("Prestiti veloci senza garanzie\n")


def test_a_maildir_a_plain_text_file_and_a_folder():
    assert sorted(m.name for m in corpus.messages_in(MAILDIR)) == [
        "Giulia Bianchi",
        "Paolo Verdi",
    ]
    (note,) = corpus.messages_in(NOTE)
    assert note.name == "" and note.text.startswith("Un commento legittimo")
    assert len(list(corpus.messages_in(FIXTURES))) == 6


def test_a_text_that_is_not_a_mail_is_read_whole():
    found = corpus.parse_file("Nota: questo non è un messaggio\nma testo".encode())
    assert found.text == "Nota: questo non è un messaggio\nma testo"


# spam-train


def test_spam_train_learns_an_mbox_as_spam(app, runner):
    result = runner.invoke(args=["spam-train", str(MBOX), "--spam"])
    assert result.exit_code == 0, result.output
    assert "Messaggi appresi come spam: 3." in result.output
    assert "Il filtro ha imparato da 3 messaggi di spam e 0 non spam." in result.output
    with app.app_context():
        learned = counts()
    assert learned[TOTALS] == (3, 0)
    assert learned["gratis"] == (3, 0)  # once a message, in all three
    assert learned["host:shop.pills.example"] == (1, 0)
    assert learned["name:farmacia"] == (1, 0)
    assert learned["email:casino.example"] == (1, 0)
    assert "tracking" not in learned


def test_spam_train_learns_a_maildir_and_text_files_as_ham(app, runner):
    assert runner.invoke(args=["spam-train", str(MAILDIR), "--ham"]).exit_code == 0
    result = runner.invoke(args=["spam-train", str(NOTE), "--ham"])
    assert result.exit_code == 0, result.output
    assert "Messaggi appresi come non spam: 1." in result.output
    with app.app_context():
        learned = counts()
    assert learned[TOTALS] == (0, 3)
    assert learned["articolo"] == (0, 2)
    assert learned["sindacati"] == (0, 1)


def nested_mail(depth: int) -> bytes:
    """A mail whose parts nest ``depth`` deep, each multipart holding the next."""
    head = "From: x@example.com\nSubject: nido\nMIME-Version: 1.0\n"
    body = "Content-Type: text/plain\n\ntesto in fondo\n"
    for level in range(depth):
        boundary = f"b{level}"
        body = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
            f"--{boundary}\n{body}--{boundary}--\n"
        )
    return (head + body).encode()


def test_spam_train_skips_a_message_nested_thousands_deep_and_trains_the_rest(
    app, runner, tmp_path
):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "deep.eml").write_bytes(nested_mail(5000))
    (folder / "ok.eml").write_bytes(
        b"From: a@example.com\nSubject: offerta\n\nsconto pillole gratis\n"
    )
    result = runner.invoke(args=["spam-train", str(folder), "--spam"])
    assert result.exit_code == 0, result.output
    assert "Messaggi appresi come spam: 1." in result.output
    assert "1 messaggio illeggibile saltato." in result.output
    with app.app_context():
        assert counts()["pillole"] == (1, 0)


def test_a_message_nested_deeper_than_read_keeps_its_outer_text():
    found = corpus.parse_file(nested_mail(120))
    assert found.text.startswith("nido")


def test_spam_train_wants_to_be_told_which_kind(app, runner):
    result = runner.invoke(args=["spam-train", str(MBOX)])
    assert result.exit_code == 2
    assert "Indica se i messaggi sono spam (--spam) o no (--ham)." in result.output
    with app.app_context():
        assert counts() == {}


def test_spam_train_refuses_a_missing_path(runner):
    assert runner.invoke(args=["spam-train", "/nessuno/qui", "--spam"]).exit_code == 2


# spam-stats


def test_spam_stats_prints_totals_and_the_telling_tokens(app, runner):
    runner.invoke(args=["spam-train", str(MBOX), "--spam"])
    runner.invoke(args=["spam-train", str(MAILDIR), "--ham"])
    result = runner.invoke(args=["spam-stats", "--top", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Il filtro ha imparato da 3 messaggi di spam e 2 non spam."
    assert lines[1].startswith("Termini conosciuti: ")
    assert lines[2] == (
        "Finché non avrà visto 20 decisioni di ciascun tipo dà solo un punteggio, "
        "senza spostare commenti."
    )
    spam_at = lines.index("Termini che indicano più spesso spam:")
    ham_at = lines.index("Termini che indicano più spesso un commento legittimo:")
    # (s·x + 3) / (s + 3) with s = 0.45, x = 0.5
    assert lines[spam_at + 1].split() == ["0,935", "gratis", "(spam", "3,", "non", "spam", "0)"]
    assert len(lines[spam_at + 1 : ham_at - 1]) == 3
    assert "articolo" in lines[ham_at + 1]
    assert "(spam 0, non spam 2)" in lines[ham_at + 1]


def test_spam_stats_says_when_the_filter_acts(app_config, runner, app):
    with app.app_context():
        bayes_store.train([bayes.Message("uno")] * 20, SpamLabel.SPAM)
        bayes_store.train([bayes.Message("due")] * 20, SpamLabel.HAM)
        db.session.commit()
    output = runner.invoke(args=["spam-stats"]).output
    assert "Ha visto almeno 20 decisioni di ciascun tipo" in output


def test_spam_stats_of_an_untaught_filter(runner):
    result = runner.invoke(args=["spam-stats"])
    assert result.exit_code == 0
    assert "Il filtro ha imparato da 0 messaggi di spam e 0 non spam." in result.output
    assert "Termini conosciuti: 0." in result.output
    assert "Termini che indicano" not in result.output


# spam-reset


@pytest.fixture
def taught(app, runner):
    runner.invoke(args=["spam-train", str(MBOX), "--spam"])
    with app.app_context():
        comment = add_comment(status=CommentStatus.PENDING, comment="un commento da approvare")
        apply_action(comment, Action.APPROVE)
        db.session.commit()
        return comment.id


def test_spam_reset_asks_first(app, runner, taught):
    result = runner.invoke(args=["spam-reset"], input="n\n")
    assert result.exit_code == 1
    assert "(3 messaggi di spam, 1 non spam). Continuare?" in result.output
    with app.app_context():
        assert counts()[TOTALS] == (3, 1)


@pytest.mark.parametrize("args", [["spam-reset", "--yes"], ["spam-reset"]])
def test_spam_reset_forgets_everything(app, runner, taught, args):
    result = runner.invoke(args=args, input="y\n")
    assert result.exit_code == 0, result.output
    assert "Il filtro ha dimenticato tutto:" in result.output
    with app.app_context():
        assert counts() == {}
        # Forgotten: a later decision on the comment teaches it afresh.
        assert db.session.get(Comment, taught).spam_trained is None
        apply_action(db.session.get_one(Comment, taught), Action.SPAM)
        db.session.commit()
        assert counts()[TOTALS] == (1, 0)
