"""What every listener needs: who acts, in which language, and the modal it acts in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import intake_views, views
from bot.slack.app import SlackDeps
from bot.slack.texts import t
from bot.slack.views import ViewMeta, meta_of
from domain.actors import Actor
from domain.errors import BriefwerkError
from domain.messages import Message
from domain.services import documents

log = logging.getLogger(__name__)


def actor_of(context: BoltContext) -> Actor:
    return context["actor"]


def locale_of(context: BoltContext) -> str:
    return context.get("locale") or "de"


def view_of(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("view") or {}


def meta(body: dict[str, Any]) -> ViewMeta:
    return meta_of(view_of(body))


def action_value(body: dict[str, Any]) -> str:
    """The value of the clicked button or chosen option."""
    action = (body.get("actions") or [{}])[0]
    if "selected_option" in action and action["selected_option"]:
        return action["selected_option"]["value"]
    if action.get("selected_date"):
        return action["selected_date"]
    return action.get("value", "")


def selected_values(body: dict[str, Any]) -> list[str]:
    action = (body.get("actions") or [{}])[0]
    return [item["value"] for item in action.get("selected_options") or []]


def contact_options(deps: SlackDeps) -> Callable[..., None]:
    """Options listener for every contact picker of a serial letter: search by name or unit."""

    def listener(ack: Callable[..., None], body: dict[str, Any], context: BoltContext) -> None:
        with deps.wiring.unit_of_work() as (session, _):
            rows = documents.search_contacts(session, actor_of(context), meta(body).serial_id, body.get("value", ""))
        ack(views.contact_options(rows, locale_of(context)))

    return listener


def update_view(client: WebClient, view_id: str, view: dict[str, Any]) -> None:
    """A modal the user has closed meanwhile is no error."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "not_found":
            raise


class ViewJob:
    """Background work shown in one modal: a progress line while it runs (at most every EVERY
    seconds), then its result or why it failed - never a view left loading."""

    SETTLE = 1.0  # Slack applies the submission's own answer first; our updates come after it
    EVERY = 2.0  # seconds between progress lines: views.update is rate limited

    def __init__(self, client: WebClient, view_id: str, locale: str, title_key: str, text: str) -> None:
        self.client, self.view_id, self.locale = client, view_id, locale
        self.title_key, self.text = title_key, text
        self.started = time.monotonic()
        self._shown = 0.0

    def progress(self, message: Message) -> None:
        now = time.monotonic()
        if now - self._shown >= self.EVERY and now - self.started >= self.SETTLE:
            self._shown = now
            update_view(self.client, self.view_id, intake_views.working(self.locale, self.title_key, self.text,
                                                                 message.render(self.locale)))

    def show(self, view: dict[str, Any]) -> None:
        time.sleep(max(0.0, self.SETTLE - (time.monotonic() - self.started)))
        update_view(self.client, self.view_id, view)


def run_in_view(deps: SlackDeps, job: ViewJob, work: Callable[[ViewJob], dict[str, Any]],
                refused: Callable[[BriefwerkError], dict[str, Any]]) -> None:
    """Runs `work` on the PDF lane; its view, or `refused`'s for a refusal, replaces the
    progress view. Anything unexpected is logged and told in words."""

    def run() -> None:
        try:
            view = work(job)
        except BriefwerkError as error:
            view = refused(error)
        except Exception:  # the user must hear something; the details go to the log
            log.exception("background work for view %s failed", job.view_id)
            view = views.notice(job.locale, "⚠️ " + t("unexpected", job.locale))
        job.show(view)

    deps.background.pdf(run)


def push_for_creator_or_admin(deps: SlackDeps, client: WebClient, body: dict[str, Any], context: Any,
                              view_for: Callable[[Any, str], dict[str, Any]], refusal: str) -> None:
    """Pushes `view_for(serial, locale)` for what only a draft's creator or an admin may do;
    anyone else sees `refusal` (a UI text key) instead."""
    from domain.errors import NotAllowed
    from domain.services.release import require_creator_or_admin

    actor, locale = actor_of(context), locale_of(context)
    with deps.wiring.unit_of_work() as (session, _):
        serial = documents.get_serial_letter(session, actor, int(action_value(body)))
        try:
            require_creator_or_admin(actor, serial)
            view = view_for(serial, locale)
        except NotAllowed:
            view = views.notice(locale, t(refusal, locale))
    client.views_push(trigger_id=body["trigger_id"], view=view)


def view_failed(client: WebClient, view_id: str, locale: str) -> Callable[[BaseException], None]:
    """Background work for a modal failed unexpectedly: the modal says so instead of loading on."""
    def tell(error: BaseException) -> None:
        text = error.render(locale) if isinstance(error, BriefwerkError) else t("unexpected", locale)
        update_view(client, view_id, views.notice(locale, "⚠️ " + text))

    return tell


def dm_failed(client: WebClient, user_id: str, locale: str) -> Callable[[BaseException], None]:
    """Background work a user asked for failed unexpectedly: a direct message says so."""
    def tell(error: BaseException) -> None:
        from bot.slack.flows import dm

        text = error.render(locale) if isinstance(error, BriefwerkError) else t("unexpected", locale)
        dm(client, user_id, views.ephemeral("⚠️ " + text))

    return tell
