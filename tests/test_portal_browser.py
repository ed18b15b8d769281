"""The customer portal in a real headless Chromium (Debian's), driven over WebDriver against the
app as `briefwerk serve` builds it, served by uvicorn on 127.0.0.1: sign-in with the link from
the email, documents per unit, a co-owner, a former tenant, a copied link, unrelease, preference
and sign-out, all without JavaScript."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bot.portal.web import SESSION_COOKIE
from domain.models import Contact, Occupancy, PortalDocument, Preference, RecipientGroup
from domain.services import release
from tests.conftest import empty_tables
from tests.factories import estate
from tests.portal_support import Served, free_port, released_letter, serve_app, sign_in_link
from tests.webdriver import Browser, ChromeDriver, missing_browser

pytestmark = pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))


@pytest.fixture
def engine(sqlite_engine):
    """SQLite only here: the use cases run on both databases in test_portal.py; this file is
    about what a person sees in the browser, and keeps to its time budget."""
    empty_tables(sqlite_engine)
    return sqlite_engine


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    with ChromeDriver(free_port(), tmp_path_factory.mktemp("chromedriver") / "chromedriver.log") as running:
        yield running


@pytest.fixture
def found(session, organisation):
    return estate(session, organisation)


@pytest.fixture
def serial(session, ports, clerk, found):
    return released_letter(session, ports, clerk, found)


@pytest.fixture
def app(engine, home, serial) -> Served:
    with serve_app(engine, home) as served:
        yield served


@pytest.fixture
def open_browser(driver: ChromeDriver, tmp_path: Path):
    """Browsers with fresh profiles, closed after the test."""
    opened: list[Browser] = []

    def new(name: str = "a") -> Browser:
        browser = driver.browser(tmp_path / f"profile-{name}", tmp_path / f"downloads-{name}")
        opened.append(browser)
        return browser

    yield new
    for browser in opened:
        browser.quit()


def sign_in(browser: Browser, app: Served, address: str) -> None:
    """As a person does it: the form, the email, the link, the button."""
    browser.get(f"{app.portal}/")
    assert browser.attribute(browser.find("html"), "lang") == "de"
    assert browser.attribute(browser.find("label[for=email]"), "for") == "email"
    browser.type("#email", address)
    browser.submit("main form button[type=submit]")
    assert browser.url == f"{app.portal}/check-email", browser.source
    assert "Bitte prüfen Sie Ihr Postfach" in browser.text("h1")
    browser.get(sign_in_link(app.mail, address))
    assert browser.text("h1") == "Anmeldung bestätigen"
    browser.submit("main form button[type=submit]")
    assert browser.url == f"{app.portal}/documents", browser.text()


def units_shown(browser: Browser) -> list[str]:
    return [browser.element_text(element) for element in browser.find_all("section.unit h3")]


def document_links(browser: Browser) -> list[tuple[str, str]]:
    """(text, URL) of every document link on the page, in order."""
    return [(browser.element_text(link), browser.property(link, "href")) for link in browser.find_all("ul.documents a")]


def wait_for_file(folder: Path, timeout: float = 10) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [path for path in folder.glob("*") if not path.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.05)
    raise AssertionError(f"no download arrived in {folder}")


def public_ids(session: Session, unit_id: int) -> list[str]:
    return [doc.public_id for doc in session.exec(select(PortalDocument).where(PortalDocument.unit_id == unit_id))]


def test_an_owner_signs_in_downloads_and_loses_what_is_withdrawn(session, ports, clerk, found, serial, app,
                                                                  open_browser, tmp_path) -> None:
    anna = open_browser("anna")
    sign_in(anna, app, "anna@example.de")
    assert anna.attribute(anna.find("html"), "lang") == "de"
    assert anna.text("h1") == "Ihre Dokumente" and "Angemeldet als Anna Schäfer." in anna.text("main")
    assert anna.text("section.property h2").startswith("WEG Lindenhof")
    assert units_shown(anna) == ["Einheit WE 01", "Einheit WE 02"]
    links = document_links(anna)
    assert [text for text, _ in links] == ["Abrechnung 2025 – Hausgeldabrechnung (PDF herunterladen)",
                                           "Einladung.pdf (PDF herunterladen)"] * 2
    assert anna.attribute(anna.find("nav a[aria-current=page]"), "href").endswith("/portal/documents")
    cookie = next(c for c in anna.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/portal"

    # download: the PDF as released
    we01 = found.units["WE 01"].id
    statement = session.exec(select(PortalDocument).where(PortalDocument.unit_id == we01)).first()
    anna.get(f"{app.portal}/d/{statement.public_id}")
    downloaded = wait_for_file(tmp_path / "downloads-anna")
    assert downloaded.read_bytes() == ports.files.read(statement.path)

    # the link copied into another browser (no session) leads to the sign-in page, not the file
    stranger = open_browser("stranger")
    stranger.get(f"{app.portal}/d/{statement.public_id}")
    assert stranger.url == f"{app.portal}/" and stranger.text("h1") == "Anmelden"
    assert list((tmp_path / "downloads-stranger").glob("*")) == []

    # unrelease WE 01: gone from the list at once, and its link answers 404
    release.unrelease_unit(session, ports, clerk, serial.id, we01)
    anna.get(f"{app.portal}/documents")
    assert units_shown(anna) == ["Einheit WE 02"]
    anna.get(f"{app.portal}/d/{statement.public_id}")
    assert anna.text("h1") == "Nicht gefunden"

    # preference: a form without script, and the choice persists
    anna.get(f"{app.portal}/preference")
    assert anna.property(anna.find("#preference-online"), "checked") is True
    assert anna.text("legend") == "Wie möchten Sie neue Dokumente erhalten?"
    anna.click("label[for=preference-letter]")
    anna.submit("main form button[type=submit]")
    assert anna.text("[role=status]") == "Ihre Einstellung ist gespeichert."
    session.expire_all()
    assert session.get(Contact, found.contacts["anna"].id).preference is Preference.LETTER
    anna.get(f"{app.portal}/preference")
    assert anna.property(anna.find("#preference-letter"), "checked") is True

    # sign-out: the session ends on the server, so even a copy of the cookie opens nothing
    we02_link = document_links_after(anna, app)[0]
    anna.submit("form.sign-out button")
    assert anna.text("[role=status]") == "Sie sind abgemeldet."
    anna.get(we02_link)
    assert anna.url == f"{app.portal}/"
    replay = httpx.get(we02_link, cookies={SESSION_COOKIE: cookie["value"]})
    assert replay.status_code == 303 and replay.headers["location"] == "/portal/"


def document_links_after(browser: Browser, app: Served) -> list[str]:
    browser.get(f"{app.portal}/documents")
    return [url for _, url in document_links(browser)]


def test_a_co_owner_sees_the_units_documents_and_becomes_registered(session, found, app, open_browser) -> None:
    clara = found.contacts["clara"]
    assert not clara.portal_registered
    browser = open_browser("clara")
    sign_in(browser, app, "clara@example.at")
    assert units_shown(browser) == ["Einheit WE 03"]
    assert [text for text, _ in document_links(browser)] == [
        "Abrechnung 2025 – Hausgeldabrechnung (PDF herunterladen)", "Einladung.pdf (PDF herunterladen)"]
    session.expire_all()
    assert session.get(Contact, clara.id).portal_registered  # signing in is registering
    we01 = public_ids(session, found.units["WE 01"].id)[0]
    browser.get(f"{app.portal}/d/{we01}")
    assert browser.text("h1") == "Nicht gefunden"  # another unit's document: not found, not "forbidden"


def test_a_former_tenant_sees_none_of_the_units_documents(session, ports, clerk, found, app, open_browser) -> None:
    released_letter(session, ports, clerk, found, "Hausordnung", RecipientGroup.BOTH)  # tenants too
    emil = session.get(Contact, found.contacts["emil"].id)
    emil.email = "emil@example.de"
    tenancy = session.exec(select(Occupancy).where(Occupancy.contact_id == emil.id)).one()
    tenancy.ended_on = date.today() - timedelta(days=1)
    session.add_all([emil, tenancy])
    session.commit()
    browser = open_browser("emil")
    sign_in(browser, app, "emil@example.de")
    assert units_shown(browser) == [] and document_links(browser) == []
    assert browser.text("p.empty") == "Zurzeit liegen keine Dokumente für Sie bereit."
    for public_id in public_ids(session, found.units["WE 01"].id):
        browser.get(f"{app.portal}/d/{public_id}")
        assert browser.text("h1") == "Nicht gefunden", public_id
    tenancy.ended_on = None  # had he not moved out (control): he would see the tenants' letter
    session.add(tenancy)
    session.commit()
    browser.get(f"{app.portal}/documents")
    assert units_shown(browser) == ["Einheit WE 01"] and len(document_links(browser)) == 2


def test_english_on_request_and_keyboard_focus_is_visible(app, open_browser) -> None:
    browser = open_browser("en")
    browser.get(f"{app.portal}/?lang=en")
    assert browser.attribute(browser.find("html"), "lang") == "en" and browser.text("h1") == "Sign in"
    browser.get(f"{app.portal}/")  # remembered
    assert browser.attribute(browser.find("html"), "lang") == "en"
    browser.submit("a[hreflang=de]")
    assert browser.attribute(browser.find("html"), "lang") == "de"
    assert browser.attribute(browser.find("a.skip"), "href").endswith("#main")
    outline = browser.script("const input = document.getElementById('email'); input.focus();"
                             "const style = getComputedStyle(input); return [style.outlineStyle, style.outlineWidth];")
    assert outline == ["solid", "3px"]  # the focus ring a keyboard user sees
