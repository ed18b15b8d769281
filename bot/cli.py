"""The `briefwerk` command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.settings import Settings
from bot.wiring import Wiring, organisation_named

if TYPE_CHECKING:  # the commands import what they need when they run
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.slack.app import SlackDeps

app = typer.Typer(help="briefwerk: serial letters from generated to portal and mailbox.", no_args_is_help=True)


@app.command()
def demo() -> None:
    """Generate a demo property with letters and drive the whole workflow through the Slack app
    against a local Slack stand-in, printing what users would see."""
    from bot.demo_run import run_demo

    run_demo(Settings(), echo=typer.echo)


@app.command("import")
def import_(file: Path, organisation: str = typer.Option("Hausverwaltung", "--org", help="Organisation name")) -> None:
    """Import properties, units and contacts from a CSV or JSON file (all or nothing)."""
    from datetime import date

    from domain.errors import InvalidInput
    from domain.importer import import_file

    wiring = Wiring(Settings())
    with wiring.unit_of_work() as (session, _):
        org = organisation_named(session, organisation)
        try:
            report = import_file(session, org.id, file.name, file.read_bytes(), date.today())
        except InvalidInput as error:
            typer.echo(f"{file.name}: {error.render(wiring.settings.locale)}", err=True)
            raise typer.Exit(2) from error
    if not report.ok:
        typer.echo(f"{file.name}: nichts importiert, {len(report.rejected)} Zeilen abgelehnt:", err=True)
        for rejected in report.rejected:
            typer.echo(f"  {rejected.message.render(wiring.settings.locale)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{file.name}: {report.rows} Zeilen importiert – neu: {report.created}, geändert: {report.updated}, "
               f"beendete Zuordnungen: {report.ended_links}")


@app.command()
def serve() -> None:
    """Run the Slack app: HTTP mode (events, OAuth install, health check), or Socket Mode when
    SLACK_APP_TOKEN is set (the HTTP side then serves the health check)."""
    import uvicorn

    from bot.server import asgi_app
    from bot.slack.app import SlackDeps, build_app
    from handlers import register_listeners

    settings = Settings()
    deps = SlackDeps(Wiring(settings))
    slack = build_app(deps, register_listeners)
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(slack, settings.slack_app_token.get_secret_value()).connect()
        typer.echo("Socket Mode verbunden")
    scheduler = _in_process_scheduler(deps) if settings.scheduler_in_process else None
    try:
        uvicorn.run(asgi_app(slack, deps), host=settings.host, port=settings.port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)


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
    approval reminders and expiry, link expiry and retention. Several may run against one
    PostgreSQL database; set BRIEFWERK_SCHEDULER_IN_PROCESS=false for `serve` then."""
    import logging

    from bot.scheduler import Worker, default_worker_id, run_blocking, slack_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not every run; failures still show
    wiring = Wiring(Settings())
    instance = Worker(wiring, slack_for(wiring), worker_id or default_worker_id())
    if once:
        done = {job: count for job, count in instance.run_once().items() if count}
        instance.close()
        typer.echo(f"Erledigt: {done or 'nichts zu tun'}")
        return
    typer.echo(f"Worker {instance.worker_id} läuft (Strg-C beendet ihn)")
    run_blocking(instance)


@app.command()
def migrate() -> None:
    """Create or update the database schema."""
    wiring = Wiring(Settings())
    wiring.engine  # noqa: B018 - building the engine migrates
    typer.echo(f"Datenbank aktuell: {wiring.settings.db_url}")


@app.command("resume-orders")
def resume_orders() -> None:
    """Hand over letters of orders interrupted half-way; letters already there are not sent again."""
    from sqlmodel import col, select

    from domain.models import DispatchOrder
    from domain.services.dispatch import run_order

    wiring = Wiring(Settings())
    with wiring.unit_of_work() as (session, ports):
        orders = session.exec(select(DispatchOrder).where(
            col(DispatchOrder.completed_at).is_(None), col(DispatchOrder.cancelled_at).is_(None))).all()
        for order in orders:
            outcome = run_order(session, ports, order.id)
            typer.echo(f"Auftrag {order.id}: {outcome.submitted} übergeben, {outcome.already_there} waren schon da, "
                       f"{len(outcome.failed)} fehlgeschlagen")


if __name__ == "__main__":
    app()
