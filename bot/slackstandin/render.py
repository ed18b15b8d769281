"""Plain-text renderings of messages, modals and the Home tab, so a transcript of a demo or a
failing test shows what users would have seen in Slack (German umlauts untouched)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.slackstandin.server import RecordedCall

RULE = "─" * 40
LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def render_text(subject: Any, names: Mapping[str, str] | None = None) -> str:
    """Blocks, a view (modal/home) or a message (text/blocks/files) as readable text."""
    names = names or {}
    if isinstance(subject, list):
        return "\n".join(render_blocks(subject, names))
    if isinstance(subject, Mapping) and subject.get("type") in ("modal", "home"):
        return "\n".join(render_view(subject, names))
    if isinstance(subject, Mapping) and ("blocks" in subject or "text" in subject
                                         or "files" in subject):
        return "\n".join(render_message(subject, names))
    if isinstance(subject, Mapping) and "type" in subject:
        return "\n".join(render_blocks([subject], names))
    return str(subject)


def render_message(message: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """The blocks if there are any (that is what people see), else the text."""
    blocks = message.get("blocks") or []
    lines = render_blocks(blocks, names) if blocks else mrkdwn(message.get("text") or "",
                                                                names).splitlines()
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, Mapping):
            inner = render_blocks(attachment.get("blocks") or [], names) or \
                mrkdwn(str(attachment.get("text") or attachment.get("fallback") or ""),
                       names).splitlines()
            lines += ["┃ " + line for line in inner]
    for file in message.get("files") or []:
        if isinstance(file, Mapping):
            lines.append(f"[file: {file.get('title') or file.get('name')}]")
    return lines


def render_view(view: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """A modal with its title and buttons, or a Home tab, framed so it stands out."""
    body = ["  " + line if line else "" for line in render_blocks(view.get("blocks") or [], names)]
    if view.get("type") == "home":
        return ["[Home tab]"] + body
    title = plain(view.get("title"))
    buttons = []
    if view.get("close") or view.get("submit"):
        buttons.append(f"[{plain(view.get('close')) or 'Cancel'}]")
    if view.get("submit"):
        buttons.append(f"[{plain(view.get('submit'))}]")
    footer = ["  " + "  ".join(buttons)] if buttons else []
    return [f"[Modal] {title}", "  " + "─" * max(len(title), 8)] + body + footer


def render_blocks(blocks: Iterable[Any], names: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Mapping):
            renderer = BLOCK_RENDERERS.get(str(block.get("type")), _unknown_block)
            lines += renderer(block, names)
    return lines


# ---------------------------------------------------------------- text


def plain(obj: Any) -> str:
    """The text of a text object (or a string), without markup conversion."""
    if isinstance(obj, Mapping):
        return str(obj.get("text") or "")
    return "" if obj is None else str(obj)


def mrkdwn(text: str, names: Mapping[str, str]) -> str:
    """Slack's mrkdwn links and mentions as people read them; *bold*/_italic_ stay."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return names.get(target[1:], label or target)
        if target.startswith("#"):
            return f"#{label}" if label else names.get(target[1:], target)
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(LINK.sub(replace, text))


def _text(obj: Any, names: Mapping[str, str]) -> str:
    if isinstance(obj, Mapping) and obj.get("type") == "mrkdwn":
        return mrkdwn(plain(obj), names)
    return plain(obj)


# ---------------------------------------------------------------- blocks


def _section(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    lines = _text(block.get("text"), names).splitlines() if block.get("text") else []
    fields = [_text(f, names).replace("\n", " ") for f in block.get("fields") or []]
    for left, right in zip(fields[::2], fields[1::2] + [""]):
        lines.append(f"{left:<32}  {right}".rstrip() if right else left)
    if isinstance(block.get("accessory"), Mapping):
        lines += ["    " + line for line in render_element(block["accessory"], names)]
    return lines


def _header(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    text = plain(block.get("text"))
    return [text, "═" * len(text)]


def _divider(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    return [RULE]


def _context(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    parts = [f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else _text(e, names)
             for e in block.get("elements") or [] if isinstance(e, Mapping)]
    return ["  " + " · ".join(part.replace("\n", " ") for part in parts)]


def _actions(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    inline: list[str] = []
    lines: list[str] = []
    for element in block.get("elements") or []:
        rendered = render_element(element, names) if isinstance(element, Mapping) else []
        if len(rendered) == 1:
            inline.append(rendered[0])
        else:
            lines += rendered
    return (["  ".join(inline)] if inline else []) + lines


def _input(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    label = plain(block.get("label")) + (" (optional)" if block.get("optional") else "")
    element = block.get("element") if isinstance(block.get("element"), Mapping) else {}
    rendered = render_element(element, names)
    lines = [f"{label}: {rendered[0]}"] if len(rendered) == 1 else [f"{label}:"] + [
        "  " + line for line in rendered]
    if block.get("hint"):
        lines.append(f"  ({plain(block.get('hint'))})")
    return lines


def _image(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    title = plain(block.get("title"))
    return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]


def _rich_text(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for element in block.get("elements") or []:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "rich_text_list":
            bullet = "1." if element.get("style") == "ordered" else "•"
            items = element.get("elements") or []
            lines += [f"{bullet} {_rich_inline(item, names)}" for item in items]
        elif kind == "rich_text_quote":
            lines += ["> " + line for line in _rich_inline(element, names).splitlines()]
        else:
            lines += _rich_inline(element, names).splitlines()
    return lines


def _rich_inline(section: Any, names: Mapping[str, str]) -> str:
    out = []
    for item in section.get("elements") or [] if isinstance(section, Mapping) else []:
        kind = item.get("type")
        if kind == "text":
            out.append(item.get("text", ""))
        elif kind == "link":
            out.append(item.get("text") or item.get("url", ""))
        elif kind == "user":
            out.append(names.get(item.get("user_id", ""), "@" + item.get("user_id", "")))
        elif kind == "channel":
            out.append(names.get(item.get("channel_id", ""), "#" + item.get("channel_id", "")))
        elif kind == "emoji":
            out.append(f":{item.get('name', '')}:")
    return "".join(out)


def _markdown(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    return str(block.get("text") or "").splitlines()


def _table(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    rows = []
    for row in block.get("rows") or []:
        cells = [plain(c) if c.get("type") == "raw_text" else _rich_inline(
            (c.get("elements") or [{}])[0], names) for c in row if isinstance(c, Mapping)]
        rows.append(" | ".join(cells))
    return rows


def _unknown_block(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    kind = block.get("type")
    title = plain(block.get("title"))
    return [f"[{kind}{': ' + title if title else ''}]"]


BLOCK_RENDERERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], list[str]]] = {
    "section": _section,
    "header": _header,
    "divider": _divider,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
    "rich_text": _rich_text,
    "markdown": _markdown,
    "table": _table,
}


# ---------------------------------------------------------------- elements


def render_element(element: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """One element as one line (inline things) or several (checkboxes, radio buttons)."""
    kind = str(element.get("type"))
    if kind == "button":
        return [f"[{plain(element.get('text'))}]"]
    if kind == "overflow":
        labels = [plain(o.get("text")) for o in element.get("options") or []]
        return ["[⋯ " + " | ".join(labels) + "]"]
    if kind == "checkboxes":
        chosen = _values(element.get("initial_options"))
        return [f"[{'x' if o.get('value') in chosen else ' '}] {_text(o.get('text'), names)}"
                for o in element.get("options") or []]
    if kind == "radio_buttons":
        chosen = _values([element.get("initial_option")])
        return [f"({'•' if o.get('value') in chosen else ' '}) {_text(o.get('text'), names)}"
                for o in element.get("options") or []]
    if kind in ("static_select", "multi_static_select"):
        return [_static_select(element)]
    if kind.endswith("_select"):
        return [_picker_select(element, names)]
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input",
                "rich_text_input"):
        value = element.get("initial_value")
        return [str(value) if value else "____" + (" (multi-line)" if element.get("multiline")
                                                   else "")]
    if kind == "datepicker":
        shown = element.get("initial_date") or plain(element.get("placeholder")) or "—"
        return [f"[date: {shown} ▾]"]
    if kind == "timepicker":
        return [f"[time: {element.get('initial_time') or '—'} ▾]"]
    if kind == "file_input":
        types = ", ".join(element.get("filetypes") or []) or "any type"
        return [f"[choose up to {element.get('max_files', 10)} file(s): {types}]"]
    if kind == "image":
        return [f"[image: {element.get('alt_text', '')}]"]
    return [f"[{kind}]"]


def _values(options: Any) -> set[str]:
    return {o.get("value") for o in options or [] if isinstance(o, Mapping)}


def _static_select(element: Mapping[str, Any]) -> str:
    chosen = element.get("initial_option") or {}
    picked = [plain(o.get("text")) for o in element.get("initial_options") or []]
    shown = plain(chosen.get("text")) or ", ".join(picked) or plain(element.get("placeholder"))
    if element.get("option_groups"):
        offered = "; ".join(f"{plain(g.get('label'))}: " + " · ".join(
            plain(o.get("text")) for o in g.get("options") or [])
            for g in element["option_groups"])
    else:
        offered = " · ".join(plain(o.get("text")) for o in element.get("options") or [])
    return f"[{shown or 'choose'} ▾] ({offered})"


def _picker_select(element: Mapping[str, Any], names: Mapping[str, str]) -> str:
    kind = str(element.get("type"))
    initial = (element.get("initial_user") or element.get("initial_conversation")
               or element.get("initial_channel"))
    initials = (element.get("initial_users") or element.get("initial_conversations")
                or element.get("initial_channels") or [])
    chosen = [names.get(i, i) for i in ([initial] if initial else initials)]
    option = element.get("initial_option")
    if isinstance(option, Mapping):
        chosen = [plain(option.get("text"))]
    what = kind.replace("multi_", "").replace("_select", "")
    shown = ", ".join(chosen) or plain(element.get("placeholder")) or f"choose {what}"
    suffix = " (search)" if "external" in kind else ""
    return f"[{shown} ▾]{suffix}"


# ---------------------------------------------------------------- transcript


def render_call(call: RecordedCall, names: Mapping[str, str]) -> str | None:
    """What one recorded call meant for users, or None for calls nobody sees."""
    params = call.params
    where = names.get(str(params.get("channel") or call.channel or ""),
                      str(params.get("channel") or call.channel or ""))
    if not call.ok and call.method not in ("upload",):
        problems = "\n".join("    " + line for line in call.problems())
        return f"✗ REFUSED {call.method}: {call.error}" + (f"\n{problems}" if problems else "")
    renderer = CALL_RENDERERS.get(call.method)
    return renderer(call, where, names) if renderer else None


def _indented(lines: Iterable[str]) -> str:
    return "\n".join("    " + line if line else "" for line in lines)


def _posted(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
    thread = f" (in thread {call.params['thread_ts']})" if call.params.get("thread_ts") else ""
    return f"→ {where}{thread}:\n" + _indented(render_message(call.params, names))


def _ephemeral(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
    user = names.get(str(call.params.get("user")), str(call.params.get("user")))
    return f"→ {where}, only visible to {user}:\n" + _indented(render_message(call.params, names))


def _updated(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
    return f"✎ {where} message {call.params.get('ts')} now reads:\n" + _indented(
        render_message(call.params, names))


def _deleted(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
    return f"✗ {where} message {call.params.get('ts')} deleted"


def _view_shown(verb: str) -> Callable[[RecordedCall, str, Mapping[str, str]], str]:
    def show(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
        who = names.get(call.user or "", call.user or "the user")
        view = call.response.get("view") or call.params.get("view") or {}
        return f"⧉ {verb} for {who}:\n" + _indented(render_view(view, names))
    return show


def _uploaded(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
    target = names.get(str(call.params.get("channel_id")), str(call.params.get("channel_id")
                                                                or "nobody (private)"))
    files = ", ".join(f"{f.get('title')} ({f.get('size')} bytes)"
                      for f in call.response.get("files") or [])
    comment = call.params.get("initial_comment")
    thread = f" (in thread {call.params['thread_ts']})" if call.params.get("thread_ts") else ""
    note = f"\n    {mrkdwn(comment, names)}" if comment else ""
    return f"→ {target}{thread}: file {files}{note}"


def _responded(call: RecordedCall, where: str, names: Mapping[str, str]) -> str:
    user = names.get(call.user or "", call.user or "")
    if call.params.get("delete_original") in (True, "true"):
        return f"↩ {where}: original message deleted (response_url)"
    if call.params.get("replace_original") in (True, "true"):
        how = "original message replaced"
    elif call.params.get("response_type") == "in_channel":
        how = "posted"
    else:
        how = f"only visible to {user}"
    return f"↩ {where}, {how}:\n" + _indented(render_message(call.params, names))


def _submission(call: RecordedCall, where: str, names: Mapping[str, str]) -> str | None:
    body = call.params.get("body") or {}
    action = body.get("response_action") if isinstance(body, Mapping) else None
    if action == "errors":
        return "⚠ form errors shown:\n" + _indented(f"{k}: {v}" for k, v in body["errors"].items())
    if action in ("update", "push"):
        return f"⧉ modal {action}d after submit:\n" + _indented(render_view(body["view"], names))
    return "⧉ modal closed" if action is None else "⧉ all modals closed"


CALL_RENDERERS: dict[str, Callable[[RecordedCall, str, Mapping[str, str]], str | None]] = {
    "chat.postMessage": _posted,
    "chat.postEphemeral": _ephemeral,
    "chat.update": _updated,
    "chat.delete": _deleted,
    "views.open": _view_shown("modal opened"),
    "views.push": _view_shown("modal pushed"),
    "views.update": _view_shown("modal updated"),
    "views.publish": _view_shown("Home tab published"),
    "files.completeUploadExternal": _uploaded,
    "response_url": _responded,
    "command.reply": _responded,
    "view_submission.response": _submission,
}
