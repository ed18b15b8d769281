"""Block Kit view builders: pure functions from use-case results to modals, messages and the
Home tab, in the reader's language. Every id comes from `bot.slack.ids`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from bot.providers.registry import display_name
from bot.slack.blocks import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    cut,
    divider,
    escape,
    header,
    input_block,
    message,
    modal,
    option,
    plain,
    section,
)
from bot.slack.ids import Action, Callback
from bot.slack.ids import Block as B
from bot.slack.texts import t
from domain.actors import Actor
from domain.costs import format_euro
from domain.dispatch import ButtonState, Row, letter_problem_line
from domain.messages import Message
from domain.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    Contact,
    Event,
    LetterState,
    Organisation,
    Preference,
    Role,
    SerialLetter,
)
from domain.recipients import RecipientFilter
from domain.services.dispatch import DispatchSummary
from domain.services.documents import OverviewPage

ROWS_PER_PAGE = 25
FAILING_SHOWN = 8


class ViewMeta(BaseModel):
    """What a modal remembers in `private_metadata`: the serial letter, its version when shown,
    the overview page, and the contact whose paper decision is explained."""

    serial_id: int
    version: int | None = None
    page: int = 0
    why: int | None = None
    letters: int | None = None  # the dispatch summary the user saw, for an approval request
    cost_cents: int | None = None


def meta_of(view: dict[str, Any]) -> ViewMeta:
    return ViewMeta.model_validate_json(view.get("private_metadata") or "{}")


def state_text(state: LetterState, locale: str) -> str:
    return Message(f"state.{state.value}").render(locale)


STATE_ICON = {
    LetterState.DRAFT: "📝", LetterState.RELEASED: "🌐", LetterState.DISPATCH_ORDERED: "📮",
    LetterState.WITH_PROVIDER: "🖨️", LetterState.PRINTED: "🖨️", LetterState.POSTED: "✅",
    LetterState.CANCELLED: "↩️", LetterState.FAILED: "❌", LetterState.DELETED: "🗑️",
}


# --- small views ------------------------------------------------------------------------------


def loading(locale: str, title_key: str = "title.serial") -> dict[str, Any]:
    return modal(t(title_key, locale), [section(t("loading", locale))], callback_id=Callback.NOTICE, close=t("close", locale))


def notice(locale: str, text: str, title_key: str = "title.notice") -> dict[str, Any]:
    return modal(t(title_key, locale), [section(text)], callback_id=Callback.NOTICE, close=t("close", locale))


def help_message(locale: str) -> dict[str, Any]:
    return message(t("help.text", locale), [section(t("help.text", locale))])


def ephemeral(text: str) -> dict[str, Any]:
    return message(text, [section(text)])


# --- picker -----------------------------------------------------------------------------------


def picker(serials: list[SerialLetter], locale: str) -> dict[str, Any]:
    new = button(t("button.new_serial", locale), Action.NEW_SERIAL, style="primary")
    if not serials:
        blocks = [section(t("picker.none", locale)), actions(new, block_id="picker_new")]
        return modal(t("title.picker", locale), blocks, callback_id=Callback.PICKER, close=t("close", locale))
    choices = [option(f"#{s.id} {s.title}", str(s.id), state_text(s.state, locale)) for s in serials[:100]]
    select = {"type": "static_select", "action_id": Action.PICK_SERIAL, "options": choices,
              "placeholder": plain(t("picker.placeholder", locale), 150)}
    blocks = [section(t("picker.intro", locale)), actions(select), actions(new, block_id="picker_new")]
    return modal(t("title.picker", locale), blocks, callback_id=Callback.PICKER, close=t("close", locale))


# --- the serial letter and its overview (seed steps 1–2) --------------------------------------


def serial_modal(page: OverviewPage, actor: Actor, locale: str, notice_text: str = "") -> dict[str, Any]:
    serial = page.serial
    document_types = serial.document_types
    blocks: list[Block] = [section(escape(notice_text))] if notice_text else []
    blocks.append(header(cut(serial.title, 150)))
    blocks.append(section(t("serial.facts", locale, property=escape(page.property_name),
                            state=f"{STATE_ICON[serial.state]} {state_text(serial.state, locale)}",
                            types=escape(", ".join(document_types)), attachments=len(page.attachments))))
    blocks.append(context(t("serial.counts", locale, rows=page.total_rows, contacts=page.contacts,
                            registered=page.registered, checked=page.checked)))
    if serial.state is LetterState.DRAFT and page.checked < 2:
        blocks.append(context(t("serial.check_first", locale, checked=page.checked)))
    blocks.append(_serial_actions(serial, actor, locale))
    blocks.append(divider())
    blocks += [_row_block(row, page, document_types, locale) for row in page.rows]
    if not page.rows:
        blocks.append(section(t("serial.no_rows", locale)))
    blocks.append(_pager(page, locale))
    meta = ViewMeta(serial_id=serial.id, version=serial.version, page=page.page)
    return modal(t("title.serial", locale), blocks, callback_id=Callback.SERIAL, close=t("close", locale), metadata=meta)


def _serial_actions(serial: SerialLetter, actor: Actor, locale: str) -> Block:
    value = str(serial.id)
    is_admin = Role.ADMIN in actor.roles
    own_draft = serial.state is LetterState.DRAFT and (is_admin or serial.created_by == actor.staff_id)
    elements = []
    if serial.state is LetterState.DRAFT:
        elements.append(button(t("button.documents", locale), Action.OPEN_DOCUMENTS, value))
    if own_draft:
        elements.append(button(t("button.rename", locale), Action.OPEN_RENAME, value))
    if serial.state in (LetterState.DRAFT, LetterState.RELEASED):
        elements.append(button(t("button.release", locale), Action.OPEN_RELEASE, value,
                               style="primary" if serial.state is LetterState.DRAFT else None))
    if serial.state is not LetterState.DRAFT and serial.state is not LetterState.DELETED:
        elements.append(button(t("button.dispatch", locale), Action.OPEN_DISPATCH, value,
                               style="primary" if serial.state is LetterState.RELEASED else None))
    elements.append(button(t("button.previews", locale), Action.SHOW_PREVIEWS, value))
    if is_admin and serial.state is not LetterState.DELETED:
        elements.append(button(t("button.delete", locale), Action.OPEN_DELETE, value, style="danger"))
    elif own_draft:
        elements.append(button(t("button.delete_draft", locale), Action.OPEN_DELETE, value, style="danger"))
    return actions(*elements, block_id="serial_actions")


def _row_block(row: Row, page: OverviewPage, document_types: list[str], locale: str) -> Block:
    contact = row.contact
    relation = t(f"relation.{row.relation.value}", locale)
    status = t("row.registered" if contact.portal_registered else "row.unregistered", locale)
    preference = t("preference.online" if contact.preference is Preference.ONLINE else "preference.letter", locale)
    facts = [status, t("row.preference", locale, preference=preference)]
    if contact.address is None:
        facts.append(t("row.no_address", locale))
    if row.unit.id in page.released_units:
        facts.append(t("row.in_portal", locale))
    if row.unit.id not in page.units_with_documents:
        facts.append(t("row.no_document", locale))
    if row.downloads:
        facts.append(t("row.checked", locale, times=row.downloads))
    text = f"*{escape(row.unit.label)}* · {escape(contact.name)} · {relation}\n" + " · ".join(facts)
    return section(text, accessory=_row_menu(row, page, document_types, locale), block_id=f"row_{row.letter_id}")


def _row_menu(row: Row, page: OverviewPage, document_types: list[str], locale: str) -> dict[str, Any] | None:
    """Download the print file or one document type; withdraw the unit from the portal. Slack's
    overflow menu needs 2–5 options: one choice is a button, more than five a select."""
    choices = []
    if row.unit.id in page.units_with_documents:
        choices.append(option(t("row.print_file", locale), f"print:{row.letter_id}"))
        choices += [option(t("row.document", locale, type=kind), f"doc:{row.letter_id}:{index}")
                    for index, kind in enumerate(document_types)]
    if row.unit.id in page.released_units:
        choices.append(option(t("row.unrelease", locale, unit=row.unit.label), f"unrelease:{row.letter_id}"))
    if not choices:
        return None
    if len(choices) == 1:
        return button(choices[0]["text"]["text"], Action.ROW_MENU, choices[0]["value"])
    if len(choices) <= 5:
        return {"type": "overflow", "action_id": Action.ROW_MENU, "options": choices}
    return {"type": "static_select", "action_id": Action.ROW_MENU, "options": choices[:100],
            "placeholder": plain(t("row.menu", locale), 150)}


def _pager(page: OverviewPage, locale: str) -> Block:
    elements = []
    if page.page > 0:
        elements.append(button(t("page.previous", locale), Action.PAGE_PREVIOUS, str(page.page - 1)))
    if page.page + 1 < page.pages:
        elements.append(button(t("page.next", locale), Action.PAGE_NEXT, str(page.page + 1)))
    elements.append({"type": "external_select", "action_id": Action.FIND_CONTACT, "min_query_length": 1,
                     "placeholder": plain(t("page.find", locale, page=page.page + 1, pages=page.pages), 150)})
    return actions(*elements, block_id="pager")


# --- release (seed step 3) --------------------------------------------------------------------


def release_modal(page: OverviewPage, approval_needed: bool, locale: str) -> dict[str, Any]:
    units = len(page.units_with_documents - page.released_units)
    blocks = [section(t("release.summary", locale, title=escape(page.serial.title), units=units,
                        contacts=page.contacts, registered=page.registered))]
    if page.checked < 2:
        blocks.append(section(t("release.check_warning", locale, checked=page.checked)))
    notify = option(t("release.notify", locale), "notify", t("release.notify_hint", locale))
    checkbox = {"type": "checkboxes", "action_id": "notify", "options": [notify], "initial_options": [notify]}
    blocks.append(input_block(t("release.email", locale), checkbox, B.NOTIFY, optional=True))
    if approval_needed:
        blocks.append(context(t("release.approval", locale)))
    submit = t("submit.request" if approval_needed else "submit.release", locale)
    meta = ViewMeta(serial_id=page.serial.id, version=page.serial.version)
    return modal(t("title.release", locale), blocks, callback_id=Callback.RELEASE, close=t("cancel", locale),
                 submit=submit, metadata=meta)


def notify_checked(view: dict[str, Any]) -> bool:
    values = view.get("state", {}).get("values", {}).get(B.NOTIFY, {}).get("notify", {})
    return any(item.get("value") == "notify" for item in values.get("selected_options") or [])


# --- dispatch (seed steps 5–11) ----------------------------------------------------------------

FILTERS = [RecipientFilter.ALL, RecipientFilter.BY_PREFERENCE, RecipientFilter.UNREGISTERED]
OPTION_KEYS = ["merge", "registered", "colour", "duplex", "optimise_duplex", "cover_sheet"]


def dispatch_modal(summary: DispatchSummary | None, serial: SerialLetter, why: int | None, locale: str,
                   notice_text: str = "") -> dict[str, Any]:
    """`summary` None: still computing."""
    options = summary.plan.options if summary else None
    contacts = summary.plan.contacts if summary else {}
    blocks: list[Block] = []
    if notice_text:
        blocks.append(section(notice_text))
    if options is not None:
        blocks += _dispatch_controls(summary, contacts, locale)
        blocks += _dispatch_figures(summary, locale)
        if why is not None and why in summary.plan.decisions and why in contacts:
            decision = summary.plan.decisions[why]
            blocks.append(context(t("dispatch.why_line", locale, name=escape(contacts[why].name), reason=decision.message.render(locale))))
        blocks += _order_block(summary, locale)
    else:
        blocks.append(section(t("dispatch.computing", locale)))
    meta = ViewMeta(serial_id=serial.id, version=serial.version, why=why,
                    letters=len(summary.plan.letters) if summary else None,
                    cost_cents=summary.plan.cost_cents if summary else None)
    return modal(t("title.dispatch", locale), blocks, callback_id=Callback.DISPATCH, close=t("close", locale),
                 metadata=meta)


def _dispatch_controls(summary: DispatchSummary, contacts: dict[int, Contact], locale: str) -> list[Block]:
    options = summary.plan.options
    filters = [option(t(f"filter.{f.value}", locale), f.value, t(f"filter.{f.value}.hint", locale)) for f in FILTERS]
    radio = {"type": "radio_buttons", "action_id": Action.FILTER, "options": filters,
             "initial_option": filters[FILTERS.index(options.filter)]}
    checks = [option(t(f"option.{key}", locale), key, t(f"option.{key}.hint", locale)) for key in OPTION_KEYS
              if key != "registered" or summary.capabilities.registered]
    chosen = [item for item in checks if getattr(options, item["value"])]
    boxes = {"type": "checkboxes", "action_id": Action.OPTIONS, "options": checks}
    if chosen:
        boxes["initial_options"] = chosen
    send_on: dict[str, Any] = {"type": "datepicker", "action_id": Action.SEND_ON,
                               "placeholder": plain(t("option.send_on", locale), 150)}
    timing = [send_on]
    if options.send_on is not None:
        send_on["initial_date"] = options.send_on.isoformat()
        timing.append(button(t("button.send_now", locale), Action.SEND_NOW))
    blocks = [section(t("dispatch.filter", locale)), actions(radio, block_id="filter"),
              section(t("dispatch.options", locale)), actions(boxes, block_id="options"),
              actions(*timing, block_id="send_on")]
    if summary.capabilities.registered_reason is not None:
        blocks.append(context(escape(summary.capabilities.registered_reason.render(locale))))
    elif not summary.capabilities.registered:
        blocks.append(context(t("dispatch.no_registered", locale, contact=escape(summary.contact_text or "–"))))
    blocks.append(section(t("dispatch.individual", locale)))
    blocks.append(actions(_contact_select(Action.TICK, options.ticked, contacts, t("dispatch.tick", locale)),
                          _contact_select(Action.UNTICK, options.unticked, contacts, t("dispatch.untick", locale)),
                          _contact_select(Action.WHY, [], contacts, t("dispatch.why", locale), multi=False),
                          block_id="individual"))
    hidden = max(0, len(options.ticked) - 100) + max(0, len(options.unticked) - 100)
    if hidden:
        blocks.append(context(t("dispatch.more_selected", locale, count=hidden)))
    return blocks


def _contact_select(action_id: str, selected: list[int], contacts: dict[int, Contact], placeholder: str,
                    multi: bool = True) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_external_select" if multi else "external_select",
                               "action_id": action_id, "min_query_length": 0, "placeholder": plain(placeholder, 150)}
    initial = [option(contacts[cid].name, str(cid)) for cid in selected[:100] if cid in contacts]
    if initial:
        element["initial_options"] = initial
    return element


def _dispatch_figures(summary: DispatchSummary, locale: str) -> list[Block]:
    plan = summary.plan
    paper = sum(1 for d in plan.decisions.values() if d.gets_paper)
    fields = [
        t("figure.recipients", locale, paper=paper, contacts=len(plan.decisions)),
        t("figure.letters", locale, letters=len(plan.letters), failing=len(plan.failing)),
        t("figure.pages", locale, pages=plan.pages, sheets=plan.sheets),
        t("figure.blanks", locale, blanks=plan.blank_pages, covers=plan.cover_sheets),
        t("figure.cost", locale, cost=format_euro(plan.cost_cents, locale)),
    ]
    if plan.letters and all(letter.cost and letter.cost.quoted for letter in plan.letters):
        fields[-1] += " " + t("figure.cost_quoted", locale)
    blocks = [divider(), section(t("dispatch.summary", locale), fields=fields)]
    unreached = plan.unreached
    if unreached:  # no letter, no portal: only the user can still reach them
        names = ", ".join(escape(contact.name) for contact in unreached[:FAILING_SHOWN])
        if len(unreached) > FAILING_SHOWN:
            names += " " + t("dispatch.more_failing", locale, count=len(unreached) - FAILING_SHOWN)
        blocks.append(section(t("dispatch.unreached", locale, count=len(unreached), names=names)))
    failing = plan.failing
    if failing:
        lines = [f"• {escape(letter_problem_line(letter).render(locale))}" for letter in failing[:FAILING_SHOWN]]
        if len(failing) > FAILING_SHOWN:
            lines.append(t("dispatch.more_failing", locale, count=len(failing) - FAILING_SHOWN))
        blocks.append(section(t("dispatch.failing", locale, count=len(failing)) + "\n" + "\n".join(lines)))
    advised = plan.advised
    if advised:  # shown, but they cost nothing and hold nothing back
        lines = [f"• {escape(letter_problem_line(letter, blocking=False).render(locale))}"
                 for letter in advised[:FAILING_SHOWN]]
        if len(advised) > FAILING_SHOWN:
            lines.append(t("dispatch.more_failing", locale, count=len(advised) - FAILING_SHOWN))
        blocks.append(section(t("dispatch.advised", locale, count=len(advised)) + "\n" + "\n".join(lines)))
    return blocks


def _order_block(summary: DispatchSummary, locale: str) -> list[Block]:
    """The order button in its four states (seed step 11)."""
    value = f"{summary.serial.id}:{summary.serial.version}"
    reasons = " ".join(reason.render(locale) for reason in summary.reasons[:1])
    link = button(t("button.link", locale), Action.REQUEST_LINK, str(summary.serial.id))
    if summary.button is ButtonState.GREEN:
        confirm = confirm_dialog(t("order.confirm_title", locale),
                                 t("order.confirm_text", locale, letters=len(summary.plan.letters),
                                   cost=format_euro(summary.plan.cost_cents, locale)),
                                 t("order.confirm", locale), t("cancel", locale))
        order = button(t("button.order", locale), Action.ORDER, value, style="primary", confirm=confirm)
        return [divider(), actions(order, link, block_id="order"), context(f"🟢 {reasons}")]
    if summary.button is ButtonState.RED:
        confirm = confirm_dialog(t("cancel.confirm_title", locale), t("cancel.confirm_text", locale),
                                 t("cancel.confirm", locale), t("cancel.keep", locale), danger=True)
        cancel = button(t("button.cancel_dispatch", locale), Action.CANCEL, value, style="danger", confirm=confirm)
        return [divider(), actions(cancel, link, block_id="order"), context(f"🔴 {reasons}")]
    if summary.button is ButtonState.YELLOW:
        unavailable = button(t("button.unavailable", locale), Action.UNAVAILABLE, str(summary.serial.id))
        return [divider(), actions(unavailable, link, block_id="order"), context(f"🟡 {reasons}")]
    lines = [reason.render(locale) for reason in summary.reasons[:1]]
    return [divider(), actions(link, block_id="order"), context(f"🚫 {t('order.disabled', locale)} {escape(' '.join(lines))}")]


def contact_options(rows: list[Row], locale: str) -> dict[str, Any]:
    """Options for the contact pickers: name, units, paper status in the description."""
    return {"options": [option(row.contact.name, str(row.contact.id), row.unit.label) for row in rows[:100]]}


# --- documents, delete, settings --------------------------------------------------------------


def delete_modal(serial: SerialLetter, locale: str) -> dict[str, Any]:
    blocks = [section(t("delete.text", locale, title=escape(serial.title)))]
    meta = ViewMeta(serial_id=serial.id, version=serial.version)
    return modal(t("title.delete", locale), blocks, callback_id=Callback.DELETE, close=t("cancel", locale),
                 submit=t("submit.delete", locale), metadata=meta)


def settings_modal(org: Organisation, admins: list[str], managers: list[str], providers: list[str], locale: str) -> dict[str, Any]:
    provider_options = [option(display_name(key, locale), key) for key in providers]
    current = next((o for o in provider_options if o["value"] == org.provider), None)
    provider_select: dict[str, Any] = {"type": "static_select", "action_id": "provider", "options": provider_options}
    if current:
        provider_select["initial_option"] = current
    approval = option(t("settings.approval_on", locale), "on")
    approval_box: dict[str, Any] = {"type": "checkboxes", "action_id": "approval", "options": [approval]}
    if org.manager_approval:
        approval_box["initial_options"] = [approval]
    languages = [option("Deutsch", "de"), option("English", "en")]
    channel: dict[str, Any] = {"type": "conversations_select", "action_id": "channel",
                               "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if org.notify_channel:
        channel["initial_conversation"] = org.notify_channel
    admins_select: dict[str, Any] = {"type": "multi_users_select", "action_id": "admins"}
    if admins:
        admins_select["initial_users"] = admins
    managers_select: dict[str, Any] = {"type": "multi_users_select", "action_id": "managers"}
    if managers:
        managers_select["initial_users"] = managers
    blocks = [
        input_block(t("settings.org_name", locale), {"type": "plain_text_input", "action_id": "value", "max_length": 150,
                    "initial_value": org.name}, B.ORG_NAME),
        input_block(t("settings.return_line", locale), {"type": "plain_text_input", "action_id": "value", "max_length": 120,
                    **({"initial_value": org.return_line} if org.return_line else {})}, B.RETURN_LINE, optional=True,
                    hint=t("settings.return_line_hint", locale)),
        input_block(t("settings.sender_name", locale), {"type": "plain_text_input", "action_id": "value", "max_length": 150,
                    **({"initial_value": org.sender_name} if org.sender_name else {})}, B.SENDER_NAME, optional=True,
                    hint=t("settings.sender_hint", locale)),
        input_block(t("settings.sender_email", locale), {"type": "email_text_input", "action_id": "value",
                    "initial_value": org.sender_email}, B.SENDER_EMAIL),
        input_block(t("settings.reply_to", locale), {"type": "email_text_input", "action_id": "value",
                    **({"initial_value": org.reply_to} if org.reply_to else {})}, B.REPLY_TO, optional=True),
        input_block(t("settings.admins", locale), admins_select, B.ADMINS),
        input_block(t("settings.managers", locale), managers_select, B.MANAGERS, optional=True),
        input_block(t("settings.channel", locale), channel, B.CHANNEL, optional=True, hint=t("settings.channel_hint", locale)),
        input_block(t("settings.approval", locale), approval_box, B.APPROVAL, optional=True),
        input_block(t("settings.provider", locale), provider_select, B.PROVIDER),
        input_block(t("settings.contact_text", locale), {"type": "plain_text_input", "action_id": "contact_text",
                    "initial_value": org.provider_contact_text, "max_length": 300}, B.CONTACT_TEXT,
                    optional=True, hint=t("settings.contact_text_hint", locale)),
        input_block(t("settings.locale", locale), {"type": "static_select", "action_id": "locale", "options": languages,
                    "initial_option": languages[0 if org.locale == "de" else 1]}, B.LOCALE),
    ]
    return modal(t("title.settings", locale), blocks, callback_id=Callback.SETTINGS, close=t("cancel", locale),
                 submit=t("submit.save", locale))


# --- App Home ---------------------------------------------------------------------------------


def refused_home(text: str) -> dict[str, Any]:
    return {"type": "home", "blocks": [header("briefwerk"), section(text)]}


def home(serials: list[SerialLetter], is_admin: bool, locale: str, admin_blocks: list[Block] | None = None) -> dict[str, Any]:
    """`admin_blocks`: what only admins see below their buttons (sender hint, recent imports)."""
    blocks: list[Block] = [header("briefwerk"), section(t("home.intro", locale))]
    new = button(t("button.new_serial", locale), Action.NEW_SERIAL, style="primary")
    if is_admin:
        blocks.append(actions(new, button(t("button.import", locale), Action.OPEN_IMPORT),
                              button(t("button.api_keys", locale), Action.OPEN_API_KEYS),
                              button(t("button.settings", locale), Action.OPEN_SETTINGS), _language_select(locale),
                              block_id="home_admin"))
        blocks += admin_blocks or []
    else:
        blocks.append(actions(new, _language_select(locale), block_id="home_user"))
    blocks.append(divider())
    if not serials:
        blocks.append(section(t("home.none", locale)))
    for serial in serials[:30 if is_admin else 40]:
        text = (f"*#{serial.id} {escape(serial.title)}*\n{STATE_ICON[serial.state]} {state_text(serial.state, locale)}"
                f" · {t(f'next.{serial.state.value}', locale)}")
        blocks.append(section(text, accessory=button(t("button.open", locale), Action.OPEN_SERIAL, str(serial.id)),
                              block_id=f"home_{serial.id}"))
    return {"type": "home", "blocks": blocks[:100]}


def _language_select(locale: str) -> dict[str, Any]:
    languages = [option("Deutsch", "de"), option("English", "en")]
    return {"type": "static_select", "action_id": Action.SET_LANGUAGE, "options": languages,
            "initial_option": languages[0 if locale == "de" else 1]}


# --- approvals --------------------------------------------------------------------------------


def approval_prompt(approval: Approval, serial: SerialLetter, requester: str, decider: str | None, locale: str) -> dict[str, Any]:
    kind = t(f"approval.kind.{approval.kind.value}", locale)
    details = _approval_details(approval, locale)
    text = t("approval.asked", locale, requester=requester, kind=kind, title=escape(serial.title), id=serial.id)
    blocks: list[Block] = [section(f"{text}\n{details}" if details else text)]
    if approval.state is ApprovalState.PENDING:
        value = str(approval.id)
        blocks.append(actions(button(t("button.approve", locale), Action.APPROVE, value, style="primary"),
                              button(t("button.reject", locale), Action.REJECT, value, style="danger"),
                              block_id=f"approval_{approval.id}"))
    else:
        blocks.append(context(t(f"approval.{approval.state.value}", locale, who=decider or "–")
                              + (f" · {escape(approval.outcome)}" if approval.outcome else "")))
    return message(text, blocks)


def _approval_details(approval: Approval, locale: str) -> str:
    payload = approval.payload
    if approval.kind is ApprovalKind.RELEASE:
        return t("approval.notify_yes" if payload.get("notify") else "approval.notify_no", locale)
    if approval.kind is ApprovalKind.ORDER and payload.get("letters") is not None:
        return t("approval.order_details", locale, letters=payload["letters"], cost=format_euro(payload.get("cost_cents", 0), locale))
    return ""


# --- the notification thread ------------------------------------------------------------------


def thread_parent(serial: SerialLetter, property_name: str, locale: str) -> dict[str, Any]:
    text = t("thread.parent", locale, id=serial.id, title=escape(serial.title), property=escape(property_name),
             state=state_text(serial.state, locale))
    blocks = [section(f"{STATE_ICON[serial.state]} " + t("thread.parent", locale, id=serial.id, title=escape(serial.title),
                                                          property=escape(property_name), state=f"*{state_text(serial.state, locale)}*"))]
    return message(text, blocks)


def thread_reply(event: Event, locale: str) -> dict[str, Any]:
    text = escape(event_text(event, locale))  # file names and titles: no mention, link or formatting
    return message(text, [context(text)])


WORDS = {"request": "approval.{}", "decision": "approval.state.{}"}  # event data stored as keys, shown as words


def event_text(event: Event, locale: str) -> str:
    key = f"event.{event.kind}"
    facts = {k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in (event.data or {}).items()
             if isinstance(v, (str, int, float, list))}
    for name, pattern in WORDS.items():
        if name in facts:
            facts[name] = Message(pattern.format(facts[name])).render(locale)
    facts.setdefault("who", event.actor or "briefwerk")
    try:
        return t(key, locale, **facts)
    except (KeyError, IndexError):
        return t("event.other", locale, kind=event.kind, who=facts["who"], data=json.dumps(event.data, ensure_ascii=False)[:500])
