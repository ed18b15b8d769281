"""Scheduled work with APScheduler: hand letters over (retries, orders sent on a later day), ask
providers for news, post to the notification threads, remind and expire approvals, delete expired
download links and old print files, and deliver portal webhooks.

Several instances may run against one PostgreSQL database: every job claims its rows there first
(see `domain.services.tracking`), so nothing is submitted, polled or announced twice.
`briefwerk worker` runs the scheduler alone; `briefwerk serve` runs it in-process unless
`BRIEFWERK_SCHEDULER_IN_PROCESS=false`."""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, col, select

from bot.settings import Settings
from bot.slack import flows, views
from bot.slack.app import SlackDeps
from bot.slack.notifier import QUIET, Notifier
from bot.slack.texts import t
from bot.wiring import Wiring
from domain.models import Approval, Event, Organisation, SerialLetter, Staff
from domain.ports import Ports, system_clock
from domain.services import approvals, portal, storage, tracking

log = logging.getLogger(__name__)

TIMEZONE = "Europe/Berlin"
Job = Callable[[], dict[str, int]]


@dataclass(frozen=True)
class JobIntervals:
    """Seconds between two runs of each job. Polling wakes five times per `poll_seconds` (at
    most once a minute) so each letter is asked about every `poll_seconds`, not up to twice that."""

    hand_over: int
    poll: int
    announce: int
    approvals: int
    housekeeping: int
    portal_webhooks: int

    @classmethod
    def from_settings(cls, settings: Settings) -> JobIntervals:
        poll = max(1, min(60, settings.poll_seconds // 5))
        return cls(hand_over=min(60, max(1, settings.poll_seconds)), poll=poll, announce=min(15, poll), approvals=300,
                   housekeeping=3600, portal_webhooks=30)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


BLOB_GRACE = timedelta(days=1)  # longer than any transaction that may still name a blob
CACHE_UNUSED = timedelta(hours=6)  # copies fetched from object storage and not used since


def default_worker_id() -> str:
    """Names the instance in leases: host and process, so a stuck lease says whose it is."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """The jobs of one instance. `run_once()` runs each once, in order (tests and `--once`); the
    scheduler runs them on their intervals. `clock` is injectable so tests can move time."""

    def __init__(self, wiring: Wiring, slack: SlackDeps | None, worker_id: str,
                 clock: Callable[[], datetime] = system_clock) -> None:
        self.wiring, self.slack, self.worker_id, self.clock = wiring, slack, worker_id, clock
        self._http: httpx.Client | None = None

    @property
    def timing(self) -> tracking.Timing:
        settings = self.wiring.settings
        return tracking.Timing(poll_every=timedelta(seconds=settings.poll_seconds),
                               follow_posted=timedelta(days=settings.follow_posted_days))

    def jobs(self) -> dict[str, Job]:
        """In the order `run_once` runs them: announce last, so it posts what the others recorded."""
        return {"hand_over": self.hand_over, "poll": self.poll, "approvals": self.approvals,
                "housekeeping": self.housekeeping, "portal_webhooks": self.portal_webhooks, "announce": self.announce}

    def run_once(self) -> dict[str, int]:
        done: Counter[str] = Counter()
        for job in self.jobs().values():
            done.update(job())
        return dict(done)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    @contextmanager
    def _unit(self) -> Iterator[tuple[Session, Ports]]:
        with self.wiring.unit_of_work() as (session, ports):
            ports.clock = self.clock
            yield session, ports

    # --- the jobs -------------------------------------------------------------------------------

    def hand_over(self) -> dict[str, int]:
        """Due letters to the provider: orders sent on a later day, retries after backoff, and
        orders whose in-process run was interrupted."""
        with self._unit() as (session, ports):
            tally = tracking.hand_over_due(session, ports, self.worker_id, self.timing)
        return {"submitted": tally.submitted, "already_there": tally.already_there, "failed": len(tally.failed),
                "deferred": tally.deferred, "orders_finished": tally.finished}

    def poll(self) -> dict[str, int]:
        with self._unit() as (session, ports):
            tally = tracking.poll_due(session, ports, self.worker_id, self.timing)
        return {"polled": tally.polled, "changed": tally.changed, "settled": tally.settled}

    def announce(self) -> dict[str, int]:
        """Posts unannounced events to their threads; each event is claimed before it is posted
        (Notifier), so two workers never post one twice. Only with Slack configured."""
        if self.slack is None:
            return {"announced": 0}
        clients: dict[str | None, WebClient] = {}
        posted = 0
        for serial_id, team_id in self._to_announce():
            client = clients.setdefault(team_id, self.slack.client_for(team_id))
            with _each("announce serial letter", serial_id), Session(self.wiring.engine, expire_on_commit=False) as session:
                posted += Notifier(session, client).announce(serial_id)
        return {"announced": posted}

    def _to_announce(self, limit: int = 200) -> list[tuple[int, str | None]]:
        with Session(self.wiring.engine) as session:
            return [tuple(row) for row in session.exec(
                select(Event.serial_letter_id, Organisation.slack_team_id)
                .join(Organisation, col(Organisation.id) == Event.organisation_id)
                .where(col(Event.announced_at).is_(None), col(Event.kind).not_in(QUIET),
                       col(Organisation.notify_channel).is_not(None))
                .distinct().limit(limit))]

    def approvals(self) -> dict[str, int]:
        """Expire first (a request past its limit gets no reminder), then remind."""
        settings, now = self.wiring.settings, self.clock()
        with self._unit() as (session, _):
            expired = tracking.expire_approvals(session, now, timedelta(hours=settings.approval_expire_hours))
            reminded = tracking.approvals_to_remind(session, now, timedelta(hours=settings.approval_remind_hours))
        if self.slack is not None:
            for approval_id in expired:
                with _each("tell the expiry of approval", approval_id):
                    self._tell_expired(approval_id)
            for approval_id in reminded:
                with _each("remind of approval", approval_id):
                    self._remind(approval_id, now)
        return {"approvals_expired": len(expired), "approvals_reminded": len(reminded)}

    def _tell_expired(self, approval_id: int) -> None:
        """The prompts show "expired", the requester hears it, the thread gets the event."""
        with Session(self.wiring.engine) as session:
            team_id = _team_of(session, session.get(Approval, approval_id).organisation_id)
        flows.finish_decision(self.slack, team_id, approval_id)

    def _remind(self, approval_id: int, now: datetime) -> None:
        """Under each prompt (broadcast, so the DM or channel shows it); where no prompt could be
        posted, each manager but the requester gets the prompt itself by DM."""
        with Session(self.wiring.engine, expire_on_commit=False) as session:
            approval = session.get(Approval, approval_id)
            org = session.get(Organisation, approval.organisation_id)
            serial = session.get(SerialLetter, approval.serial_letter_id)
            requester = session.get(Staff, approval.requested_by)
            managers = [m.slack_user_id for m in approvals.managers_of(session, org.id) if m.id != requester.id]
            prompt = views.approval_prompt(approval, serial, requester.name, None, org.locale)
        client = self.slack.client_for(org.slack_team_id)
        hours = max(1, int((now - approval.requested_at).total_seconds() // 3600))
        text = t("approval.reminder", org.locale, requester=requester.name, kind=t(f"approval.kind.{approval.kind.value}", org.locale),
                 title=views.escape(serial.title), id=serial.id, hours=hours)
        if approval.prompts:
            for where in approval.prompts:
                _post(client, channel=where["channel"], thread_ts=where["ts"], reply_broadcast=True, **views.ephemeral(text))
            return
        prompts = [{"channel": posted["channel"], "ts": posted["ts"]}
                   for user_id in managers if (posted := flows.dm(client, user_id, prompt))]
        with Session(self.wiring.engine) as session:
            stored = session.get(Approval, approval_id)
            stored.prompts = prompts
            session.add(stored)
            session.commit()

    def housekeeping(self) -> dict[str, int]:
        """Expired download links lose their file; print and link files past the retention period
        too; what a process killed halfway stored goes at once, stored documents no row names any
        more after a grace day; sign-in links, portal sessions and request counts a day after
        their end."""
        retention = timedelta(days=self.wiring.settings.retention_days)
        with self._unit() as (session, ports):
            links = tracking.purge_links(session, ports, retention)
            print_files = tracking.purge_print_files(session, ports, retention)
            abandoned = storage.recover(session, ports.files)
            blobs = storage.sweep(session, ports.files, grace_seconds=BLOB_GRACE.total_seconds())
            ports.files.clean_cache(unused_for_s=CACHE_UNUSED.total_seconds())
            sign_ins = portal.purge_expired(session, self.clock())
        return {"links_purged": links, "print_files_purged": print_files, "blobs_swept": blobs,
                "abandoned_removed": abandoned, "sign_ins_purged": sign_ins}

    def portal_webhooks(self) -> dict[str, int]:
        """Releases and withdrawals queued for a company's own portal, when one is configured."""
        settings = self.wiring.settings
        if not settings.portal_webhook_url or settings.portal_webhook_secret is None:
            return {}
        from bot.integrations.portal_webhook import deliver_pending

        self._http = self._http or httpx.Client()
        with Session(self.wiring.engine, expire_on_commit=False) as session:
            report = deliver_pending(session, self._http, settings.portal_webhook_secret, settings.portal_webhook_url,
                                     self.clock(), owner=self.worker_id)
        return {"webhooks_delivered": len(report.delivered), "webhooks_failed": len(report.failed)}


@contextmanager
def _each(what: str, ref: int) -> Iterator[None]:
    """One item's failure (Slack unreachable, a bad row) is logged; the job goes on with the next."""
    try:
        yield
    except Exception:
        log.exception("could not %s %s", what, ref)


def _team_of(session: Session, organisation_id: int) -> str | None:
    org = session.get(Organisation, organisation_id)
    return org.slack_team_id if org else None


def _post(client: WebClient, **message: Any) -> None:
    try:
        client.chat_postMessage(**message)
    except SlackApiError as error:
        log.warning("could not post a reminder to %s: %s", message.get("channel"), error.response.get("error"))


# --- wiring it up -------------------------------------------------------------------------------


def slack_for(wiring: Wiring) -> SlackDeps | None:
    """The Slack side a standalone worker posts with: the bot token (one workspace) or the OAuth
    installations (many); None when Slack is not configured (nothing is announced then)."""
    settings = wiring.settings
    if settings.slack_client_id and settings.slack_client_secret:
        from bot.slack.sealed_store import installation_store

        return SlackDeps(wiring, installation_store=installation_store(settings, wiring.engine))
    if settings.slack_bot_token is not None:
        return SlackDeps(wiring)
    return None


def add_jobs(scheduler: BaseScheduler, worker: Worker) -> BaseScheduler:
    """Every job on its interval, first run at start; never two runs of one job at once in this
    instance (max_instances=1), and runs missed while busy collapse into one (coalesce)."""
    worker.wiring.engine  # noqa: B018 - built (and migrated) once, before jobs start in parallel threads
    jobs = worker.jobs()
    start = datetime.now(scheduler.timezone)
    for name, seconds in JobIntervals.from_settings(worker.wiring.settings).as_dict().items():
        scheduler.add_job(_logged(name, jobs[name]), "interval", seconds=seconds, id=name, name=name,
                          max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=start)
    return scheduler


def build_scheduler(worker: Worker) -> BackgroundScheduler:
    """For `briefwerk serve`: runs beside the Slack app; call `.start()` and `.shutdown()`."""
    scheduler = BackgroundScheduler(timezone=TIMEZONE)
    add_jobs(scheduler, worker)
    return scheduler


def run_blocking(worker: Worker) -> None:
    """For `briefwerk worker`: runs until Ctrl-C or SIGTERM, then lets running jobs finish (each
    gives back what it claimed) before it returns."""
    scheduler = BlockingScheduler(timezone=TIMEZONE)
    add_jobs(scheduler, worker)
    signal.signal(signal.SIGTERM, _exit)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping: waiting for running jobs")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        worker.close()


def _exit(*_: object) -> None:
    raise SystemExit(0)


def _logged(name: str, job: Job) -> Callable[[], None]:
    def run() -> None:
        done = {key: value for key, value in job().items() if value}
        if done:
            log.info("%s: %s", name, done)

    run.__name__ = name
    return run
