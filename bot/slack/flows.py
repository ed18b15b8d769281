"""What happens around a use case in Slack: asking managers first when approval is on, running
heavy work in the background, telling people the outcome and announcing it in the thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.notifier import Notifier
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import BriefwerkError, InvalidInput
from domain.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    Organisation,
    SerialLetter,
    Shipment,
    Staff,
)
from domain.ports import Ports
from domain.services import approvals, dispatch, links, release

log = logging.getLogger(__name__)


def dm(client: WebClient, user_id: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A direct message from the app; Slack opens the DM channel on first use."""
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        return client.chat_postMessage(channel=channel, **payload).data
    except SlackApiError as error:
        log.warning("could not DM %s: %s", user_id, error.response.get("error"))
        return None


def announce(deps: SlackDeps, team_id: str | None, serial_id: int) -> None:
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        Notifier(session, deps.client_for(team_id)).announce(serial_id)


def announce_later(deps: SlackDeps, team_id: str | None, serial_id: int) -> None:
    deps.background.io(announce, deps, team_id, serial_id)


# --- the three actions that may need a manager ------------------------------------------------


Progress = Callable[[str], None]


def carry_out(deps: SlackDeps, kind: ApprovalKind, actor: Actor, serial_id: int, payload: dict[str, Any], locale: str,
              progress: Progress | None = None) -> str:
    """Runs release, order or download link for `actor`; returns the outcome in words.
    `progress` hears how an order goes, batch by batch."""
    with deps.wiring.unit_of_work() as (session, ports):
        try:
            if kind is ApprovalKind.RELEASE:
                return _release(session, ports, actor, serial_id, payload, locale)
            if kind is ApprovalKind.ORDER:
                return _order(session, ports, actor, serial_id, payload, locale, progress)
            return _link(session, ports, actor, serial_id, locale, deps.wiring.settings.download_link_days)
        except BriefwerkError as error:
            return "⚠️ " + error.render(locale)
        except Exception:  # the user must hear something; the details go to the log
            log.exception("%s of serial letter %s failed", kind.value, serial_id)
            return "⚠️ " + t("unexpected", locale)


def _release(session: Session, ports: Ports, actor: Actor, serial_id: int, payload: dict[str, Any], locale: str) -> str:
    result = release.release(session, ports, actor, serial_id, notify=bool(payload.get("notify")),
                             expected_version=payload.get("version"))
    serial = session.get(SerialLetter, serial_id)
    text = t("release.done", locale, title=serial.title, units=result.units, contacts=result.contacts, emailed=result.emailed)
    if result.email_failures:
        text += "\n" + t("release.mail_failures", locale, failures="; ".join(f"{n}: {r}" for n, r in result.email_failures))
    return text


def _order(session: Session, ports: Ports, actor: Actor, serial_id: int, payload: dict[str, Any], locale: str,
           progress: Progress | None) -> str:
    order = dispatch.order_dispatch(session, ports, actor, serial_id, expected_version=payload.get("version"))
    report = None if progress is None else (
        lambda done, total: progress(t("order.progress", locale, done=done, total=total)))
    outcome = dispatch.run_order(session, ports, order.id, progress=report)
    if outcome.scheduled_for is not None:
        letters = len(session.exec(select(Shipment.id).where(Shipment.order_id == order.id)).all())
        return t("order.scheduled", locale, letters=letters, date=outcome.scheduled_for.strftime("%d.%m.%Y"))
    return t("order.done", locale, submitted=outcome.submitted, already=outcome.already_there, failed=len(outcome.failed))


def _link(session: Session, ports: Ports, actor: Actor, serial_id: int, locale: str, days: int) -> str:
    result = links.request_download_link(session, ports, actor, serial_id, days=days)
    return t("link.sent", locale, letters=result.letters, pages=result.pages, recipients=", ".join(result.recipients))


def request_or_run(deps: SlackDeps, kind: ApprovalKind, actor: Actor, team_id: str | None, serial_id: int,
                   payload: dict[str, Any], locale: str, done: Callable[[str], None],
                   progress: Progress | None = None) -> None:
    """With manager approval on, posts approval prompts and reports that; otherwise carries the
    action out in the background. `done` receives the outcome in words."""
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        needed = approvals.approval_needed(session, actor)
        if needed:
            approval = approvals.request_approval(session, actor, serial_id, kind, payload)
    if needed:
        deps.background.io(_post_prompts, deps, team_id, approval.id)
        done(t({ApprovalKind.RELEASE: "release.approval", ApprovalKind.ORDER: "order.requested",
                ApprovalKind.DOWNLOAD_LINK: "link.requested"}[kind], locale))
        return

    def work() -> None:
        done(carry_out(deps, kind, actor, serial_id, payload, locale, progress))
        announce(deps, team_id, serial_id)

    deps.background.pdf(work)


def _post_prompts(deps: SlackDeps, team_id: str | None, approval_id: int) -> None:
    client = deps.client_for(team_id)
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        approval = session.get(Approval, approval_id)
        org = session.get(Organisation, approval.organisation_id)
        serial = session.get(SerialLetter, approval.serial_letter_id)
        requester = session.get(Staff, approval.requested_by)
        payload = views.approval_prompt(approval, serial, requester.name, None, org.locale)
        targets = [org.approval_channel] if org.approval_channel else [
            m.slack_user_id for m in approvals.managers_of(session, org.id) if m.id != requester.id]
        if not targets:
            refusal = InvalidInput("approval.no_managers").render(org.locale)
            approval.state, approval.outcome = ApprovalState.EXPIRED, refusal
            session.add(approval)
            session.commit()
            dm(client, requester.slack_user_id, views.ephemeral(refusal))
            return
        prompts = [{"channel": posted["channel"], "ts": posted["ts"]}
                   for target in targets if (posted := _post_prompt(client, target, payload))]
        if not prompts:
            refusal = t("approval.not_posted", org.locale)
            approval.state, approval.outcome = ApprovalState.EXPIRED, refusal
            dm(client, requester.slack_user_id, views.ephemeral(refusal))
        approval.prompts = prompts
        session.add(approval)
        session.commit()
    announce(deps, team_id, approval.serial_letter_id)


def _post_prompt(client: WebClient, target: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A channel (the app must be a member) or a manager's DM; None when Slack refused it."""
    if not target.startswith(("C", "G")):
        return dm(client, target, payload)
    try:
        return client.chat_postMessage(channel=target, **payload).data
    except SlackApiError as error:
        log.warning("could not post an approval prompt to %s: %s", target, error.response.get("error"))
        return None


def finish_decision(deps: SlackDeps, team_id: str | None, approval_id: int) -> None:
    """After a decision: carry the request out if approved, show who decided on every prompt,
    tell the requester, and announce it in the thread."""
    client = deps.client_for(team_id)
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        approval = session.get(Approval, approval_id)
        org = session.get(Organisation, approval.organisation_id)
        requester = approvals.requester_of(session, approval)
    if approval.state is ApprovalState.APPROVED:
        outcome = carry_out(deps, approval.kind, requester, approval.serial_letter_id, approval.payload, org.locale)
        with Session(deps.wiring.engine, expire_on_commit=False) as session:
            approval = session.get(Approval, approval_id)
            approvals.set_outcome(session, approval, outcome)
    _update_prompts(deps, client, approval_id)
    _tell_requester(deps, client, approval_id)
    announce(deps, team_id, approval.serial_letter_id)


def _update_prompts(deps: SlackDeps, client: WebClient, approval_id: int) -> None:
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        approval = session.get(Approval, approval_id)
        org = session.get(Organisation, approval.organisation_id)
        serial = session.get(SerialLetter, approval.serial_letter_id)
        requester = session.get(Staff, approval.requested_by)
        decider = session.get(Staff, approval.decided_by) if approval.decided_by else None
        payload = views.approval_prompt(approval, serial, requester.name, decider.name if decider else None, org.locale)
    for prompt in approval.prompts:
        try:
            client.chat_update(channel=prompt["channel"], ts=prompt["ts"], **payload)
        except SlackApiError as error:
            log.warning("could not update approval prompt: %s", error.response.get("error"))


def _tell_requester(deps: SlackDeps, client: WebClient, approval_id: int) -> None:
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        approval = session.get(Approval, approval_id)
        org = session.get(Organisation, approval.organisation_id)
        serial = session.get(SerialLetter, approval.serial_letter_id)
        requester = session.get(Staff, approval.requested_by)
        decider = session.get(Staff, approval.decided_by) if approval.decided_by else None
    locale = requester.locale or org.locale
    result = t(f"approval.{approval.state.value}", locale, who=decider.name if decider else "–")
    if approval.outcome:
        result += f"\n{approval.outcome}"
    text = t("approval.told_requester", locale, kind=t(f"approval.kind.{approval.kind.value}", locale),
             title=serial.title, result=result)
    dm(client, requester.slack_user_id, views.ephemeral(text))
