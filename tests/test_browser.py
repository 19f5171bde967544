"""End to end in Chromium: the widget, its stream, citations, amount cards, feedback, the advisor
view, embedding on another origin, and text that looks like HTML staying text.

A live uvicorn server runs in a thread with a fake chain (no model). Screenshots land in
test-artifacts/ (gitignored).
"""

from __future__ import annotations

import functools
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.api import CorpusLibrary, create_app
from assistant.config import Settings
from assistant.schemas import ChatRequest, ChatResponse, Citation, Passage
from tests.fakes import PASSAGES, FakeAssistant, FakePassages, FakeSearch

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TOKEN = "conseil-2024"
XSS = "<img src=x onerror=window.__xss=1>"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BrowserAssistant(FakeAssistant):
    """The fake chain, plus a reply made of HTML-looking text when asked about "xss"."""

    def _response(self, req: ChatRequest) -> ChatResponse:
        response = super()._response(req)
        if "xss" in req.message.lower():
            response.answer = f"Voici {XSS} [1]."
            response.citations = [
                Citation(doc_id="cip-bruxelles", chunk_id="cip-bruxelles-xss", title=f"Titre {XSS}", section=XSS, snippet=f"Extrait {XSS}", marker=1)
            ]
            response.calculations = []
        return response


class LiveServer:
    def __init__(self, app: Any, port: int) -> None:
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def partner_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A page on another origin (another port) that embeds the widget with one script tag."""
    root = tmp_path_factory.mktemp("partner")
    port = _free_port()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", root
    httpd.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, partner_site: tuple[str, Path]) -> Iterator[tuple[str, BrowserAssistant]]:
    data = tmp_path_factory.mktemp("live")
    port = _free_port()
    settings = Settings(
        data_dir=data,
        advisor_token=TOKEN,
        rate_limit="1000/minute",
        cors_origins=[f"http://127.0.0.1:{port}", partner_site[0]],
    )
    passages = [*PASSAGES, Passage(chunk_id="cip-bruxelles-xss", doc_id="cip-bruxelles", section=XSS, text=f"Passage {XSS}")]
    fake = BrowserAssistant(delay=0.4)
    app = create_app(settings, assistant=fake, searcher=FakeSearch(passages), library=CorpusLibrary(settings, FakePassages(passages)))
    with LiveServer(app, port) as server:
        yield server.url, fake


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []
    problems: list[str] = []

    def make(width: int = 1280, height: int = 800, expected: tuple[str, ...] = ("status of 4",)) -> Any:
        """A page whose script errors fail the test, but for the HTTP statuses it ``expected``."""
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and not any(e in msg.text for e in expected) else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], problems  # no script error, no CSP violation


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, wait for the finished answer; return the answer's locator."""
    before = page.locator("article.asw-msg--bot").count()
    page.get_by_label("Votre question").fill(question)
    page.get_by_label("Votre question").press("Enter")
    answer = page.locator("article.asw-msg--bot").nth(before)
    answer.locator(".asw-feedback-row").wait_for(timeout=15_000)
    return answer


def test_ask_stream_cite_amount_feedback_advisor(live: tuple[str, BrowserAssistant], page_factory: Any) -> None:
    url, fake = live
    page = page_factory(1280, 800)
    page.goto(url + "/")
    page.get_by_role("button", name="J'ai 18 ans, combien en CIP ?").click()
    answer = page.locator("article.asw-msg--bot").last
    # Streamed: the first sentence shows while the rest is still coming.
    answer.locator(".asw-text").filter(has_text="848,90 €").wait_for(timeout=10_000)
    assert answer.get_attribute("aria-busy") == "true"
    assert answer.locator(".asw-feedback-row").count() == 0
    answer.locator(".asw-feedback-row").wait_for(timeout=15_000)
    assert answer.get_attribute("aria-busy") == "false"
    assert "Demandez la convention à Actiris" in answer.locator(".asw-text").inner_text()

    card = answer.locator(".asw-card")
    assert card.locator(".asw-card-figure").inner_text() == "848,90 €"
    assert "Montant minimum à 18 ans" in card.inner_text()
    # The document's title (not its id), the date in French, and that the amount may be out of date.
    assert "Barème en vigueur depuis le 1er mai 2024" in card.inner_text()
    assert card.get_by_role("link", name="La convention d'immersion professionnelle").get_attribute("href").endswith(
        "/documents/cip-bruxelles")
    assert "Montant ancien : il a pu être indexé depuis." in card.locator(".asw-card-stale").inner_text()

    chip = answer.get_by_role("button", name="[1] La convention d'immersion professionnelle")
    assert chip.get_attribute("aria-expanded") == "false"
    chip.click()
    assert chip.get_attribute("aria-expanded") == "true"
    passage = answer.locator(".asw-passage").first
    assert passage.is_visible()
    assert "848,90 € à 18 ans" in passage.inner_text() and "Quelle est l'indemnité ?" in passage.inner_text()
    link = passage.get_by_role("link", name="Voir le document")
    assert link.get_attribute("href") == f"{url}/documents/cip-bruxelles#cip-bruxelles-0003"
    shot(page, "widget-desktop.png")

    answer.get_by_role("button", name="Réponse pas utile").click()
    answer.get_by_label("Commentaire (facultatif)").fill("Le montant à 19 ans manque")
    answer.get_by_role("button", name="Envoyer l'avis").click()
    answer.get_by_text("Merci pour votre avis.").wait_for()
    assert answer.get_by_role("button", name="Réponse pas utile").get_attribute("aria-pressed") == "true"

    # A follow-up keeps the conversation: the server turns its id into history.
    ask(page, "Et à 19 ans ?")
    assert [t.role for t in fake.requests[-1].history] == ["user", "assistant"]
    assert fake.requests[-1].history[0].content == "J'ai 18 ans, combien en CIP ?"

    # The document view opens on the cited passage.
    doc = page_factory(1280, 800)
    doc.goto(f"{url}/documents/cip-bruxelles#cip-bruxelles-0003")
    target = doc.locator("article#cip-bruxelles-0003")
    target.wait_for()
    assert "is-target" in (target.get_attribute("class") or "")
    assert doc.locator("h1").inner_text() == "La convention d'immersion professionnelle"

    advisor = page_factory(1280, 800)
    advisor.goto(url + "/advisor")
    advisor.get_by_label("Jeton conseiller (ASSISTANT_ADVISOR_TOKEN)").fill("wrong")
    advisor.get_by_role("button", name="Se connecter").click()
    advisor.get_by_text("Jeton conseiller manquant ou invalide.").wait_for()
    advisor.get_by_label("Jeton conseiller (ASSISTANT_ADVISOR_TOKEN)").fill(TOKEN)
    advisor.get_by_role("button", name="Se connecter").click()
    advisor.get_by_label("Avis").select_option("down")
    advisor.get_by_text("Le montant à 19 ans manque").wait_for()
    conversations = advisor.locator("#conv-list article.conv")
    assert conversations.count() == 1
    text = conversations.first.inner_text()
    assert "J'ai 18 ans, combien en CIP ?" in text and "Et à 19 ans ?" in text
    assert "cip-bruxelles" in text and "Montant minimum à 18 ans" in text
    shot(advisor, "advisor-conversations.png")

    advisor.get_by_role("tab", name="Recherche").click()
    advisor.get_by_label("Question").fill("indemnité")
    advisor.get_by_label("Mode").select_option("hybrid")
    advisor.get_by_role("button", name="Chercher").click()
    rows = advisor.locator("#search-results tr")
    rows.first.wait_for()
    assert "dense + bm25" in rows.first.inner_text() and "0.8200" in rows.first.inner_text()
    advisor.get_by_role("tab", name="Documents").click()
    advisor.get_by_role("button", name="Informations générales sur la convention de stage", exact=True).click()
    advisor.locator("#doc-passages").get_by_text("varie selon l'année de formation").wait_for()
    # The dates of the documents and amounts, the stale ones first (the real rates.yaml and sources.yaml).
    advisor.locator("#fresh-table").wait_for()
    first = advisor.locator("#fresh-rows tr").first
    assert "à vérifier" in first.inner_text() and "stale" in (first.get_attribute("class") or "")
    assert "montant cip_indemnity_18" in advisor.locator("#fresh-rows").inner_text()
    assert "élément(s) à vérifier" in advisor.locator("#fresh-status").inner_text()


def test_phone_screen(live: tuple[str, BrowserAssistant], page_factory: Any) -> None:
    url, _ = live
    page = page_factory(390, 844)
    page.goto(url + "/")
    page.get_by_role("button", name="CISP : combien pour 24 h par semaine ?").wait_for()
    answer = ask(page, "J'ai 18 ans, combien en CIP ?")
    answer.get_by_role("button", name="[1] La convention d'immersion professionnelle").click()
    shot(page, "widget-phone.png")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], "horizontal scrolling on a phone"
    box = page.get_by_role("button", name="Envoyer", exact=True).bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390


def test_html_in_answers_and_passages_stays_text(live: tuple[str, BrowserAssistant], page_factory: Any) -> None:
    url, _ = live
    page = page_factory(1280, 800)
    page.goto(url + "/")
    answer = ask(page, "test xss")
    assert XSS in answer.locator(".asw-text").inner_text()
    answer.get_by_role("button", name=f"[1] Titre {XSS}").click()
    assert f"Extrait {XSS}" in answer.locator(".asw-passage").first.inner_text()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => document.querySelector('.asw-host').shadowRoot.querySelectorAll('img').length") == 0

    doc = page_factory(1280, 800)
    doc.goto(f"{url}/documents/cip-bruxelles")
    doc.get_by_text(f"Passage {XSS}").wait_for()
    assert doc.evaluate("() => window.__xss") is None and doc.locator("img").count() == 0

    advisor = page_factory(1280, 800)
    advisor.goto(url + "/advisor")
    advisor.get_by_label("Jeton conseiller (ASSISTANT_ADVISOR_TOKEN)").fill(TOKEN)
    advisor.get_by_role("button", name="Se connecter").click()
    advisor.get_by_text(f"R : Voici {XSS} [1].").first.wait_for()
    advisor.get_by_role("tab", name="Recherche").click()
    advisor.get_by_label("Question").fill("xss")
    advisor.get_by_role("button", name="Chercher").click()
    advisor.get_by_text(f"Passage {XSS}").wait_for()
    advisor.wait_for_timeout(300)
    assert advisor.evaluate("() => window.__xss") is None and advisor.locator("img").count() == 0


def test_embedded_on_a_partner_site(live: tuple[str, BrowserAssistant], partner_site: tuple[str, Path], page_factory: Any) -> None:
    url, _ = live
    partner_url, root = partner_site
    (root / "index.html").write_text(
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Partenaire</title></head>"
        "<body><h1>Site d'un partenaire</h1><p>Contenu du partenaire.</p>"
        f"<script src='{url}/widget.js' data-api='{url}' defer></script></body></html>",
        encoding="utf-8",
    )
    page = page_factory(1280, 800)
    page.goto(partner_url + "/index.html")
    launcher = page.get_by_role("button", name="Une question sur ton stage ?")
    launcher.click()
    assert page.get_by_role("dialog", name="Assistant stages & alternance").is_visible()
    assert not launcher.is_visible()  # the panel takes its place until closed
    assert page.evaluate("() => document.activeElement.tagName") == "DIV"  # focus went into the shadow root
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.tagName") == "TEXTAREA"
    answer = ask(page, "J'ai 18 ans, combien en CIP ?")  # cross-origin fetch: CORS allows the partner
    assert answer.locator(".asw-card-figure").inner_text() == "848,90 €"
    shot(page, "widget-partner-floating.png")
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible()
    assert launcher.is_visible() and launcher.get_attribute("aria-expanded") == "false"
    # The partner page's own styles and DOM are untouched: the widget lives in a shadow root.
    assert page.locator("h1").inner_text() == "Site d'un partenaire"
    assert os.path.exists(ARTIFACTS / "widget-partner-floating.png")


def _stored(url: str) -> set[str]:
    import httpx

    response = httpx.get(f"{url}/api/advisor/conversations", params={"limit": 500}, headers={"Authorization": f"Bearer {TOKEN}"})
    return {c["conversation_id"] for c in response.json()}


def test_erase_from_the_widget_by_keyboard_and_from_the_advisor_view(
    live: tuple[str, BrowserAssistant], partner_site: tuple[str, Path], page_factory: Any
) -> None:
    url, fake = live
    partner_url, root = partner_site
    (root / "erase.html").write_text(
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Partenaire</title></head><body>"
        f"<script src='{url}/widget.js' data-api='{url}' defer></script></body></html>",
        encoding="utf-8",
    )
    page = page_factory(1280, 800)
    page.goto(partner_url + "/erase.html")  # another origin: the DELETE goes through CORS
    page.get_by_role("button", name="Une question sur ton stage ?").click()
    ask(page, "Combien en CIP à 18 ans ?")
    erased = fake.requests[-1].conversation_id
    assert erased in _stored(url)

    new = page.get_by_role("button", name="Nouvelle conversation")
    new.focus()
    page.keyboard.press("Enter")
    assert new.get_attribute("aria-expanded") == "true"
    focused = "() => document.activeElement.shadowRoot.activeElement.textContent"
    assert page.evaluate(focused) == "Effacer cette conversation"
    shot(page, "widget-new-conversation.png")
    page.keyboard.press("Escape")  # closes the choice, not the widget
    assert new.get_attribute("aria-expanded") == "false" and page.get_by_role("dialog").is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # on "Effacer cette conversation"
    page.get_by_text("Conversation effacée de nos serveurs.").wait_for()
    assert erased not in _stored(url)
    assert page.get_by_role("button", name="J'ai 18 ans, combien en CIP ?").is_visible()  # a fresh start

    ask(page, "Et en IFAPME ?")
    kept = fake.requests[-1].conversation_id
    assert kept != erased and not fake.requests[-1].history
    new.click()
    page.get_by_role("button", name="Recommencer sans effacer").click()
    assert kept in _stored(url)

    advisor = page_factory(1280, 800)
    advisor.on("dialog", lambda dialog: dialog.accept())
    advisor.goto(url + "/advisor")
    advisor.get_by_label("Jeton conseiller (ASSISTANT_ADVISOR_TOKEN)").fill(TOKEN)
    advisor.get_by_role("button", name="Se connecter").click()
    advisor.get_by_role("button", name=f"Effacer la conversation {kept}").click()
    advisor.get_by_text(f"Conversation {kept} effacée.").wait_for()
    assert advisor.locator("#conv-list article.conv").filter(has_text=kept).count() == 0
    assert kept not in _stored(url)


# --- waiting for the model: the place in line, and one retry by itself after a 503 ---------------


def test_a_waiting_question_shows_its_place_in_line(live: tuple[str, BrowserAssistant], page_factory: Any) -> None:
    url, fake = live
    first, second = page_factory(1280, 800), page_factory(1280, 800)
    first.goto(url + "/")
    second.goto(url + "/")
    fake.release.clear()  # the first answer holds the only generation slot
    try:
        first.get_by_label("Votre question").fill("Première question")
        first.get_by_label("Votre question").press("Enter")
        deadline = time.monotonic() + 10
        while len(fake.requests) == 0 or fake.requests[-1].message != "Première question":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second.get_by_label("Votre question").fill("Deuxième question")
        second.get_by_label("Votre question").press("Enter")
        waiting = second.locator("article.asw-msg--bot").last.get_by_role("status")
        waiting.filter(has_text="Votre question est 1re dans la file d'attente : réponse dans").wait_for(timeout=10_000)
        shot(second, "widget-queue.png")
    finally:
        fake.release.set()
    answer = second.locator("article.asw-msg--bot").last
    answer.locator(".asw-feedback-row").wait_for(timeout=20_000)
    assert "848,90 €" in answer.locator(".asw-text").inner_text()


def test_a_full_queue_is_retried_once_by_the_widget(tmp_path: Path, page_factory: Any) -> None:
    port = _free_port()
    settings = Settings(data_dir=tmp_path, rate_limit="1000/minute", generation_concurrency=1, generation_queue=0,
                        cors_origins=[f"http://127.0.0.1:{port}"])
    fake = BrowserAssistant()
    app = create_app(settings, assistant=fake, searcher=FakeSearch(PASSAGES), library=CorpusLibrary(settings, FakePassages()))
    with LiveServer(app, port) as server:
        first, second = page_factory(1280, 800), page_factory(1280, 800, ("status of 4", "status of 503"))
        first.goto(server.url + "/")
        second.goto(server.url + "/")
        ask(first, "Une réponse mesurée")  # the wait estimate (and so Retry-After) comes from it: about 1 s
        fake.release.clear()
        try:
            first.get_by_label("Votre question").fill("Elle occupe le seul créneau")
            first.get_by_label("Votre question").press("Enter")
            deadline = time.monotonic() + 10
            while fake.requests[-1].message != "Elle occupe le seul créneau":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            second.get_by_label("Votre question").fill("Et moi ?")
            second.get_by_label("Votre question").press("Enter")
            second.locator("article.asw-msg--bot").last.get_by_role("status").filter(
                has_text="L'assistant est très demandé : nouvel essai dans").wait_for(timeout=10_000)
        finally:
            fake.release.set()
        answer = second.locator("article.asw-msg--bot").last
        answer.locator(".asw-feedback-row").wait_for(timeout=20_000)
        assert "848,90 €" in answer.locator(".asw-text").inner_text()  # the retry was answered
        assert [r.message for r in fake.requests].count("Et moi ?") == 1


# --- the advisor manages the corpus: upload, review, replace, remove -----------------------------


@pytest.fixture(scope="module")
def corpus_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on a copy of the corpus, indexed for real (hashing embedder: no model to load)."""
    from assistant.api.core import store_passages
    from ingest.pipeline import run_ingest
    from tests.ingest_support import copy_corpus, make_settings

    root = tmp_path_factory.mktemp("corpus-live")
    copy_corpus(root)
    settings = make_settings(root, advisor_token=TOKEN, rate_limit="1000/minute", max_file_mb=1.0)
    run_ingest(settings=settings, show_progress=False)
    port = _free_port()
    settings = settings.model_copy(update={"cors_origins": [f"http://127.0.0.1:{port}"]})
    app = create_app(settings, assistant=BrowserAssistant(), searcher=FakeSearch(PASSAGES),
                     library=CorpusLibrary(settings, store_passages(settings)))
    with LiveServer(app, port) as server:
        yield server.url


def test_advisor_uploads_reviews_replaces_and_removes_a_document(corpus_live: str, page_factory: Any) -> None:
    page = page_factory(1280, 900)
    page.goto(corpus_live + "/advisor")
    page.get_by_label("Jeton conseiller (ASSISTANT_ADVISOR_TOKEN)").fill(TOKEN)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("tab", name="Documents").click()
    page.get_by_role("button", name="Informations générales sur la convention de stage", exact=True).wait_for()

    # A corrupt PDF: a French error, nothing added.
    page.get_by_label("Fichier").set_input_files({"name": "casse.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"})
    page.get_by_label("Titre").fill("Brochure cassée")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    page.get_by_role("alert").filter(has_text="PDF endommagé").wait_for()
    assert page.locator("#doc-list li").count() == 5

    # A brochure: checked, indexed with a progress bar, its passages shown for review.
    brochure = "# Le plan Tremplin\n\n## Durée\n\nLe plan Tremplin dure 12 semaines dans une entreprise.\n"
    page.get_by_label("Fichier").set_input_files({"name": "tremplin.md", "mimeType": "text/markdown", "buffer": brochure.encode()})
    page.get_by_label("Titre").fill("Le plan Tremplin")
    page.get_by_label("Éditeur").fill("Commune de X")
    page.get_by_label("Dispositif (nom en clair, sigle entre parenthèses)").fill("Plan Tremplin")
    page.get_by_label("Identifiant (facultatif)").fill("tremplin")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    page.locator("#doc-job").filter(has_text="terminé").wait_for(timeout=30_000)
    assert page.locator("#doc-progress").get_attribute("value") == page.locator("#doc-progress").get_attribute("max")
    page.locator("#doc-passages").get_by_text("dure 12 semaines").wait_for()
    page.get_by_role("button", name="Le plan Tremplin", exact=True).wait_for()
    shot(page, "advisor-upload.png")

    # Replaced by a new version: the form is prefilled, the new text is indexed.
    page.get_by_role("button", name="Remplacer Le plan Tremplin").click()
    assert page.get_by_label("Éditeur").input_value() == "Commune de X"
    page.get_by_label("Fichier").set_input_files(
        {"name": "tremplin.md", "mimeType": "text/markdown", "buffer": brochure.replace("12", "16").encode()})
    page.get_by_role("button", name="Remplacer", exact=True).click()
    page.locator("#doc-job").filter(has_text="Remplacement de « tremplin » : terminé").wait_for(timeout=30_000)
    page.locator("#doc-passages").get_by_text("dure 16 semaines").wait_for()

    # Removed, after a confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retirer Le plan Tremplin").click()
    page.locator("#doc-job").filter(has_text="Retrait de « tremplin » : terminé").wait_for(timeout=30_000)
    page.get_by_role("button", name="Le plan Tremplin", exact=True).wait_for(state="detached")
    assert page.locator("#doc-list li").count() == 5
