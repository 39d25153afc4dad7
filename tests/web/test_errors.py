"""Bad requests get a proper Italian page, never a 500."""

from __future__ import annotations

import pytest

from tests.helpers import ARTICLE_URL, POST_URL, VALID_COMMENT, comments_in_db, soup, text_of


def test_oversized_request_gets_a_413_page(client, commenter, app):
    fields = commenter.open_form()
    huge = "x" * (300 * 1024)
    response = client.post(POST_URL, data={**fields, **VALID_COMMENT, "comment": huge})
    assert response.status_code == 413
    page = soup(response)
    assert page.html["lang"] == "it"
    assert "Richiesta troppo grande" in text_of(page)
    with app.app_context():
        assert comments_in_db() == []


def test_malformed_multipart_form_gets_a_400_page(client, app):
    client.get(ARTICLE_URL)
    response = client.post(
        POST_URL,
        data=b'--xx\r\nContent-Disposition: form-data; name="comment"\r\n\r\nno end',
        content_type="multipart/form-data; boundary=xx",
    )
    assert response.status_code == 400
    assert "Richiesta non valida" in text_of(soup(response))
    with app.app_context():
        assert comments_in_db() == []


@pytest.mark.parametrize(
    "body",
    [b"comment=ciao&author=%FF%FE", b"comment=\xff\xfe&author=x", b"comment=%C3%28"],
    ids=["percent-encoded", "raw bytes", "truncated sequence"],
)
def test_invalid_utf8_gets_a_400_page(client, app, body):
    client.get(ARTICLE_URL)
    response = client.post(POST_URL, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Richiesta non valida" in text_of(soup(response))
    with app.app_context():
        assert comments_in_db() == []


def test_wrong_method_gets_an_italian_405(client):
    response = client.get(POST_URL)
    assert response.status_code == 405
    assert "Metodo non consentito" in text_of(soup(response))


def test_unexpected_error_gets_a_500_page_without_traceback(app, client):
    @app.get("/guasto-di-prova")
    def broken():
        raise RuntimeError("segreto interno")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/guasto-di-prova")
    assert response.status_code == 500
    text = text_of(soup(response))
    assert "Errore del server" in text
    assert "segreto interno" not in text and "Traceback" not in text
