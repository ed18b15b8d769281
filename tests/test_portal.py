"""The built-in customer portal on SQLite and PostgreSQL: sign-in links (same answer for everyone,
one use, expiry, rate limit), sessions, who sees which document, the preference; and the HTTP
side's safety (CSRF, same origin, 404 for what is not yours, headers, cookies, escaping,
language) against the real app on loopback."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bot.portal.web import SESSION_COOKIE, accepted_locale, csrf_token
from domain.errors import InvalidInput, NotAllowed
from domain.messages import CATALOG
from domain.models import (
    Contact,
    Occupancy,
    Organisation,
    PortalDocument,
    PortalLogin,
    PortalSession,
    Preference,
    RecipientGroup,
)
from domain.services import portal, release
from domain.services.portal import PortalPolicy, token_hash
from tests.factories import add_contact, estate
from tests.portal_support import released_letter, serve_app

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
LOGIN_URL = "https://portal.example/portal/login"
POLICY = PortalPolicy(login_minutes=30, session_hours=12, links_per_window=3, window_minutes=15)
LINK = re.compile(r"https://portal\.example/portal/login/([A-Za-z0-9_-]+)")


@pytest.fixture
def found(session: Session, organisation: Organisation):
    return estate(session, organisation)


@pytest.fixture
def owners_letter(session, ports, clerk, found):
    return released_letter(session, ports, clerk, found)


def mails(home: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted((home / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime)]


def token_from(message: email.message.EmailMessage) -> str:
    found = LINK.search(message.get_body(("plain",)).get_content())
    assert found, message.get_content()
    return found.group(1)


def signed_in(session: Session, ports, address: str, now: datetime = NOW) -> portal.SignedIn:
    before = len(ports.mailer.sent)
    assert portal.request_sign_in(session, ports.mailer, address, LOGIN_URL, now, POLICY) == 1
    path = ports.mailer.sent[before]
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    return portal.sign_in(session, token_from(message), now, POLICY)


def titles(session: Session, contact: Contact, today: date = TODAY) -> list[tuple[str, str]]:
    return [(doc.unit_label, doc.title) for doc in portal.visible_documents(session, contact, today)]


# --- sign-in links ------------------------------------------------------------------------------


def test_a_known_address_gets_a_one_time_link_and_only_its_hash_is_stored(session, ports, found, home) -> None:
    sent = portal.request_sign_in(session, ports.mailer, "  Clara@Example.AT ", LOGIN_URL, NOW, POLICY, locale="de")
    assert sent == 1
    (message,) = mails(home)
    assert str(message["To"]) == "Clara Groß <clara@example.at>"
    assert message["Subject"] == "Ihr Anmeldelink für das Kundenportal"
    body = message.get_body(("plain",)).get_content()
    assert "Guten Tag Clara Groß" in body and "02.03.2026 09:30 UTC" in body and "nur einmal" in body
    token = token_from(message)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    (login,) = session.exec(select(PortalLogin)).all()
    assert login.token_sha256 == token_hash(token) and token not in login.token_sha256
    assert login.expires_at == NOW + timedelta(minutes=30)


def test_the_email_follows_the_language_the_contact_used(session, ports, found, home) -> None:
    portal.request_sign_in(session, ports.mailer, "anna@example.de", LOGIN_URL, NOW, POLICY, locale="en")
    (message,) = mails(home)
    assert message["Subject"] == "Your sign-in link for the customer portal"
    assert "2026-03-02 09:30 UTC" in message.get_body(("plain",)).get_content()


def test_unknown_and_malformed_addresses_send_nothing(session, ports, found, home) -> None:
    for address in ("nobody@example.de", "", "anna", "emil(at)example.de"):
        assert portal.request_sign_in(session, ports.mailer, address, LOGIN_URL, NOW, POLICY) == 0
    assert mails(home) == [] and session.exec(select(PortalLogin)).all() == []


def test_links_per_address_are_rate_limited(session, ports, found) -> None:
    sent = [portal.request_sign_in(session, ports.mailer, "anna@example.de", LOGIN_URL, NOW + timedelta(minutes=i), POLICY)
            for i in range(5)]
    assert sent == [1, 1, 1, 0, 0]
    later = NOW + timedelta(minutes=20)  # the window moved past the first ones
    assert portal.request_sign_in(session, ports.mailer, "ANNA@example.de", LOGIN_URL, later, POLICY) == 1


def test_requests_per_client_are_limited_whatever_the_address(session, ports, organisation, found) -> None:
    for n in range(30):
        add_contact(session, organisation, f"R{n}", f"Rita {n}", email=f"rita{n}@example.de")
    session.commit()
    sent = [portal.request_sign_in(session, ports.mailer, f"rita{n}@example.de", LOGIN_URL, NOW, POLICY,
                                   client="203.0.113.7") for n in range(30)]
    assert sum(sent) == POLICY.requests_per_client == 10
    assert portal.request_sign_in(session, ports.mailer, "rita29@example.de", LOGIN_URL, NOW, POLICY,
                                  client="198.51.100.1") == 1  # another client is not held back


def test_racing_requests_for_one_address_send_no_more_than_the_limit(engine, ports, found) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def ask(_: int) -> int:
        with Session(engine) as own:
            return portal.request_sign_in(own, ports.mailer, "anna@example.de", LOGIN_URL, NOW, POLICY, client="x")

    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(ask, range(24)))
    assert sum(sent) == POLICY.links_per_window
    with Session(engine) as fresh:
        assert len(fresh.exec(select(PortalLogin)).all()) == POLICY.links_per_window


@pytest.mark.parametrize(("trusted", "expected"), [([], {"127.0.0.1"}), (["127.0.0.1"], {"10.0.0.1", "10.0.0.2"})])
def test_the_client_is_the_peer_unless_a_trusted_proxy_names_it(engine, home, found, trusted, expected) -> None:
    from domain.models import RateCount

    with serve_app(engine, home, trusted_proxies=trusted) as served:
        with httpx.Client(base_url=served.url, headers={"Origin": served.url}) as client:
            for n in (1, 2):
                client.post("/portal/sign-in", data={"email": f"niemand{n}@example.de"},
                            headers={"X-Forwarded-For": f"10.0.0.{n}"})
        def clients() -> set[str]:
            with Session(engine) as fresh:
                keys = fresh.exec(select(RateCount.key)).all()
            return {key.removeprefix("sign-in client ") for key in keys if key.startswith("sign-in client ")}

        deadline = time.monotonic() + 10  # the link is sent after the answer
        while clients() != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert clients() == expected


def test_an_address_shared_by_two_contacts_signs_each_in_on_their_own(session, ports, organisation, found) -> None:
    other = Organisation(name="Andere Verwaltung")
    session.add(other)
    session.commit()
    twin = add_contact(session, other, "X1", "Anna Schäfer (andere HV)", email="anna@example.de")
    session.commit()
    assert portal.request_sign_in(session, ports.mailer, "anna@example.de", LOGIN_URL, NOW, POLICY) == 2
    contacts = {login.contact_id for login in session.exec(select(PortalLogin))}
    assert contacts == {found.contacts["anna"].id, twin.id}


def test_a_link_works_once_and_registers_the_contact(session, ports, found) -> None:
    clara = found.contacts["clara"]
    assert not clara.portal_registered
    portal.request_sign_in(session, ports.mailer, "clara@example.at", LOGIN_URL, NOW, POLICY)
    token = token_from(email.message_from_bytes(ports.mailer.sent[0].read_bytes(), policy=policy.default))
    assert portal.link_usable(session, token, NOW)
    first = portal.sign_in(session, token, NOW + timedelta(minutes=1), POLICY)
    assert first.contact.id == clara.id and session.get(Contact, clara.id).portal_registered
    assert first.expires_at == NOW + timedelta(minutes=1, hours=12)
    assert not portal.link_usable(session, token, NOW)
    with pytest.raises(NotAllowed) as refused:
        portal.sign_in(session, token, NOW + timedelta(minutes=2), POLICY)
    assert "schon benutzt" in refused.value.render("de")
    (stored,) = session.exec(select(PortalSession)).all()
    assert stored.token_sha256 == token_hash(first.token)


def test_a_link_expires_and_a_made_up_token_fails_alike(session, ports, found) -> None:
    portal.request_sign_in(session, ports.mailer, "bernd@example.de", LOGIN_URL, NOW, POLICY)
    token = token_from(email.message_from_bytes(ports.mailer.sent[0].read_bytes(), policy=policy.default))
    with pytest.raises(NotAllowed):
        portal.sign_in(session, token, NOW + timedelta(minutes=30), POLICY)
    with pytest.raises(NotAllowed):
        portal.sign_in(session, "x" * 43, NOW, POLICY)


def test_sessions_expire_and_sign_out_ends_them(session, ports, found) -> None:
    first = signed_in(session, ports, "anna@example.de")
    assert portal.viewer(session, first.token, NOW + timedelta(hours=11)).contact.name == "Anna Schäfer"
    assert portal.viewer(session, first.token, NOW + timedelta(hours=12)) is None
    assert portal.viewer(session, "not-a-session", NOW) is None and portal.viewer(session, None, NOW) is None
    second = signed_in(session, ports, "anna@example.de")
    assert portal.sign_out(session, second.token, NOW)
    assert portal.viewer(session, second.token, NOW) is None
    assert not portal.sign_out(session, second.token, NOW)


def test_signing_in_again_ends_the_session_the_browser_had(session, ports, found) -> None:
    """No session fixation: whatever cookie the browser brought is replaced, not reused."""
    old = signed_in(session, ports, "anna@example.de")
    portal.request_sign_in(session, ports.mailer, "anna@example.de", LOGIN_URL, NOW, POLICY)
    token = token_from(email.message_from_bytes(ports.mailer.sent[-1].read_bytes(), policy=policy.default))
    new = portal.sign_in(session, token, NOW, POLICY, replacing=old.token)
    assert new.token != old.token
    assert portal.viewer(session, old.token, NOW) is None and portal.viewer(session, new.token, NOW) is not None


# --- who sees what ------------------------------------------------------------------------------


def test_each_contact_sees_the_documents_of_the_units_they_hold(session, found, owners_letter) -> None:
    c = found.contacts
    statement, invitation = "Abrechnung 2025 – Hausgeldabrechnung", "Einladung.pdf"
    assert titles(session, c["anna"]) == [("WE 01", statement), ("WE 01", invitation),
                                          ("WE 02", statement), ("WE 02", invitation)]
    assert titles(session, c["bernd"]) == titles(session, c["clara"]) == [("WE 03", statement), ("WE 03", invitation)]
    assert titles(session, c["dora"]) == [("WE 04", statement), ("WE 04", invitation)]
    assert titles(session, c["emil"]) == []  # a tenant: the owners' statement is not for him
    first = portal.visible_documents(session, c["anna"], TODAY)[0]
    assert (first.property_name, first.property_place, first.serial_title) == (
        "WEG Lindenhof", "Lindenstraße 12, 10115 Berlin", "Abrechnung 2025")


def test_a_former_tenant_sees_nothing_a_leaving_one_until_the_day(session, ports, clerk, found) -> None:
    released_letter(session, ports, clerk, found, "Hausordnung", RecipientGroup.BOTH)
    emil = found.contacts["emil"]
    assert [label for label, _ in titles(session, emil)] == ["WE 01", "WE 01"]
    tenancy = session.exec(select(Occupancy).where(Occupancy.contact_id == emil.id)).one()
    tenancy.ended_on = TODAY + timedelta(days=1)
    session.add(tenancy)
    session.commit()
    assert len(titles(session, emil)) == 2
    for ended in (TODAY, TODAY - timedelta(days=30)):
        tenancy.ended_on = ended
        session.add(tenancy)
        session.commit()
        assert titles(session, emil) == []
    we01 = session.exec(select(PortalDocument).where(PortalDocument.unit_id == found.units["WE 01"].id)).first()
    assert portal.document_for(session, emil, we01.public_id, TODAY) is None
    assert portal.document_for(session, found.contacts["anna"], we01.public_id, TODAY).id == we01.id


def test_another_units_or_organisations_document_is_never_found(session, found, owners_letter) -> None:
    c = found.contacts
    we03 = session.exec(select(PortalDocument).where(PortalDocument.unit_id == found.units["WE 03"].id)).first()
    assert portal.document_for(session, c["clara"], we03.public_id, TODAY) is not None
    assert portal.document_for(session, c["anna"], we03.public_id, TODAY) is None
    assert portal.document_for(session, c["anna"], "made-up-id", TODAY) is None
    other = Organisation(name="Andere Verwaltung")
    session.add(other)
    session.commit()
    stranger = add_contact(session, other, "K3", "Clara Groß", email="clara@example.at")
    session.add(Occupancy(unit_id=found.units["WE 03"].id, contact_id=stranger.id))  # a bad import, say
    session.commit()
    assert portal.document_for(session, stranger, we03.public_id, TODAY) is None
    assert titles(session, stranger) == []


def test_unrelease_and_delete_take_documents_away_at_once(session, ports, clerk, admin, found, owners_letter) -> None:
    anna = found.contacts["anna"]
    release.unrelease_unit(session, ports, clerk, owners_letter.id, found.units["WE 01"].id)
    assert {label for label, _ in titles(session, anna)} == {"WE 02"}
    release.delete_serial_letter(session, ports, admin, owners_letter.id)
    assert titles(session, anna) == [] and titles(session, found.contacts["clara"]) == []


def test_the_contact_sets_the_preference(session, found) -> None:
    anna = found.contacts["anna"]
    assert portal.set_preference(session, anna.id, "letter") is Preference.LETTER
    session.expire_all()
    assert session.get(Contact, anna.id).preference is Preference.LETTER
    with pytest.raises(InvalidInput):
        portal.set_preference(session, anna.id, "fax")


def test_every_portal_text_used_exists_in_both_languages() -> None:
    root = Path(__file__).parent.parent
    used = set()
    for path in [*(root / "bot" / "portal").glob("*.py"), root / "domain" / "services" / "portal.py"]:
        used |= set(re.findall(r'"(portal\.[a-z_.]+)"', path.read_text("utf-8")))
    used |= {f"portal.nav.{name}" for name in ("documents", "preference")}
    used |= {f"portal.preference.{p.value}" for p in Preference}
    assert len(used) > 30
    assert sorted(key for key in used if set(CATALOG.get(key, {})) < {"de", "en"}) == []


def test_accept_language_picks_the_best_of_ours() -> None:
    assert accepted_locale("") == "de"
    assert accepted_locale("en-GB,en;q=0.9") == "en"
    assert accepted_locale("fr-FR, en;q=0.5, de;q=0.8") == "de"
    assert accepted_locale("de;q=0, en;q=0.1") == "en"
    assert accepted_locale("en;q=0.8, de;q=0.8") == "en"  # a tie: the first named


# --- the HTTP side ------------------------------------------------------------------------------


@pytest.fixture
def app(engine, home, found, owners_letter):
    with serve_app(engine, home) as served:
        yield served


@contextmanager
def http_session(session: Session, served, address: str) -> Iterator[tuple[httpx.Client, str]]:
    """An HTTP client holding a session cookie for `address`, and that session's token."""
    portal.request_sign_in(session, served.wiring.mailer, address, f"{served.portal}/login", datetime.now(UTC))
    path = served.wiring.mailer.sent[-1]
    token = re.search(r"/portal/login/([A-Za-z0-9_-]+)", email.message_from_bytes(
        path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()).group(1)
    with httpx.Client(base_url=served.url, headers={"Origin": served.url}) as client:
        answer = client.post("/portal/login", data={"token": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/portal/documents"
        yield client, answer.cookies[SESSION_COOKIE]


def test_pages_carry_safe_headers_and_the_cookie_is_http_only(session, app) -> None:
    with http_session(session, app, "anna@example.de") as (client, _):
        page = client.get("/portal/documents")
        assert page.status_code == 200 and '<html lang="de">' in page.text
        for header, value in {"x-frame-options": "DENY", "referrer-policy": "same-origin", "cache-control": "no-store",
                              "x-content-type-options": "nosniff"}.items():
            assert page.headers[header] == value
        assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
        assert "<script" not in page.text
        doc = re.search(r'href="(/portal/d/[^"]+)"', page.text).group(1)
        pdf = client.get(doc)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-disposition"].startswith("attachment;")
        assert pdf.headers["cache-control"] == "no-store"
    login = httpx.Client(base_url=app.url, headers={"Origin": app.url})
    portal.request_sign_in(session, app.wiring.mailer, "bernd@example.de", f"{app.portal}/login", datetime.now(UTC))
    raw = email.message_from_bytes(app.wiring.mailer.sent[-1].read_bytes(), policy=policy.default)
    bernd_token = re.search(r"/portal/login/([A-Za-z0-9_-]+)", raw.get_body(("plain",)).get_content()).group(1)
    cookie = login.post("/portal/login", data={"token": bernd_token}).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/portal" in cookie
    assert "secure" not in cookie  # plain http on loopback; set when the public URL is https
    login.close()


def test_someone_elses_document_and_a_made_up_one_look_the_same(session, app, found) -> None:
    we03 = session.exec(select(PortalDocument).where(PortalDocument.unit_id == found.units["WE 03"].id)).first()
    with http_session(session, app, "anna@example.de") as (client, _):
        theirs, made_up = client.get(f"/portal/d/{we03.public_id}"), client.get("/portal/d/AAAAAAAAAAAAAAAAAAAAAAAA")
        assert theirs.status_code == made_up.status_code == 404
        assert theirs.text == made_up.text and "Nicht gefunden" in theirs.text
    anonymous = httpx.get(f"{app.url}/portal/d/{we03.public_id}")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/portal/"


def test_forms_need_the_sessions_csrf_token_and_our_origin(session, app, found) -> None:
    with http_session(session, app, "anna@example.de") as (client, token):
        assert client.post("/portal/preference", data={"preference": "letter"}).status_code == 400
        assert client.post("/portal/preference", data={"preference": "letter", "csrf": csrf_token("other")}).status_code == 400
        foreign = client.post("/portal/preference", data={"preference": "letter", "csrf": csrf_token(token)},
                              headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 400
        assert client.post("/portal/sign-out", data={"csrf": "nope"}).status_code == 400
        session.expire_all()
        assert session.get(Contact, found.contacts["anna"].id).preference is Preference.ONLINE
        saved = client.post("/portal/preference", data={"preference": "letter", "csrf": csrf_token(token)})
        assert saved.status_code == 303 and saved.headers["location"] == "/portal/preference?saved=1"
        session.expire_all()
        assert session.get(Contact, found.contacts["anna"].id).preference is Preference.LETTER
        assert client.post("/portal/sign-out", data={"csrf": csrf_token(token)}).status_code == 303
        assert client.get("/portal/documents").status_code == 303


def test_asking_for_a_link_answers_the_same_for_everyone(app) -> None:
    with httpx.Client(base_url=app.url, headers={"Origin": app.url}) as client:
        known = client.post("/portal/sign-in", data={"email": "anna@example.de"})
        unknown = client.post("/portal/sign-in", data={"email": "niemand@example.de"})
        assert (known.status_code, known.headers["location"]) == (unknown.status_code, unknown.headers["location"])
        assert known.headers["location"] == "/portal/check-email"
        assert client.post("/portal/sign-in", data={"email": "kein-at-zeichen"}).status_code == 400
        bad_link = client.get("/portal/login/abcdefabcdefabcdefabcdefabcdefabcdefabcdef12")
        assert bad_link.status_code == 400 and "ungültig" in bad_link.text


def test_english_by_query_or_browser_and_names_are_escaped(session, app, found) -> None:
    anna = session.get(Contact, found.contacts["anna"].id)
    anna.name = 'Anna <script>alert("x")</script>'
    session.add(anna)
    session.commit()
    with http_session(session, app, "anna@example.de") as (client, _):
        english = client.get("/portal/documents?lang=en")
        assert '<html lang="en">' in english.text and "Your documents" in english.text
        assert "<script>" not in english.text and "&lt;script&gt;" in english.text
        assert '<html lang="en">' in client.get("/portal/documents").text  # remembered
    by_browser = httpx.get(f"{app.url}/portal/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in by_browser.text and "Sign in" in by_browser.text
    assert '<html lang="de">' in httpx.get(f"{app.url}/portal/").text


def test_a_later_owner_does_not_see_letters_written_to_the_one_before(session, ports, clerk, organisation) -> None:
    """Documents carry the addressee's name and address: only recipients of that serial letter
    for that unit see them, even when someone else holds the unit now."""
    from datetime import date

    from domain.models import Contact, Occupancy, PortalDocument, Relation
    from domain.services import documents, intake, portal, release
    from domain.split import ByMarker
    from tests.factories import batch_for, estate

    found = estate(session, organisation)
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"])
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "b.pdf", batch_for(found), ByMarker())
    release.release(session, ports, clerk, serial.id, notify=False)
    newcomer = Contact(organisation_id=organisation.id, external_id="K9", name="Nina Neu", street="Weg 1",
                       postcode="10115", city="Berlin", email="nina@example.de", portal_registered=True)
    session.add(newcomer)
    session.flush()
    session.add(Occupancy(unit_id=found.units["WE 04"].id, contact_id=newcomer.id, relation=Relation.OWNER))
    session.commit()
    today = date.today()
    assert portal.visible_documents(session, newcomer, today) == []
    dora = portal.visible_documents(session, found.contacts["dora"], today)
    assert [doc.unit_label for doc in dora] == ["WE 04"]
    hidden = session.exec(select(PortalDocument).where(PortalDocument.unit_id == found.units["WE 04"].id)).first()
    assert portal.document_for(session, newcomer, hidden.public_id, today) is None
