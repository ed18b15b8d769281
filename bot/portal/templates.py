"""The portal's pages as small functions returning HTML. Every value that comes from a person or
the database goes through `esc`; the words come from the message catalog (`portal.*`).

Accessible without script: a `lang` attribute, a skip link, one `h1` per page and headings below
it, labels tied to their inputs, fieldsets for choices, status messages in `role="status"`,
errors tied to their field with `aria-describedby`, and a visible focus ring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.messages import render
from domain.models import Preference
from domain.services.portal import VisibleDocument, grouped

DATE_FORMATS = {"de": "%d.%m.%Y", "en": "%Y-%m-%d"}


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def say(locale: str, key: str, **facts: object) -> str:
    """A catalog text, escaped for HTML (facts included)."""
    return esc(render(key, locale, **facts))


@dataclass(frozen=True)
class Nav:
    """What the header shows to a signed-in contact."""

    organisation: str
    csrf: str
    current: str  # "documents" | "preference"


def layout(locale: str, base: str, title: str, main: str, nav: Nav | None = None) -> str:
    other = "en" if locale == "de" else "de"
    brand = esc(nav.organisation) if nav else say(locale, "portal.name")
    return f"""<!DOCTYPE html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{title} – {say(locale, "portal.name")}</title>
<link rel="stylesheet" href="{base}/portal.css">
</head>
<body>
<a class="skip" href="#main">{say(locale, "portal.skip_link")}</a>
<header class="top">
<p class="brand">{brand}</p>
{_navigation(locale, base, nav) if nav else ""}
<p class="language"><a href="?lang={other}" lang="{other}" hreflang="{other}">{say(locale, "portal.other_language")}</a></p>
</header>
<main id="main" tabindex="-1">
{main}
</main>
</body>
</html>
"""


def _navigation(locale: str, base: str, nav: Nav) -> str:
    def item(name: str, href: str) -> str:
        current = ' aria-current="page"' if nav.current == name else ""
        return f'<li><a href="{base}{href}"{current}>{say(locale, f"portal.nav.{name}")}</a></li>'

    return f"""<nav aria-label="{say(locale, "portal.nav_label")}">
<ul>{item("documents", "/documents")}{item("preference", "/preference")}</ul>
</nav>
<form class="sign-out" method="post" action="{base}/sign-out">
<input type="hidden" name="csrf" value="{esc(nav.csrf)}">
<button type="submit">{say(locale, "portal.sign_out")}</button>
</form>"""


def _status(text: str) -> str:
    return f'<p class="status" role="status">{text}</p>' if text else ""


def sign_in_page(locale: str, base: str, *, error: str = "", email: str = "", notice: str = "") -> str:
    """The email form; `error` is already escaped catalog text."""
    invalid = ' aria-invalid="true" aria-describedby="email-error"' if error else ""
    error_html = f'<p class="error" id="email-error">{error}</p>' if error else ""
    main = f"""<h1>{say(locale, "portal.sign_in.heading")}</h1>
{_status(notice)}
<p>{say(locale, "portal.sign_in.intro")}</p>
<form method="post" action="{base}/sign-in" novalidate>
<input type="hidden" name="lang" value="{locale}">
<div class="field">
<label for="email">{say(locale, "portal.sign_in.email")}</label>
{error_html}
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" required maxlength="254" value="{esc(email)}"{invalid}>
</div>
<button type="submit">{say(locale, "portal.sign_in.submit")}</button>
</form>"""
    return layout(locale, base, say(locale, "portal.sign_in.heading"), main)


def check_email_page(locale: str, base: str, minutes: float) -> str:
    main = f"""<h1>{say(locale, "portal.check_email.heading")}</h1>
<p role="status">{say(locale, "portal.check_email.body", minutes=f"{minutes:g}")}</p>
<p>{say(locale, "portal.check_email.retry")}</p>
<p><a href="{base}/">{say(locale, "portal.check_email.again")}</a></p>"""
    return layout(locale, base, say(locale, "portal.check_email.heading"), main)


def confirm_page(locale: str, base: str, token: str) -> str:
    """A button, not an automatic sign-in: link scanners in mail systems open links, but do not
    press buttons, so they cannot use up the link before its owner does."""
    main = f"""<h1>{say(locale, "portal.confirm.heading")}</h1>
<p>{say(locale, "portal.confirm.body")}</p>
<form method="post" action="{base}/login">
<input type="hidden" name="token" value="{esc(token)}">
<button type="submit">{say(locale, "portal.confirm.submit")}</button>
</form>"""
    return layout(locale, base, say(locale, "portal.confirm.heading"), main)


def documents_page(locale: str, base: str, nav: Nav, name: str, documents: list[VisibleDocument]) -> str:
    if documents:
        body = "\n".join(_property(locale, base, index, prop, units)
                         for index, (prop, units) in enumerate(grouped(documents), start=1))
    else:
        body = f'<p class="empty">{say(locale, "portal.documents.none")}</p>'
    main = f"""<h1>{say(locale, "portal.documents.heading")}</h1>
<p>{say(locale, "portal.documents.signed_in_as", name=name)}</p>
{body}"""
    return layout(locale, base, say(locale, "portal.documents.heading"), main, nav)


def _property(locale: str, base: str, index: int, prop: tuple[str, str],
              units: list[tuple[str, list[VisibleDocument]]]) -> str:
    name, place = prop
    place_html = f' <span class="place">{esc(place)}</span>' if place else ""
    sections = "\n".join(_unit(locale, base, f"p{index}-u{number}", label, docs)
                         for number, (label, docs) in enumerate(units, start=1))
    return f"""<section class="property" aria-labelledby="p{index}">
<h2 id="p{index}">{esc(name)}{place_html}</h2>
{sections}
</section>"""


def _unit(locale: str, base: str, anchor: str, label: str, docs: list[VisibleDocument]) -> str:
    items = "\n".join(_document(locale, base, doc) for doc in docs)
    return f"""<section class="unit" aria-labelledby="{anchor}">
<h3 id="{anchor}">{say(locale, "portal.documents.unit", unit=label)}</h3>
<ul class="documents">
{items}
</ul>
</section>"""


def _document(locale: str, base: str, doc: VisibleDocument) -> str:
    published = say(locale, "portal.documents.published", date=local_date(doc.published_at, locale))
    return (f'<li><a href="{base}/d/{esc(doc.public_id)}">{say(locale, "portal.documents.link", title=doc.title)}</a>'
            f' <span class="meta">{esc(doc.serial_title)} · {published}</span></li>')


def local_date(moment: datetime, locale: str) -> str:
    """The day in Germany, where the contacts' property managers are."""
    try:
        moment = moment.astimezone(ZoneInfo("Europe/Berlin"))
    except ZoneInfoNotFoundError:
        pass
    return moment.strftime(DATE_FORMATS.get(locale, DATE_FORMATS["de"]))


def preference_page(locale: str, base: str, nav: Nav, current: Preference, *, saved: bool = False,
                    error: bool = False) -> str:
    def option(value: Preference) -> str:
        checked = " checked" if value is current else ""
        return (f'<div class="choice"><input type="radio" id="preference-{value.value}" name="preference" '
                f'value="{value.value}"{checked}{described}> <label for="preference-{value.value}">'
                f'{say(locale, f"portal.preference.{value.value}")}</label></div>')

    described = ' aria-describedby="preference-error"' if error else ""
    error_html = f'<p class="error" id="preference-error">{say(locale, "portal.preference.invalid")}</p>' if error else ""
    main = f"""<h1>{say(locale, "portal.preference.heading")}</h1>
{_status(say(locale, "portal.preference.saved") if saved else "")}
<form method="post" action="{base}/preference">
<input type="hidden" name="csrf" value="{esc(nav.csrf)}">
<fieldset>
<legend>{say(locale, "portal.preference.legend")}</legend>
{error_html}
{option(Preference.ONLINE)}
{option(Preference.LETTER)}
</fieldset>
<button type="submit">{say(locale, "portal.preference.submit")}</button>
</form>"""
    return layout(locale, base, say(locale, "portal.preference.heading"), main, nav)


def not_found_page(locale: str, base: str, nav: Nav | None) -> str:
    """The same page whether the thing does not exist or is someone else's."""
    back = (f'<a href="{base}/documents">{say(locale, "portal.back_to_documents")}</a>' if nav
            else f'<a href="{base}/">{say(locale, "portal.back_to_sign_in")}</a>')
    main = f"""<h1>{say(locale, "portal.not_found.heading")}</h1>
<p>{say(locale, "portal.not_found.body")}</p>
<p>{back}</p>"""
    return layout(locale, base, say(locale, "portal.not_found.heading"), main, nav)


def bad_request_page(locale: str, base: str) -> str:
    main = f"""<h1>{say(locale, "portal.bad_request.heading")}</h1>
<p>{say(locale, "portal.bad_request.body")}</p>
<p><a href="{base}/">{say(locale, "portal.back_to_sign_in")}</a></p>"""
    return layout(locale, base, say(locale, "portal.bad_request.heading"), main)


STYLESHEET = """
:root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --accent: #0b4f8a; --line: #c8c8c8; }
* { box-sizing: border-box; }
body { margin: 0; font: 1.0625rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem 1rem; }
.skip:focus { left: 1rem; }
.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); }
.brand { font-weight: 600; margin: 0 auto 0 0; }
.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.top p, .top form { margin: 0; }
[aria-current="page"] { font-weight: 600; text-decoration-thickness: 3px; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
main:focus { outline: none; }
h1 { font-size: 1.75rem; margin-top: 0; }
h2 { font-size: 1.375rem; margin-top: 2rem; }
h2 .place { display: block; font-size: 1rem; font-weight: normal; color: var(--muted); }
h3 { font-size: 1.125rem; }
a { color: var(--accent); }
.documents { padding-left: 1.25rem; }
.documents li { margin-bottom: .5rem; }
.meta { display: block; color: var(--muted); font-size: .9375rem; }
.field { margin: 1rem 0; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.choice { display: flex; gap: .5rem; align-items: baseline; margin: .5rem 0; }
.choice label { display: inline; font-weight: normal; }
input[type=email] { width: 100%; max-width: 26rem; padding: .5rem; font: inherit; border: 2px solid var(--muted); border-radius: 4px; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 1rem 0; }
legend { font-weight: 600; padding: 0 .25rem; }
button { font: inherit; padding: .5rem 1rem; border: 2px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
.sign-out button { background: #fff; color: var(--accent); padding: .25rem .75rem; }
.error { color: #a4000f; font-weight: 600; }
.status { border-left: 4px solid var(--accent); padding: .5rem 1rem; background: #eef4fa; }
:focus-visible { outline: 3px solid #e37400; outline-offset: 2px; }
"""
