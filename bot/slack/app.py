"""Builds the Bolt app: single-workspace (bot token) or multi-workspace OAuth, every Web API call
to `BRIEFWERK_SLACK_API_URL`, the middleware that knows who is acting, and the listeners."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.callback_options import CallbackOptions, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import and_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.slack import views
from bot.slack.background import REQUEST, Background
from bot.slack.texts import t
from bot.slack.sealed_store import SealedInstallationStore, installation_store
from bot.slack_tables import OAUTH_STATES
from bot.wiring import Wiring
from domain.actors import Actor
from domain.models import Organisation, Staff
from domain.services import organisations

log = logging.getLogger(__name__)


class _TokenFromClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: it is the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.App").addFilter(_TokenFromClient())

BOT_SCOPES = ["chat:write", "commands", "files:read", "files:write", "im:write", "users:read", "users:read.email"]


@dataclass
class SlackDeps:
    """What listeners need besides Bolt's arguments; one instance per running app."""

    wiring: Wiring
    background: Background = field(default_factory=Background)
    installation_store: SealedInstallationStore | None = None

    def provider_keys(self) -> list[str]:
        return list(self.wiring.providers)

    def client_for(self, team_id: str | None) -> WebClient:
        """A Web API client for a workspace, for work done after the request (threads, DMs)."""
        settings = self.wiring.settings
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        if self.installation_store is not None and team_id:
            bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
            token = bot.bot_token if bot else token
        return slack_client(token, settings.slack_api_url)


def slack_client(token: str | None, base_url: str) -> WebClient:
    """A Web API client that waits out Slack's 429 (Retry-After) and retries connection and
    server errors with slack_sdk's own handlers, instead of failing the user's action."""
    return WebClient(token=token, base_url=base_url, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2)])


class MissingCredentials(Exception):
    """The settings name no way to talk to Slack: "signing_secret" or "token" says what is missing."""


def build_app(deps: SlackDeps, register: Callable[[App, SlackDeps], None]) -> App:
    """The Bolt app. Its own request verification is off: the events route checks Slack's
    signature once, before anything parses the body (bot/server.py); Socket Mode needs none."""
    settings = deps.wiring.settings
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        raise MissingCredentials("signing_secret")
    # Socket Mode needs no signing secret; without one the events route refuses every request.
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if settings.slack_client_id and settings.slack_client_secret:
        app = App(signing_secret=secret, oauth_settings=_oauth_settings(deps), request_verification_enabled=False,
                  client=slack_client(None, settings.slack_api_url), listener_executor=deps.background.listeners)
    else:
        if settings.slack_bot_token is None:
            raise MissingCredentials("token")
        token = settings.slack_bot_token.get_secret_value()
        app = App(signing_secret=secret, client=slack_client(token, settings.slack_api_url),
                  request_verification_enabled=False, listener_executor=deps.background.listeners)
    app.use(actor_middleware(deps))
    app.error(unexpected_failure)
    register(app, deps)
    return app


def unexpected_failure(error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient,
                       response: BoltResponse | None, respond: Callable[..., Any] | None = None) -> None:
    """A listener or middleware raised. Logged with its request; the user is told where they are.
    Not acknowledged yet (`response` is set): the answer becomes the acknowledgement, so Slack
    shows no connection error; a submitted form turns into the notice."""
    log.error("Slack request failed (%s)", REQUEST.get() or _what(body), exc_info=error)
    locale = context.get("locale") or "de"
    text = t("unexpected", locale)
    if response is not None:
        response.status, response.body = 200, ""
        if body.get("type") == "view_submission":
            response.body = json.dumps({"response_action": "update", "view": views.notice(locale, text)})
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
    _tell(Refusal(locale, "unexpected", body, _user_of(body, context) or ""), text, respond, client)


def _oauth_settings(deps: SlackDeps) -> OAuthSettings:
    settings = deps.wiring.settings
    engine = deps.wiring.engine
    deps.installation_store = installation_store(settings, engine)
    deps.installation_store.reseal_all()
    state_store = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine, table_name=OAUTH_STATES)
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=BOT_SCOPES,
        installation_store=deps.installation_store,
        state_store=state_store,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        callback_options=CallbackOptions(success=_installed(deps), failure=_install_failed),
    )


def _installed(deps: SlackDeps) -> Callable[[SuccessArgs], Any]:
    """The first installation makes its installer the organisation's first admin. Any later one
    changes no role (a member who may install apps must not gain the four-eyes switch by it);
    the admins are told who installed again."""

    def success(args: SuccessArgs) -> Any:
        installation = args.installation
        with Session(deps.wiring.engine, expire_on_commit=False) as session:
            org = organisations.for_workspace(session, installation.team_id,
                                              installation.team_name or organisations.DEFAULT_NAME, adopt_unbound=False)
            admins = session.exec(select(Staff).where(Staff.organisation_id == org.id, Staff.is_admin)).all()
            if admins:
                _tell_admins_of_reinstall(deps, installation, admins, org.locale)
            else:
                staff = _staff(session, org, installation.user_id) or Staff(organisation_id=org.id,
                                                                            slack_user_id=installation.user_id)
                staff.is_admin = True
                session.add(staff)
                session.commit()
        return args.default.success(args)

    return success


def _tell_admins_of_reinstall(deps: SlackDeps, installation: Any, admins: list[Staff], locale: str) -> None:
    client = slack_client(installation.bot_token, deps.wiring.settings.slack_api_url)
    for admin in admins:
        try:
            client.chat_postMessage(channel=admin.slack_user_id,
                                    text=t("reinstalled", admin.locale or locale, user=f"<@{installation.user_id}>"))
        except SlackApiError as error:  # the installation itself succeeded; nobody else could be told
            log.warning("could not tell admin %s of a re-installation: %s", admin.slack_user_id, error.response.get("error"))


def _install_failed(args: Any) -> Any:
    log.warning("Slack installation failed: %s", args.reason)
    return args.default.failure(args)


def _staff(session: Session, org: Organisation, user_id: str) -> Staff | None:
    return session.exec(select(Staff).where(Staff.organisation_id == org.id, Staff.slack_user_id == user_id)).first()


def _known(session: Session, team_id: str, user_id: str) -> tuple[Organisation | None, Staff | None]:
    """The workspace's organisation and the user's staff row, if they exist, in one query."""
    found = session.exec(select(Organisation, Staff).outerjoin(Staff, and_(
        col(Staff.organisation_id) == Organisation.id, col(Staff.slack_user_id) == user_id))
        .where(Organisation.slack_team_id == team_id)).first()
    return (found[0], found[1]) if found else (None, None)


def _user_of(body: dict[str, Any], context: BoltContext) -> str | None:
    return context.user_id or (body.get("event") or {}).get("user")


def actor_middleware(deps: SlackDeps) -> Callable[..., Any]:
    """Loads organisation, staff member and language once per request. A workspace member
    becomes staff on first use; guests and bots are refused (fail closed)."""

    def middleware(body: dict[str, Any], context: BoltContext, client: WebClient, next: Callable[[], Any],
                   ack: Callable[..., Any] | None = None, respond: Callable[..., Any] | None = None) -> Any:
        user_id, team_id = _user_of(body, context), context.team_id
        REQUEST.set(f"team {team_id}, user {user_id}, {_what(body)}")
        if not user_id or not team_id:
            return next()
        with Session(deps.wiring.engine, expire_on_commit=False) as session:
            org, staff = _known(session, team_id, user_id)  # one query on every request before the ack
            if org is None:
                org = organisations.for_workspace(session, team_id, _team_name(body),
                                                  adopt_unbound=deps.installation_store is None)
            try:
                staff = staff or new_staff(session, org, user_id, client, deps)
            except SlackUnavailable:
                return _refuse(Refusal(org.locale, "slack_unavailable", body, user_id), ack, respond, client)
        if staff is None:
            return _refuse(Refusal(org.locale, "guest_refused", body, user_id), ack, respond, client)
        context["actor"] = Actor.of(staff)
        context["organisation"] = org
        context["locale"] = staff.locale or org.locale
        return next()

    return middleware


def _what(body: dict[str, Any]) -> str:
    """What the user did, for the log: the command, the element used, the form sent, the event."""
    kind = body.get("type") or ("command" if "command" in body else "request")
    detail = {"command": body.get("command"),
              "block_actions": next((a.get("action_id") for a in body.get("actions") or []), None),
              "block_suggestion": body.get("action_id"),
              "event_callback": (body.get("event") or {}).get("type")}.get(kind) \
        or (body.get("view") or {}).get("callback_id")
    return f"{kind} {detail}" if detail else kind


def _team_name(body: dict[str, Any]) -> str:
    """The workspace's domain as a first name for the organisation (admins set the real one)."""
    team = body.get("team") if isinstance(body.get("team"), dict) else {}
    return team.get("domain") or body.get("team_domain") or organisations.DEFAULT_NAME


class SlackUnavailable(Exception):
    """Slack could not tell who someone is right now (rate limit, outage): try again later."""


def new_staff(session: Session, org: Organisation, user_id: str, client: WebClient, deps: SlackDeps) -> Staff | None:
    """A workspace member as staff, with name and email from Slack; None for guests and bots."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        raise SlackUnavailable(error.response.get("error")) from error
    if user.get("is_bot") or user.get("is_restricted") or user.get("is_ultra_restricted"):
        return None
    profile = user.get("profile", {})
    staff = Staff(
        organisation_id=org.id, slack_user_id=user_id, name=profile.get("real_name") or user.get("name", user_id),
        email=profile.get("email"), is_admin=user_id in deps.wiring.settings.slack_admins,
    )
    session.add(staff)
    try:
        session.commit()
    except IntegrityError:  # the same person's first two requests at once: the other one won
        session.rollback()
        return _staff(session, org, user_id)
    return staff


@dataclass(frozen=True)
class Refusal:
    locale: str
    why: str
    body: dict[str, Any]
    user_id: str


def _refuse(refusal: Refusal, ack: Callable[..., Any] | None, respond: Callable[..., Any] | None,
            client: WebClient) -> BoltResponse:
    """Tells a refused user why, wherever they are: a submitted modal turns into the notice, a
    modal or App Home shows it, a command or message answers with it, anything else by DM. The
    answer to Slack is the acknowledgement (an event has none: a plain 200)."""
    text = t(refusal.why, refusal.locale)
    body = refusal.body
    if body.get("type") == "view_submission" and ack is not None:
        return ack(response_action="update", view=views.notice(refusal.locale, text))
    answer = ack() if ack is not None else BoltResponse(status=200, body="")
    _tell(refusal, text, respond, client)
    return answer


def _tell(refusal: Refusal, text: str, respond: Callable[..., Any] | None, client: WebClient) -> None:
    body = refusal.body
    view = body.get("view") or {}
    event = body.get("event") or {}
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral")
        elif view.get("id") and view.get("type") == "modal":
            client.views_update(view_id=view["id"], view=views.notice(refusal.locale, text))
        elif event.get("type") == "app_home_opened" or view.get("type") == "home":
            client.views_publish(user_id=refusal.user_id, view=views.refused_home(text))
        else:
            client.chat_postMessage(channel=refusal.user_id, text=text)
    except (SlackApiError, OSError) as error:  # nowhere left to say it
        log.info("could not tell a refused user why: %s", error)
