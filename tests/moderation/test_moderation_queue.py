"""The moderation queue: tabs, pagination, search, actions, edit, reply, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Article, Comment, CommentStatus, ModerationEvent, Moderator
from blog.moderation.workflow import Action
from tests.helpers import (
    ARTICLE_URL,
    add_comment,
    comments_in_db,
    queue_token,
    soup,
    text_of,
)

P, A, S, T = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)


def entry_ids(page) -> list[int]:
    return [int(li["id"].removeprefix("entry-")) for li in page.select("li.queue-entry")]


def tab_labels(page) -> list[str]:
    return [text_of(a) for a in page.select(".queue-tabs a")]


def test_tabs_show_counts_and_pending_is_the_default(logged_in, app):
    with app.app_context():
        for status, number in ((P, 2), (A, 3), (S, 1)):
            for index in range(number):
                add_comment(status=status, comment=f"{status} {index}")
    page = soup(logged_in.get("/moderation/"))
    assert tab_labels(page) == [
        "In attesa (2)",
        "Approvati (3)",
        "Spam (1)",
        "Cestino (0)",
        "Segnalati",
    ]
    assert text_of(page.select_one('.queue-tabs a[aria-current="page"]')) == "In attesa (2)"
    assert len(entry_ids(page)) == 2
    spam_page = soup(logged_in.get("/moderation/?status=spam"))
    assert len(entry_ids(spam_page)) == 1
    assert logged_in.get("/moderation/?status=boh").status_code == 404


def test_entry_shows_everything_a_moderator_needs(logged_in, app):
    with app.app_context():
        parent = add_comment(
            author="Giulia", comment="Il commento <b>originale</b>, molto &amp; interessante"
        )
        reply = add_comment(
            status=P,
            parent=parent,
            author="Bruno",
            email="bruno@example.it",
            url="https://bruno.example/",
            comment="Sono <b>d'accordo</b>",
            ip_address="203.0.113.9",
            user_agent="Mozilla/5.0 (Prova)",
        )
        reply_id, parent_id = reply.id, parent.id
    page = soup(logged_in.get("/moderation/"))
    entry = page.find("li", id=f"entry-{reply_id}")
    text = text_of(entry)
    for expected in (
        "Bruno",
        "bruno@example.it",
        "https://bruno.example/",
        "203.0.113.9",
        "Mozilla/5.0 (Prova)",
        "Jean-Philippe Imparato ha visitato",
    ):
        assert expected in text, expected
    assert entry.select_one(".entry-body b").get_text() == "d'accordo"
    labels = [text_of(b) for b in entry.select(".entry-actions button")]
    assert labels == ["Approva", "Spam", "Cestina"]
    # The parent's text as readers read it: no markup, no escaped tags.
    in_reply_to = entry.select_one(".in-reply-to")
    assert text_of(in_reply_to) == (
        "In risposta a Giulia : «Il commento originale, molto & interessante»"
    )
    assert "<b>" not in in_reply_to.decode_contents() and "&lt;" not in str(in_reply_to)
    link = in_reply_to.find("a")["href"]
    assert link == f"/moderation/comments/{parent_id}"
    assert logged_in.get(link).headers["Location"].endswith(f"#comment-{parent_id}")


def test_entry_leads_with_author_time_article_and_text(logged_in, app):
    with app.app_context():
        comment_id = add_comment(
            status=P,
            author="Bruno",
            comment="Il testo viene prima dei dettagli",
            ip_address="203.0.113.9",
            user_agent="Mozilla/5.0 (Prova)",
        ).id
    entry = soup(logged_in.get("/moderation/")).find("li", id=f"entry-{comment_id}")
    article = entry.find("article")
    order = [
        child["class"][0] if child.get("class") else child.name
        for child in article.find_all(recursive=False)
    ]
    assert order == ["entry-header", "comment-content", "entry-footer"]
    header = entry.select_one(".entry-header")
    assert [text_of(header.select_one(s)) for s in (".entry-title", ".entry-article")] == [
        "Bruno",
        "Jean-Philippe Imparato ha visitato il Cassino Plant e Pomigliano d’Arco",
    ]
    assert header.find("time")["datetime"]
    # Email, site, IP and browser: one muted line, folded, after the text.
    line = entry.select_one(".entry-footer details.entry-details > summary")
    assert text_of(line) == ("Dettagli: mario.rossi@example.it · 203.0.113.9 · Mozilla/5.0 (Prova)")


@pytest.mark.parametrize(
    ("status", "labels"),
    [
        (P, ["Approva", "Spam", "Cestina"]),
        (A, ["Rimuovi approvazione", "Spam", "Cestina"]),
        (S, ["Non è spam", "Elimina definitivamente"]),
        (T, ["Ripristina", "Elimina definitivamente"]),
    ],
)
def test_each_tab_offers_its_actions_as_post_forms(logged_in, app, status, labels):
    with app.app_context():
        add_comment(status=status)
    page = soup(logged_in.get(f"/moderation/?status={status.value}"))
    forms = page.select(".entry-actions form")
    assert [text_of(f.find("button")) for f in forms] == labels
    for form in forms:
        assert form["method"] == "post"
        assert form.find("input", attrs={"name": "csrf_token"})["value"]
    for link in page.select("main a[href]"):
        path = link["href"].split("?")[0]
        assert not path.endswith(tuple(f"/{a.value}" for a in Action)), "state change on a link"


def test_newest_first_fifty_a_page(logged_in, app):
    with app.app_context():
        ids = [
            add_comment(status=P, comment=f"numero {n}", age=timedelta(minutes=n)).id
            for n in range(60)
        ]
    first = soup(logged_in.get("/moderation/"))
    assert entry_ids(first) == ids[:50]
    assert "pagina 1 di 2" in text_of(first.find(class_="queue-summary"))
    next_link = first.select_one('.pagination a[rel="next"]')
    second = soup(logged_in.get(next_link["href"]))
    assert entry_ids(second) == ids[50:]
    assert soup(logged_in.get("/moderation/?page=99")).select("li.queue-entry") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("turbina", "testo"),
        ("zanardi", "autore"),
        ("speciale@example", "email"),
        ("198.51.100.7", "ip"),
        ("TURBINA", "testo"),
        ("100%", None),
        ("nessuna corrispondenza", None),
    ],
)
def test_search_by_text_author_email_or_ip(logged_in, app, query, expected):
    with app.app_context():
        made = {
            "testo": add_comment(status=P, comment="Parliamo della turbina"),
            "autore": add_comment(status=P, author="Alex Zanardi"),
            "email": add_comment(status=P, email="speciale@example.it"),
            "ip": add_comment(status=P, ip_address="198.51.100.7"),
        }
        add_comment(status=P, comment="altro")
        ids = {key: comment.id for key, comment in made.items()}
    page = soup(logged_in.get("/moderation/", query_string={"q": query}))
    assert entry_ids(page) == ([ids[expected]] if expected else [])
    assert page.find("input", id="q")["value"] == query


def test_action_returns_to_the_same_tab_and_page_with_a_message(logged_in, app):
    with app.app_context():
        ids = [
            add_comment(status=A, comment=f"c{n}", age=timedelta(minutes=n)).id for n in range(55)
        ]
    here = "/moderation/?status=approved&page=2"
    token = queue_token(logged_in, "?status=approved&page=2")
    target = ids[52]
    response = logged_in.post(
        f"/moderation/comments/{target}/trash", data={"csrf_token": token, "next": here}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == here
    page = soup(logged_in.get(here))
    assert "1 commento spostato nel cestino." in text_of(page.find(class_="flashes"))
    with app.app_context():
        assert db.session.get(Comment, target).status == T


def test_action_that_does_not_apply_changes_nothing(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=S).id
    token = queue_token(logged_in)
    response = logged_in.post(
        f"/moderation/comments/{comment_id}/approve", data={"csrf_token": token}
    )
    assert response.status_code == 303
    page = soup(logged_in.get(response.headers["Location"]))
    assert "non si applica" in text_of(page.find(class_="flashes"))
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == S


def test_unknown_action_or_comment_is_404(logged_in, app):
    token = queue_token(logged_in)
    with app.app_context():
        comment_id = add_comment(status=P).id
    assert (
        logged_in.post(
            f"/moderation/comments/{comment_id}/publish", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        logged_in.post(
            "/moderation/comments/999999/approve", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_next_outside_the_site_is_ignored(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    response = logged_in.post(
        f"/moderation/comments/{comment_id}/approve",
        data={"csrf_token": queue_token(logged_in), "next": "//evil.example/"},
    )
    assert response.headers["Location"] == "/moderation/?status=pending"


def test_bulk_action_applies_to_ticked_comments_it_fits(logged_in, app):
    with app.app_context():
        pending = [add_comment(status=P, comment=f"p{n}").id for n in range(3)]
        spam = add_comment(status=S).id
        untouched = add_comment(status=P, comment="resta").id
    response = logged_in.post(
        "/moderation/bulk",
        data={
            "csrf_token": queue_token(logged_in),
            "action": "approve",
            "comment_ids": [*map(str, pending), str(spam)],
            "next": "/moderation/?status=pending",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/?status=pending"
    page = soup(logged_in.get("/moderation/?status=pending"))
    assert "3 commenti approvati." in text_of(page.find(class_="flashes"))
    with app.app_context():
        statuses = {c.id: c.status for c in comments_in_db()}
    assert [statuses[i] for i in pending] == [A, A, A]
    assert statuses[spam] == S and statuses[untouched] == P


def test_bulk_without_selection_or_action_says_so(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    token = queue_token(logged_in)
    response = logged_in.post("/moderation/bulk", data={"csrf_token": token, "action": "approve"})
    assert "Seleziona almeno un commento." in text_of(
        soup(logged_in.get(response.headers["Location"]))
    )
    response = logged_in.post(
        "/moderation/bulk", data={"csrf_token": token, "comment_ids": str(comment_id)}
    )
    assert "Scegli un'azione." in text_of(soup(logged_in.get(response.headers["Location"])))
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == P


def test_queue_offers_bulk_actions_of_the_tab(logged_in, app):
    with app.app_context():
        add_comment(status=T)
    page = soup(logged_in.get("/moderation/?status=trash"))
    options = [o["value"] for o in page.select("#bulk-action option") if o["value"]]
    assert options == ["restore", "delete"]
    checkbox = page.select_one('input[name="comment_ids"]')
    assert checkbox["form"] == "bulk-form"


def test_edit_resanitizes_and_is_audited(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=A, author="Vecchio nome").id
    page = soup(logged_in.get(f"/moderation/comments/{comment_id}/edit"))
    form = page.find("form", class_="comment-form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    data.update(
        comment="Testo <script>alert(1)</script>corretto\n\nwww.example.it",
        author="Nuovo nome",
        url="https://nuovo.example/",
    )
    response = logged_in.post(f"/moderation/comments/{comment_id}/edit", data=data)
    assert response.status_code == 303
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.author == "Nuovo nome" and comment.url == "https://nuovo.example/"
        assert comment.body_html == (
            '<p>Testo corretto</p>\n<p><a href="http://www.example.it" '
            'rel="nofollow ugc noopener">www.example.it</a></p>'
        )
        assert [e.action for e in comment.events] == ["edit"]
    article = soup(logged_in.get(ARTICLE_URL))
    assert "Nuovo nome" in text_of(article.find("li", id=f"comment-{comment_id}"))


def test_edit_with_errors_keeps_the_text(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    token = queue_token(logged_in)
    response = logged_in.post(
        f"/moderation/comments/{comment_id}/edit",
        data={"csrf_token": token, "comment": "nuovo testo", "author": "", "url": "ftp://x"},
    )
    assert response.status_code == 422
    page = soup(response)
    assert page.find("textarea", id="comment").get_text().strip() == "nuovo testo"
    assert "Inserisci il tuo nome." in text_of(page)
    with app.app_context():
        assert db.session.get(Comment, comment_id).body != "nuovo testo"


def test_reply_from_the_queue_is_published_as_the_moderator(logged_in, app):
    with app.app_context():
        parent_id = add_comment(status=P, author="Lettore").id
    response = logged_in.post(
        f"/moderation/comments/{parent_id}/reply",
        data={"csrf_token": queue_token(logged_in), "comment": "Grazie del commento!"},
    )
    assert response.status_code == 303
    with app.app_context():
        parent = db.session.get(Comment, parent_id)
        assert parent.status == A, "replying approves the comment replied to"
        answer = db.session.scalar(sa.select(Comment).where(Comment.parent_id == parent_id))
        assert answer.status == A
        assert answer.author == "Anna la moderatrice"
        assert answer.moderator_id is not None
        answer_id = answer.id
    reader = app.test_client()
    page = soup(reader.get(ARTICLE_URL))
    item = page.select_one(f"li#comment-{parent_id} > ol.children > li#comment-{answer_id}")
    assert "Anna la moderatrice" in text_of(item) and "Grazie del commento!" in text_of(item)


def test_reply_to_spam_is_refused(logged_in, app):
    with app.app_context():
        parent_id = add_comment(status=S).id
    logged_in.post(
        f"/moderation/comments/{parent_id}/reply",
        data={"csrf_token": queue_token(logged_in), "comment": "No"},
    )
    with app.app_context():
        assert len(comments_in_db()) == 1


def test_audit_trail_is_shown_on_the_entry(logged_in, app):
    with app.app_context():
        comment_id = add_comment(status=P).id
    token = queue_token(logged_in)
    logged_in.post(f"/moderation/comments/{comment_id}/approve", data={"csrf_token": token})
    logged_in.post(f"/moderation/comments/{comment_id}/spam", data={"csrf_token": token})
    page = soup(logged_in.get("/moderation/?status=spam"))
    history = [text_of(li) for li in page.select(f"#entry-{comment_id} .entry-history li")]
    assert len(history) == 2
    assert history[0].startswith("Approvato da Anna la moderatrice il ")
    assert history[0].endswith("(in attesa → approvato)")
    assert history[1].startswith("Segnato come spam da Anna la moderatrice")
    assert history[1].endswith("(approvato → spam)")
    with app.app_context():
        events = db.session.scalars(sa.select(ModerationEvent)).all()
        assert [(e.from_status, e.to_status) for e in events] == [
            ("pending", "approved"),
            ("approved", "spam"),
        ]


def test_pending_count_is_in_the_header_of_every_page(logged_in, app):
    with app.app_context():
        for n in range(4):
            add_comment(status=P, comment=f"attesa {n}")
    for path in ("/", ARTICLE_URL, "/moderation/?status=trash"):
        badge = soup(logged_in.get(path)).select_one(".moderator-nav .pending-badge")
        assert text_of(badge) == "4 in attesa", path


def test_readers_do_not_see_the_moderators_header(client, app):
    assert soup(client.get("/")).select_one(".moderator-nav") is None


def test_search_follows_edits_deletions_and_erasure(logged_in, app):
    """The index is kept by triggers: what the queue finds is what is stored now."""
    from blog.moderation.workflow import edit_comment
    from blog.privacy.personal_data import erase

    with app.app_context():
        moderator = db.session.scalar(sa.select(Moderator))
        edited = add_comment(status=P, comment="Parola vecchia")
        erased = add_comment(status=P, comment="Sparirà presto", email="via@example.it")
        edit_comment(
            edited, body="Parola nuovissima", author=edited.author, url="", moderator=moderator
        )
        db.session.commit()
        edited_id, erased_id = edited.id, erased.id
        erase("via@example.it")
        db.session.commit()

    def found(query):
        return entry_ids(soup(logged_in.get("/moderation/", query_string={"q": query})))

    assert found("vecchia") == []
    assert found("nuovissima") == [edited_id]
    assert found("via@example") == []  # the email was erased
    assert found("Sparirà") == [erased_id]  # the text stays, anonymised


def test_a_deleted_comments_text_is_not_found_under_a_reused_id(logged_in, app):
    """SQLite may give the next comment the id of the last one deleted."""
    from blog.moderation.workflow import apply_action

    with app.app_context():
        last = add_comment(status=T, comment="Cancellato per sempre")
        last_id = last.id
        apply_action(last, Action.DELETE)
        db.session.commit()
        newer = add_comment(status=P, comment="Un testo diverso")
        newer_id = newer.id
    page = soup(logged_in.get("/moderation/", query_string={"q": "per sempre"}))
    assert entry_ids(page) == [], (last_id, newer_id)


@pytest.mark.parametrize("query", ['"', "'", "%", "_", "a\"b'c", "NEAR(", "*", "AND OR"])
def test_search_takes_any_characters(logged_in, app, query):
    with app.app_context():
        add_comment(status=P, comment="niente di speciale")
    response = logged_in.get("/moderation/", query_string={"q": query})
    assert response.status_code == 200
    assert entry_ids(soup(response)) == []


def test_queue_search_uses_the_index(app):
    from blog.moderation.views import queue_query

    with app.app_context():
        statement = queue_query(CommentStatus.PENDING, "turbina")
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled)).all()
                assert any("VIRTUAL TABLE INDEX" in str(row[-1]) for row in plan), plan
            else:
                indexes = (
                    connection.exec_driver_sql(
                        "SELECT indexname FROM pg_indexes WHERE tablename = 'comment'"
                    )
                    .scalars()
                    .all()
                )
                assert {"ix_comment_body_trgm", "ix_comment_email_trgm"} <= set(indexes)


def test_a_search_matching_thousands_counts_up_to_a_thousand(logged_in, app):
    with app.app_context():
        article_id = db.session.scalar(sa.select(Article.id))
        db.session.execute(
            sa.insert(Comment),
            [
                {
                    "article_id": article_id,
                    "author": f"Autore {n}",
                    "email": f"a{n}@example.it",
                    "url": "",
                    "body": f"Parliamo dello Stelvio, numero {n}",
                    "body_html": f"<p>Parliamo dello Stelvio, numero {n}</p>",
                    "status": "pending",
                }
                for n in range(1020)
            ],
        )
        db.session.commit()
    page = soup(logged_in.get("/moderation/", query_string={"q": "stelvio"}))
    summary = text_of(page.find(class_="queue-summary"))
    assert summary.startswith("Oltre 1.000 commenti per «stelvio»"), summary
    assert "pagina 1 di 21" in summary
    assert len(entry_ids(page)) == 50
    newest = text_of(page.select_one("li.queue-entry .entry-body"))
    assert newest == "Parliamo dello Stelvio, numero 1019"
    exact = soup(logged_in.get("/moderation/", query_string={"q": "numero 101"}))
    # 101, 1010…1019: an exact count under the cap.
    assert text_of(exact.find(class_="queue-summary")).startswith("11 commenti per «numero 101»")


# Built for triage


def test_select_all_works_without_javascript(logged_in, app):
    with app.app_context():
        ids = [add_comment(status=P, comment=f"c{n}").id for n in range(3)]
    page = soup(logged_in.get("/moderation/"))
    form = page.find("button", id="select-all").find_parent("form")
    assert form["method"] == "get"
    assert page.select('input[name="comment_ids"][checked]') == []
    query = {field["name"]: field["value"] for field in form.find_all("input")}
    query["seleziona"] = page.find("button", id="select-all")["value"]
    ticked = soup(logged_in.get(form["action"], query_string=query))
    boxes = ticked.select('input[name="comment_ids"]')
    assert sorted(int(box["value"]) for box in boxes if box.has_attr("checked")) == sorted(ids)
    assert all(box["form"] == "bulk-form" for box in boxes)
    assert text_of(ticked.find("button", id="select-all")) == "Deseleziona tutti"


def test_the_queue_filters_by_article(logged_in, app):
    from datetime import datetime

    with app.app_context():
        other = Article(
            slug="un-altro-articolo",
            title="Un altro articolo",
            body_html="<p>Testo</p>",
            published_at=datetime(2026, 1, 1),
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
        here = add_comment(status=P, comment="sul primo").id
        there = add_comment(status=P, comment="sul secondo")
        there.article_id = other_id
        db.session.commit()
        there_id = there.id
        add_comment(status=A, comment="approvato sul primo")
    page = soup(logged_in.get("/moderation/"))
    options = {text_of(o): o["value"] for o in page.select("select#article option")}
    assert options["Tutti gli articoli"] == "" and options["Un altro articolo"] == str(other_id)
    assert set(entry_ids(page)) == {here, there_id}
    filtered = soup(logged_in.get(f"/moderation/?status=pending&article={other_id}"))
    assert entry_ids(filtered) == [there_id]
    assert filtered.select_one("select#article option[selected]")["value"] == str(other_id)
    assert tab_labels(filtered) == [
        "In attesa (1)",
        "Approvati (0)",
        "Spam (0)",
        "Cestino (0)",
        "Segnalati",
    ]
    tab = filtered.select_one(".queue-tabs a")["href"]
    assert f"article={other_id}" in tab
    assert entry_ids(soup(logged_in.get("/moderation/?article=nessuno"))) == entry_ids(page)


def test_filter_reasons_are_badges(logged_in, app, commenter):
    from blog.moderation.workflow import Event, record_event

    with app.app_context():
        comment = add_comment(status=P)
        record_event(comment, Event.FILTER, None, None, P, note="3 link; parola da moderare «x»")
        spam = add_comment(status=S, comment="trappola")
        record_event(spam, Event.FILTER, None, None, S, note="campo trappola compilato")
        db.session.commit()
        comment_id, spam_id = comment.id, spam.id
    badges = soup(logged_in.get("/moderation/")).select(f"#entry-{comment_id} .badge-reason")
    assert [text_of(b) for b in badges] == [
        "Trattenuto: 3 link",
        "Trattenuto: parola da moderare «x»",
    ]
    badges = soup(logged_in.get("/moderation/?status=spam")).select(f"#entry-{spam_id} .badge")
    assert [text_of(b) for b in badges] == ["Nello spam: campo trappola compilato"]


@pytest.mark.parametrize(("count", "summary"), [(1, "1 commento,"), (2, "2 commenti,")])
def test_counts_agree_with_their_nouns(logged_in, app, count, summary):
    with app.app_context():
        for n in range(count):
            add_comment(status=P, comment=f"c{n}")
    page = soup(logged_in.get("/moderation/"))
    assert text_of(page.find(class_="queue-summary")).startswith(summary)


def test_an_action_returns_to_the_comment_that_followed(logged_in, app):
    with app.app_context():
        ids = [
            add_comment(status=P, comment=f"c{n}", age=timedelta(minutes=n)).id for n in range(3)
        ]
    page = soup(logged_in.get("/moderation/"))
    form = page.select_one(f"#entry-{ids[0]} form:has(button.action-approve)")
    data = {field["name"]: field["value"] for field in form.find_all("input")}
    assert data["next"] == f"/moderation/?status=pending#entry-{ids[1]}"
    response = logged_in.post(form["action"], data=data)
    assert response.headers["Location"] == f"/moderation/?status=pending#entry-{ids[1]}"
    last = page.select_one(f"#entry-{ids[2]} form:has(button.action-approve)")
    assert last.find("input", attrs={"name": "next"})["value"] == "/moderation/?status=pending"
