"""The `briefwerk` command line: the demo, the app and its workers, and the intake for scripts and
cron (master data, new serial letters). Every refusal is one line on stderr and exit code 2."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.settings import Settings
from bot.wiring import Wiring
from domain.messages import CATALOG, render

if TYPE_CHECKING:  # the commands import what they need when they run
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlmodel import Session

    from bot.slack.app import SlackDeps
    from bot.slack.socket_mode import SocketLink
    from domain.actors import Actor
    from domain.models import Organisation

app = typer.Typer(help="briefwerk: serial letters from generated to portal and mailbox.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
serial_letters = typer.Typer(help="Serial letters: create one with its documents, list them, show one's split report.",
                             no_args_is_help=True)
properties = typer.Typer(help="Properties imported from the ERP.", no_args_is_help=True)
organisations_cli = typer.Typer(help="Organisations (one per Slack workspace).", no_args_is_help=True)
api_keys = typer.Typer(help="API keys for ERPs that push to the intake API (/api/v1).", no_args_is_help=True)
app.add_typer(serial_letters, name="serial-letter")
app.add_typer(api_keys, name="api-key")
app.add_typer(properties, name="property")
app.add_typer(organisations_cli, name="org")

WORDS: dict[str, dict[str, str]] = {
    "error": {"de": "Fehler: {text}", "en": "Error: {text}"},
    "unexpected": {
        "de": "Unerwarteter Fehler ({kind}): {text}. Mit BRIEFWERK_DEBUG=1 erscheinen die Einzelheiten.",
        "en": "Unexpected error ({kind}): {text}. Set BRIEFWERK_DEBUG=1 for the details.",
    },
    "database": {
        "de": "Die Datenbank ist nicht erreichbar ({url}): {text}",
        "en": "The database cannot be reached ({url}): {text}",
    },
    "no_file": {"de": "{path}: Datei nicht gefunden.", "en": "{path}: file not found."},
    "unreadable_file": {"de": "{path}: lässt sich nicht lesen ({text}).", "en": "{path}: cannot be read ({text})."},
    "imported": {
        "de": "{file}: {rows} Zeilen in „{org}“ importiert – neu: {created}, geändert: {updated}, beendete Zuordnungen: {ended}",
        "en": "{file}: {rows} rows imported into “{org}” – new: {created}, changed: {updated}, links ended: {ended}",
    },
    "preview": {
        "de": "{file}: Vorschau für „{org}“ ({rows} Zeilen, nichts gespeichert) – neu: {created}, geändert: {updated}, beendete Zuordnungen: {ended}",
        "en": "{file}: preview for “{org}” ({rows} rows, nothing stored) – new: {created}, changed: {updated}, links ended: {ended}",
    },
    "rejected": {
        "de": "{file}: nichts importiert, abgelehnte Zeilen: {count}",
        "en": "{file}: nothing imported, rows rejected: {count}",
    },
    "counts": {
        "de": "{properties:Liegenschaft|Liegenschaften}, {units:Einheit|Einheiten}, {contacts:Kontakt|Kontakte}, {links:Zuordnung|Zuordnungen}",
        "en": "{properties:property|properties}, {units:unit|units}, {contacts:contact|contacts}, {links:link|links}",
    },
    "created": {
        "de": "Serienbrief Nr. {id} „{title}“ angelegt ({property}, {units:Einheit|Einheiten}).",
        "en": "Serial letter no. {id} “{title}” created ({property}, {units:unit|units}).",
    },
    "warning": {"de": "Hinweis: {text}", "en": "Note: {text}"},
    "one_rule": {
        "de": "Bitte nur eine Aufteilungsregel angeben: --marker, --pages-per-unit oder --ranges.",
        "en": "Please give one split rule only: --marker, --pages-per-unit or --ranges.",
    },
    "bad_ranges": {
        "de": "--ranges erwartet JSON wie '{{\"WE 01\": \"1-3\", \"WE 02\": \"4-5\"}}': {text}",
        "en": "--ranges expects JSON such as '{{\"WE 01\": \"1-3\", \"WE 02\": \"4-5\"}}': {text}",
    },
    "bad_type": {
        "de": "--type erwartet NAME=DATEI (PDF, ZIP oder Ordner) oder NAME mit --unit-files: „{text}“",
        "en": "--type expects NAME=FILE (PDF, ZIP or folder) or NAME with --unit-files: “{text}”",
    },
    "unit_files_for": {
        "de": "--unit-files „{text}“: zu welchem Dokumenttyp? Schreiben Sie NAME=ORDNER (Typen ohne Datei: {types}).",
        "en": "--unit-files “{text}”: for which document type? Write NAME=FOLDER (types without a file: {types}).",
    },
    "no_types": {"de": "Mindestens ein --type NAME=DATEI angeben.", "en": "Give at least one --type NAME=FILE."},
    "type_without_file": {
        "de": "Für den Dokumenttyp „{type}“ fehlt die Datei (NAME=DATEI oder --unit-files NAME=ORDNER).",
        "en": "The document type “{type}” has no file (NAME=FILE or --unit-files NAME=FOLDER).",
    },
    "ignored_files": {
        "de": "{folder}: {count:Datei|Dateien} ohne .pdf werden übergangen ({names})",
        "en": "{folder}: {count:file|files} without .pdf are skipped ({names})",
    },
    "empty_folder": {"de": "{folder} enthält keine PDF-Datei.", "en": "{folder} holds no PDF file."},
    "none": {"de": "Keine Einträge.", "en": "Nothing yet."},
    "serial_row": {"de": "Nr. {id}  {title}  ·  {property}  ·  {state}  ·  {at}",
                   "en": "no. {id}  {title}  ·  {property}  ·  {state}  ·  {at}"},
    "property_row": {"de": "{ref}  {name}  ·  {units:Einheit|Einheiten}", "en": "{ref}  {name}  ·  {units:unit|units}"},
    "org_row": {"de": "{name}  ·  Slack-Team {team}  ·  {properties:Liegenschaft|Liegenschaften}",
                "en": "{name}  ·  Slack team {team}  ·  {properties:property|properties}"},
    "not_bound": {"de": "noch nicht verbunden", "en": "not bound yet"},
    "cli_actor": {"de": "Kommandozeile", "en": "Command line"},
    "key_created": {
        "de": "API-Schlüssel {id} „{name}“ für „{org}“ – jetzt kopieren, er wird nicht wieder angezeigt:",
        "en": "API key {id} “{name}” for “{org}” – copy it now, it is not shown again:",
    },
    "key_used": {"de": "zuletzt benutzt {at}", "en": "last used {at}"},
    "key_revoked": {"de": "widerrufen am {at}", "en": "revoked on {at}"},
    "key_revoked_now": {"de": "API-Schlüssel „{name}“ widerrufen.", "en": "API key “{name}” revoked."},
    "bad_recipients": {
        "de": "--recipients „{given}“: erlaubt sind owners (Eigentümer), tenants (Mieter) oder both (beide).",
        "en": "--recipients “{given}”: allowed are owners, tenants or both.",
    },
    "slack_missing": {
        "de": "Für Slack fehlen Zugangsdaten: {what}. Siehe README, Abschnitt „The Slack app“.",
        "en": "Slack credentials are missing: {what}. See the README, section “The Slack app”.",
    },
    "missing_signing_secret": {"de": "SLACK_SIGNING_SECRET (oder SLACK_APP_TOKEN für Socket Mode)",
                               "en": "SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"},
    "missing_token": {"de": "SLACK_BOT_TOKEN (ein Workspace) oder SLACK_CLIENT_ID und SLACK_CLIENT_SECRET (OAuth)",
                      "en": "SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth)"},
    "port_taken": {
        "de": "Nicht gestartet: {host}:{port} ist belegt ({detail}). Einen anderen Port mit BRIEFWERK_PORT wählen.",
        "en": "Not started: {host}:{port} is taken ({detail}). Choose another port with BRIEFWERK_PORT.",
    },
    "socket_bot_token": {
        "de": "Nicht gestartet: SLACK_APP_TOKEN ist ein Bot-Token (xoxb-…). Socket Mode braucht ein App-Level-Token "
              "(xapp-…) mit connections:write, anzulegen unter api.slack.com/apps → Basic Information → App-Level Tokens.",
        "en": "Not started: SLACK_APP_TOKEN is a bot token (xoxb-…). Socket Mode needs an app-level token (xapp-…) "
              "with connections:write, made at api.slack.com/apps → Basic Information → App-Level Tokens.",
    },
    "weak_secrets": {
        "de": "Nicht gestartet: {names} ist leer oder ein Platzhalter. Setzen Sie einen echten geheimen Wert.",
        "en": "Not started: {names} is empty or a placeholder. Set a real secret value.",
    },
    "secret_key_missing": {
        "de": "Nicht gestartet: Für mehrere Workspaces (OAuth) fehlt BRIEFWERK_SECRET_KEY, mit dem die Slack-Tokens "
              "verschlüsselt gespeichert werden. Einen Schlüssel erzeugt: briefwerk secret-key",
        "en": "Not started: several workspaces (OAuth) need BRIEFWERK_SECRET_KEY to store the Slack tokens encrypted. "
              "Make one with: briefwerk secret-key",
    },
    "secret_key_bad": {
        "de": "Nicht gestartet: BRIEFWERK_SECRET_KEY taugt nicht ({detail}). Erwartet werden ein oder mehrere "
              "Fernet-Schlüssel, durch Kommas getrennt (briefwerk secret-key erzeugt einen).",
        "en": "Not started: BRIEFWERK_SECRET_KEY is not usable ({detail}). Expected one or more Fernet keys, "
              "comma-separated (briefwerk secret-key makes one).",
    },
    "slack_unreachable": {
        "de": "Slack ({url}) ist nicht erreichbar oder lehnt das Token ab: {detail}",
        "en": "Slack ({url}) cannot be reached or refuses the token: {detail}",
    },
    "socket_token": {
        "de": "Nicht gestartet: Slack lehnt SLACK_APP_TOKEN ab ({error}). Nötig ist ein App-Level-Token (xapp-…) mit "
              "connections:write, anzulegen unter api.slack.com/apps → Basic Information → App-Level Tokens.",
        "en": "Not started: Slack refuses SLACK_APP_TOKEN ({error}). It needs an app-level token (xapp-…) with "
              "connections:write, made at api.slack.com/apps → Basic Information → App-Level Tokens.",
    },
    "standin_port": {"de": "Port {port} ist belegt ({detail}). Einen anderen Port mit --port wählen.",
                     "en": "Port {port} is taken ({detail}). Choose another port with --port."},
    "standin_up": {
        "de": "Slack-Stand-in läuft unter {url} (Strg-C beendet). In die Shell kopiert, lässt die erste Zeile "
              "`briefwerk serve` mit ihm sprechen, die zweite schaltet dazu Socket Mode ein:",
        "en": "Slack stand-in running at {url} (Ctrl-C stops it). Pasted into a shell, the first line points "
              "`briefwerk serve` at it, the second also turns on Socket Mode:",
    },
    "socket_up": {"de": "Socket Mode verbunden.", "en": "Socket Mode connected."},
    "socket_down": {
        "de": "Socket Mode noch nicht verbunden: Die WebSocket-Verbindung zu Slack schlug fehl. Neue Versuche laufen; "
              "bis dahin meldet /healthz 503.",
        "en": "Socket Mode not connected yet: the WebSocket connection to Slack failed. It keeps retrying; until then "
              "/healthz answers 503.",
    },
    "resume_held": {
        "de": "  {reference}: gehalten von Instanz {owner} bis {until} (danach übernimmt sie jede Instanz; --wait wartet darauf)",
        "en": "  {reference}: held by instance {owner} until {until} (any instance takes it over then; --wait waits for it)",
    },
    "resume_waiting": {
        "de": "  {reference}: wartet auf erneuten Versuch ab {next}: {reason}",
        "en": "  {reference}: waits for a retry from {next}: {reason}",
    },
    "resume_waiting_for_lease": {"de": "Warte {seconds} s, bis die Sperren ablaufen …", "en": "Waiting {seconds} s for the leases to run out …"},
    "resume_open": {
        "de": "{count:Brief|Briefe} {count:~ist|sind} noch nicht übergeben (Exit-Code 3).",
        "en": "{count:letter|letters} {count:~is|are} not handed over yet (exit code 3).",
    },
    "resume": {
        "de": "Auftrag {order}: {submitted} übergeben, {already} waren schon da, {failed} fehlgeschlagen",
        "en": "Order {order}: {submitted} handed over, {already} were already there, {failed} failed",
    },
}
CATALOG.update({f"cli.{key}": texts for key, texts in WORDS.items()})


class Refused(Exception):
    """A refusal of the command line itself (bad options), said in the user's language."""

    def __init__(self, key: str, **facts: Any) -> None:
        super().__init__(key)
        self.key, self.facts = key, facts


def settings() -> Settings:
    return Settings()


def say(key: str, **facts: Any) -> str:
    return render(f"cli.{key}", settings().locale, **facts)


def main() -> None:
    """The console script: every failure becomes one line, never a traceback."""
    os.umask(0o027)  # the database, documents and print files are no one else's to read
    try:
        app()
    except Exception as error:
        code, line = _explain(error)
        if os.environ.get("BRIEFWERK_DEBUG"):
            raise
        typer.echo(line, err=True)
        sys.exit(code)


def _explain(error: Exception) -> tuple[int, str]:
    from sqlalchemy.exc import OperationalError

    from domain.errors import BriefwerkError

    locale = _locale()
    if isinstance(error, Refused):
        return 2, render("cli.error", locale, text=render(f"cli.{error.key}", locale, **error.facts))
    if isinstance(error, BriefwerkError):
        return 2, render("cli.error", locale, text=error.render(locale))
    if isinstance(error, FileNotFoundError):
        return 2, render("cli.error", locale, text=render("cli.no_file", locale, path=error.filename or error))
    if isinstance(error, OSError):
        return 2, render("cli.error", locale, text=render("cli.unreadable_file", locale, path=error.filename or "",
                                                            text=error.strerror or error))
    if isinstance(error, OperationalError):
        url = _safe_url()
        text = " ".join(str(error.orig).split())
        return 2, render("cli.error", locale, text=render("cli.database", locale, url=url, text=text))
    return 1, render("cli.unexpected", locale, kind=type(error).__name__, text=" ".join(str(error).split())[:300])


def _locale() -> str:
    try:
        return settings().locale
    except Exception:  # noqa: BLE001 - broken settings must not hide the first error
        return "de"


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings().db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "?"


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _organisation(reference: str | None) -> Iterator[tuple[Wiring, Session, Organisation, Actor]]:
    """A unit of work in the organisation the command means, acting as the command line. Whoever
    runs it can reach the database anyway: the command line acts with an admin's rights."""
    from dataclasses import replace

    from domain.models import Role
    from domain.services import organisations

    wiring = Wiring(settings())
    with wiring.unit_of_work() as (session, _):
        organisation = organisations.for_command_line(session, reference)
        actor = organisations.system_staff(session, organisation, "cli", say("cli_actor"))
        yield wiring, session, organisation, replace(actor, roles=actor.roles | {Role.ADMIN})


# --- the app -----------------------------------------------------------------------------


@app.command()
def demo(socket_mode: bool = typer.Option(False, "--socket-mode",
                                           help="Slack reaches the app over Socket Mode instead of HTTP.")) -> None:
    """Generate an ERP export and letters, then drive the whole workflow through the Slack app
    against a local Slack stand-in (import, new serial letter, release, dispatch), printing what
    users see."""
    from bot.demo_run import run_demo

    run_demo(settings(), echo=typer.echo, socket_mode=socket_mode)


@app.command()
def standin(port: int = typer.Option(3001, help="The port on 127.0.0.1 to answer on.")) -> None:
    """Run the demo's local Slack stand-in, so `serve` (HTTP or Socket Mode) can be tried without
    a workspace; prints the settings that point `serve` at it. Ctrl-C stops it."""
    import time

    from bot.slack.local import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, TEAM, set_up_workspace
    from bot.slackstandin import SlackStandIn

    running = SlackStandIn()
    try:
        running.start(port)
    except OSError as error:
        raise Refused("standin_port", port=port, detail=error.strerror or str(error)) from None
    set_up_workspace(running)
    running.add_app_token(APP_TOKEN, TEAM)
    typer.echo(say("standin_up", url=running.api_url))
    typer.echo(f"export BRIEFWERK_SLACK_API_URL={running.api_url} SLACK_BOT_TOKEN={BOT_TOKEN} "
               f"SLACK_SIGNING_SECRET={SIGNING_SECRET}\nexport SLACK_APP_TOKEN={APP_TOKEN}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@app.command()
def serve() -> None:
    """Run the Slack app: HTTP mode (events, OAuth install, intake API, health check), or Socket
    Mode when SLACK_APP_TOKEN is set (the HTTP side then serves the API and health check)."""
    import uvicorn

    from bot.logs import uvicorn_log_config
    from bot.server import asgi_app
    from bot.slack.app import SlackDeps, build_app
    from handlers import register_listeners

    config = _started(settings())
    _port_free(config.host, config.port)
    deps = SlackDeps(Wiring(config))
    deps.wiring.check_storage()
    slack = _slack_app(deps, build_app, register_listeners)
    socket = _socket_link(slack, config) if config.slack_app_token is not None else None
    scheduler = _in_process_scheduler(deps) if config.scheduler_in_process else None
    try:
        uvicorn.run(asgi_app(slack, deps, socket), host=config.host, port=config.port, log_config=uvicorn_log_config(),
                    **config.server_options())
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        if socket is not None:
            socket.close()


def _port_free(host: str, port: int) -> None:
    """Refuses before anything starts (scheduler, socket) when the HTTP port is taken."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise Refused("port_taken", host=host, port=port, detail=error.strerror or str(error)) from None


def _socket_link(slack: Any, config: Settings) -> SocketLink:
    """Socket Mode's connection; a refused app token stops the start with one line, a WebSocket
    that cannot be reached yet is said as such (slack_sdk keeps trying, /healthz says 503)."""
    from slack_sdk.errors import SlackApiError

    from bot.slack.socket_mode import SocketLink

    assert config.slack_app_token is not None
    link = SocketLink(slack, config.slack_app_token.get_secret_value(), locale=config.locale)
    try:
        up = link.connect()
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "not_allowed_token_type" and link.token.startswith("xoxb-"):
            raise Refused("socket_bot_token") from None
        raise Refused("socket_token", error=code) from None
    except OSError as error:  # URLError included: the Web API itself cannot be reached
        raise Refused("slack_unreachable", url=config.slack_api_url, detail=" ".join(str(error).split())) from None
    typer.echo(say("socket_up" if up else "socket_down"))
    return link


def _slack_app(deps: SlackDeps, build: Callable[..., Any], register: Callable[..., Any]) -> Any:
    """The Bolt app; missing or refused Slack credentials are a refusal in words, not a trace."""
    from urllib.error import URLError

    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import MissingCredentials
    from bot.slack.sealed_store import BadSecretKey, MissingSecretKey

    try:
        return build(deps, register)
    except MissingCredentials as error:
        raise Refused("slack_missing", what=say(f"missing_{error}")) from None
    except (MissingSecretKey, BadSecretKey) as error:
        raise _key_refusal(error) from None
    except (SlackApiError, URLError, BoltError, OSError) as error:
        raise Refused("slack_unreachable", url=deps.wiring.settings.slack_api_url, detail=_slack_error(error)) from None


def _slack_error(error: Exception) -> str:
    """Slack's error code where there is one (Bolt wraps auth.test's answer in English words)."""
    import re

    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    code = re.search(r"'error': '([a-z_]+)'", str(error))
    return code.group(1) if code else " ".join(str(error).split())


def _key_refusal(error: Exception) -> Refused:
    from bot.slack.sealed_store import MissingSecretKey

    if isinstance(error, MissingSecretKey):
        return Refused("secret_key_missing")
    return Refused("secret_key_bad", detail=str(error) or type(error).__name__)


def _started(config: Settings) -> Settings:
    """Settings a long-running process may start with: no empty or placeholder secret."""
    weak = config.weak_secrets()
    if weak:
        raise Refused("weak_secrets", names=", ".join(weak))
    return config


def _in_process_scheduler(deps: SlackDeps) -> BackgroundScheduler:
    """The scheduler beside the app (BRIEFWERK_SCHEDULER_IN_PROCESS=false when workers run it)."""
    from bot.scheduler import Worker, build_scheduler, default_worker_id

    scheduler = build_scheduler(Worker(deps.wiring, deps, f"{default_worker_id()}-serve"))
    scheduler.start()
    typer.echo("Scheduler läuft im selben Prozess")
    return scheduler


@app.command()
def worker(worker_id: str = typer.Option("", "--id", help="Name of this instance in leases (default: host-pid)"),
           once: bool = typer.Option(False, "--once", help="Run every job once and exit")) -> None:
    """Run the scheduler alone: hand-over and retries, provider status, notification threads,
    approval reminders and expiry, link expiry, retention and the file sweep. Several may run
    against one PostgreSQL database; set BRIEFWERK_SCHEDULER_IN_PROCESS=false for `serve` then."""
    import logging

    from bot.logs import configure_plain_logging
    from bot.scheduler import Worker, default_worker_id, run_blocking, slack_for
    from bot.slack.sealed_store import BadSecretKey, MissingSecretKey

    wiring = Wiring(_started(settings()))
    wiring.check_storage()
    try:
        slack = slack_for(wiring)
    except (MissingSecretKey, BadSecretKey) as error:
        raise _key_refusal(error) from None
    configure_plain_logging()  # after the checks: a refusal stays one line
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not every run; failures still show
    instance = Worker(wiring, slack, worker_id or default_worker_id())
    if once:
        done = {job: count for job, count in instance.run_once().items() if count}
        instance.close()
        typer.echo(f"Erledigt: {done or 'nichts zu tun'}")
        return
    typer.echo(f"Worker {instance.worker_id} läuft (Strg-C beendet ihn)")
    run_blocking(instance)


@app.command("secret-key")
def secret_key() -> None:
    """Print a new key for BRIEFWERK_SECRET_KEY (Slack tokens encrypted at rest). To rotate, put
    the new key first and keep the old one after a comma until the next start has re-encrypted."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@app.command()
def migrate() -> None:
    """Create or update the database schema."""
    wiring = Wiring(settings())
    wiring.engine  # noqa: B018 - building the engine migrates
    typer.echo(f"Datenbank aktuell: {_safe_url()}")


@app.command("resume-orders")
def resume_orders(wait: bool = typer.Option(False, "--wait", help="Wait for letters another (perhaps crashed) "
                                                                  "instance holds until its lease runs out, then take them over")) -> None:
    """Hand over letters of orders interrupted half-way; letters already there are not sent again.
    Says which letters another instance still holds (and until when) and which wait for a retry
    and why; exit code 3 while letters remain open."""
    import time as clock

    from sqlmodel import col, select

    from domain.models import DispatchOrder
    from domain.services.dispatch import order_key, run_order
    from domain.services.tracking import open_letters

    wiring = Wiring(settings())
    wiring.check_storage()
    while True:
        with wiring.unit_of_work() as (session, ports):
            orders = session.exec(select(DispatchOrder).where(
                col(DispatchOrder.completed_at).is_(None), col(DispatchOrder.cancelled_at).is_(None))).all()
            still_open, held_until = 0, []
            for order in orders:
                outcome = run_order(session, ports, order.id)
                typer.echo(say("resume", order=order_key(order), submitted=outcome.submitted,
                               already=outcome.already_there, failed=len(outcome.failed)))
                for letter in open_letters(session, order.id, ports.clock()):
                    still_open += 1
                    if letter.held_by:
                        held_until.append(letter.held_until)
                        typer.echo(say("resume_held", reference=letter.reference, owner=letter.held_by,
                                       until=f"{letter.held_until:%H:%M:%S} UTC"))
                    else:
                        typer.echo(say("resume_waiting", reference=letter.reference, reason=letter.reason or "–",
                                       next=f"{letter.next_attempt_at:%d.%m. %H:%M} UTC" if letter.next_attempt_at else "–"))
        if not (wait and held_until):
            break
        pause = max(1.0, (min(held_until) - ports.clock()).total_seconds() + 1)
        typer.echo(say("resume_waiting_for_lease", seconds=round(pause)))
        clock.sleep(pause)
    if still_open:
        typer.echo(say("resume_open", count=still_open), err=True)
        raise typer.Exit(3)


# --- master data -------------------------------------------------------------------------

ORG_HELP = "Organisation: its Slack team id or its name (needed only when there are several)"


@app.command("import")
def import_(file: Path = typer.Argument(..., help="CSV or JSON export of properties, units and contacts"),
            organisation: str | None = typer.Option(None, "--org", help=ORG_HELP),
            dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would change"),
            as_json: bool = typer.Option(False, "--json", help="Print the result as JSON")) -> None:
    """Import properties, units and contacts (all or nothing; every rejected row with its line)."""
    from domain.services import masterdata

    data = file.read_bytes()
    with _organisation(organisation) as (wiring, session, org, actor):
        name = org.name
        if dry_run:
            report = masterdata.preview(session, org, file.name, data, date.today(), wiring.settings.intake.imports)
        else:
            report = masterdata.run_import(session, org, file.name, data, date.today(), actor, "cli",
                                                  wiring.settings.intake.imports)
    locale = wiring.settings.locale
    if as_json:
        _json({"organisation": name, "applied": report.ok and not dry_run, "rows": report.rows,
               "created": report.created, "updated": report.updated, "ended_links": report.ended_links,
               "rejected": [{"line": r.line, "reason": r.render(locale)} for r in report.rejected]})
    elif report.ok:
        typer.echo(say("preview" if dry_run else "imported", file=file.name, org=name, rows=report.rows,
                       created=say("counts", **report.created), updated=say("counts", **report.updated),
                       ended=report.ended_links))
    else:
        typer.echo(say("rejected", file=file.name, count=len(report.rejected)), err=True)
        for rejected in report.rejected:
            typer.echo(f"  {rejected.message.render(locale)}", err=True)
    if not report.ok:
        raise typer.Exit(2)


@properties.command("list")
def list_properties(organisation: str | None = typer.Option(None, "--org", help=ORG_HELP),
                    as_json: bool = typer.Option(False, "--json")) -> None:
    """The organisation's properties with their ERP numbers and unit counts."""
    from domain.services import intake

    with _organisation(organisation) as (_, session, org, _actor):
        rows = intake.properties(session, org.id)
    if as_json:
        _json([{"id": p.id, "ref": p.external_id, "name": p.name, "units": n} for p, n in rows])
        return
    for prop, units in rows:
        typer.echo(say("property_row", ref=prop.external_id, name=prop.name, units=units))
    if not rows:
        typer.echo(say("none"))


@organisations_cli.command("list")
def list_organisations(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every organisation, with the Slack workspace it is bound to."""
    from sqlalchemy import func
    from sqlmodel import select

    from domain.models import Organisation, Property

    wiring = Wiring(settings())
    with wiring.unit_of_work() as (session, _):
        rows = session.exec(select(Organisation, func.count(Property.id))
                            .join(Property, Property.organisation_id == Organisation.id, isouter=True)
                            .group_by(Organisation.id).order_by(Organisation.id)).all()
    if as_json:
        _json([{"id": o.id, "name": o.name, "slack_team_id": o.slack_team_id, "properties": n} for o, n in rows])
        return
    for org, count in rows:
        typer.echo(say("org_row", name=org.name, team=org.slack_team_id or say("not_bound"), properties=count))
    if not rows:
        typer.echo(say("none"))


# --- serial letters ----------------------------------------------------------------------


@serial_letters.command("create")
def create_serial_letter(
    property_ref: str = typer.Option(..., "--property", help="The property's ERP number (or briefwerk's id)"),
    title: str = typer.Option(..., "--title"),
    types: list[str] = typer.Option(..., "--type", metavar="NAME[=FILE]", help="NAME=FILE.pdf (a batch), NAME=FOLDER or NAME=FILE.zip "
                                                         "(one file per unit), or NAME with --unit-files"),
    marker: str | None = typer.Option(None, "--marker", help="Split batches where a page names a unit "
                                                             "(default: 'Einheit: {unit}')"),
    pages_per_unit: int | None = typer.Option(None, "--pages-per-unit", min=1, help="Split batches every N pages"),
    ranges: str | None = typer.Option(None, "--ranges", help='Split batches by page ranges, JSON {"WE 01": "1-3"}'),
    unit_files: list[str] = typer.Option([], "--unit-files", metavar="[NAME=]FOLDER|ZIP", help="FOLDER or FILE.zip (or NAME=…) of one PDF per unit"),
    attach: list[Path] = typer.Option([], "--attach", metavar="FILE", help="A general attachment every recipient gets once"),
    recipients: str = typer.Option("owners", "--recipients", help="owners, tenants or both"),
    organisation: str | None = typer.Option(None, "--org", help=ORG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the new id and the split report as JSON"),
) -> None:
    """Create a serial letter with its documents and print its id and split report. Either
    everything is stored or nothing."""
    from domain.models import RecipientGroup
    from domain.services import intake
    from domain.uploads import Upload

    rule = _split_rule(marker, pages_per_unit, ranges)
    if recipients not in {group.value for group in RecipientGroup}:
        raise Refused("bad_recipients", given=recipients)
    warnings: list[str] = []
    uploads = []
    for name, (paths, per_unit) in _document_sources(types, unit_files).items():
        files = [Upload(path.name, path, path.stat().st_size) for path in _expanded(paths, warnings)]
        uploads.append(intake.DocumentUpload(name, files, None if per_unit else rule))
    attachments = [Upload(path.name, path, path.stat().st_size) for path in attach]
    with _organisation(organisation) as (wiring, session, org, actor):
        prop = intake.find_property(session, actor, property_ref)
        taken = intake.same_title(session, actor, prop.id, title)
        request = intake.NewSerialLetter(prop.id, title, uploads, attachments, RecipientGroup(recipients))
        serial, outcomes = intake.start_serial_letter(session, wiring.ports(session).files, actor, request,
                                                      wiring.settings.intake, progress=_progress())
        report = intake.split_report(session, actor, serial.id)
    locale = wiring.settings.locale
    if taken:
        warnings.insert(0, render("create.title_exists", locale, title=title, ids=", ".join(str(s.id) for s in taken)))
    notes = {o.document_type: [n.render(locale) for n in o.notes() if n.key not in ("split.unmatched_page", "split.unmatched_page_in_file")]
             for o in outcomes}
    if as_json:
        _json({"id": serial.id, "report": report.to_json(locale), "notes": notes, "warnings": warnings})
        return
    typer.echo(say("created", id=serial.id, title=serial.title, property=report.property_name, units=report.units))
    for line in intake.report_lines(report, locale, most=50):
        typer.echo(f"  {line}")
    for line in [line for lines in notes.values() for line in lines] + warnings:
        typer.echo(say("warning", text=line))


def _split_rule(marker: str | None, pages_per_unit: int | None, ranges: str | None) -> Any:
    from pydantic import ValidationError

    from domain.split import ByMarker, ByPageCount, ByRanges

    given = [value for value in (marker, pages_per_unit, ranges) if value is not None]
    if len(given) > 1:
        raise Refused("one_rule")
    if pages_per_unit is not None:
        return ByPageCount(pages_per_unit=pages_per_unit)
    if ranges is not None:
        try:
            return ByRanges(ranges=json.loads(ranges))
        except (json.JSONDecodeError, ValidationError, TypeError) as error:
            raise Refused("bad_ranges", text=str(error).splitlines()[0]) from error
    try:
        return ByMarker(pattern=marker) if marker is not None else ByMarker()
    except ValidationError as error:
        from domain.errors import InvalidInput

        raise InvalidInput("split.bad_marker", pattern=marker) from error


def _document_sources(types: list[str], unit_files: list[str]) -> dict[str, tuple[list[Path], bool]]:
    """Document type -> its paths and whether they hold one file per unit, from --type
    NAME=PATH and --unit-files [NAME=]PATH. PDFs given with --type are parts of one batch;
    folders, ZIPs and everything given with --unit-files are one file per unit."""
    sources: dict[str, list[Path]] = {}
    per_unit: set[str] = set()
    for entry in types:
        name, _, path = entry.partition("=")
        if not name.strip():
            raise Refused("bad_type", text=entry)
        sources.setdefault(name.strip(), []).extend([Path(path)] if path else [])
    if not sources:
        raise Refused("no_types")
    for entry in unit_files:
        name, _, path = entry.rpartition("=") if "=" in entry else ("", "", entry)
        if not name:
            without = [kind for kind, paths in sources.items() if not paths]
            if len(without) != 1:
                raise Refused("unit_files_for", text=entry, types=", ".join(without) or "–")
            name = without[0]
        sources.setdefault(name.strip(), []).append(Path(path))
        per_unit.add(name.strip())
    for name, paths in sources.items():
        if not paths:
            raise Refused("type_without_file", type=name)
        for path in paths:
            if not path.exists():
                raise FileNotFoundError(2, "not found", str(path))
            if path.is_dir() or path.suffix.lower() == ".zip":
                per_unit.add(name)
    return {name: (paths, name in per_unit) for name, paths in sources.items()}


def _expanded(paths: list[Path], warnings: list[str]) -> list[Path]:
    """Folders become their PDFs (sorted by name); other files stay as they are."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        pdfs = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".pdf")
        others = sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix.lower() != ".pdf")
        if not pdfs:
            raise Refused("empty_folder", folder=path)
        if others:
            warnings.append(say("ignored_files", folder=path, count=len(others), names=", ".join(others[:5])))
        found += pdfs
    return found


def _progress() -> Callable[[Any], None] | None:
    """Progress lines on a terminal; nothing when a script reads the output."""
    if not sys.stderr.isatty():
        return None
    locale = settings().locale
    return lambda message: typer.echo(f"\r{message.render(locale)}\033[K", err=True, nl=False)


@serial_letters.command("list")
def list_serial_letters(organisation: str | None = typer.Option(None, "--org", help=ORG_HELP),
                        as_json: bool = typer.Option(False, "--json")) -> None:
    """The organisation's serial letters, newest first."""
    from domain.messages import Message
    from domain.services import intake

    with _organisation(organisation) as (wiring, session, org, _actor):
        rows = intake.serial_letters(session, org.id)
    locale = wiring.settings.locale
    if as_json:
        _json([{"id": s.id, "title": s.title, "property": p.external_id, "state": s.state.value,
                "created_at": s.created_at.isoformat()} for s, p in rows])
        return
    for serial, prop in rows:
        typer.echo(say("serial_row", id=serial.id, title=serial.title, property=prop.name,
                       state=Message(f"state.{serial.state.value}").render(locale), at=f"{serial.created_at:%d.%m.%Y %H:%M}"))
    if not rows:
        typer.echo(say("none"))


@serial_letters.command("show")
def show_serial_letter(serial_id: int = typer.Argument(...),
                       organisation: str | None = typer.Option(None, "--org", help=ORG_HELP),
                       as_json: bool = typer.Option(False, "--json")) -> None:
    """A serial letter's split report: units and their pages, pages without a unit, units
    without a document, attachments."""
    from domain.messages import Message
    from domain.services import intake

    with _organisation(organisation) as (wiring, session, _org, actor):
        report = intake.split_report(session, actor, serial_id)
    locale = wiring.settings.locale
    if as_json:
        _json(report.to_json(locale))
        return
    typer.echo(f"Nr. {report.serial_id} „{report.title}“ · {report.property_name} · "
               f"{Message(f'state.{report.state.value}').render(locale)}")
    for line in intake.report_lines(report, locale, most=200):
        typer.echo(f"  {line}")


@api_keys.command("create")
def create_api_key(name: str = typer.Argument(..., help="What the key is for, e.g. 'ERP DOMUS'"),
                   organisation: str | None = typer.Option(None, "--org", help=ORG_HELP)) -> None:
    """A new key for the organisation; it is printed this once and stored only as a hash."""
    from domain.services import apikeys

    with _organisation(organisation) as (_, session, org, actor):
        key, token = apikeys.create_key(session, actor, name)
        typer.echo(say("key_created", name=key.name, id=key.id, org=org.name), err=True)
    typer.echo(token)


@api_keys.command("list")
def list_api_keys(organisation: str | None = typer.Option(None, "--org", help=ORG_HELP)) -> None:
    """The organisation's keys (never the keys themselves)."""
    from domain.services import apikeys

    with _organisation(organisation) as (_, session, org, _actor):
        keys = apikeys.keys_of(session, org.id)
    for key in keys:
        state = say("key_revoked", at=f"{key.revoked_at:%d.%m.%Y}") if key.revoked_at else say(
            "key_used", at=f"{key.last_used_at:%d.%m.%Y %H:%M}" if key.last_used_at else "–")
        typer.echo(f"{key.id}  {key.prefix}…  {key.name}  ·  {state}")
    if not keys:
        typer.echo(say("none"))


@api_keys.command("revoke")
def revoke_api_key(key_id: int = typer.Argument(...), organisation: str | None = typer.Option(None, "--org", help=ORG_HELP)) -> None:
    """Revoke a key: programs using it get 401 from then on."""
    from domain.services import apikeys

    with _organisation(organisation) as (_, session, _org, actor):
        key = apikeys.revoke(session, actor, key_id)
    typer.echo(say("key_revoked_now", name=key.name))


if __name__ == "__main__":
    main()
