"""Every action id, callback id and command the app knows, in one place."""

from enum import StrEnum


class Command(StrEnum):
    SERIENBRIEF = "/serienbrief"


class Callback(StrEnum):
    PICKER = "bw_picker"
    SERIAL = "bw_serial"
    RELEASE = "bw_release"
    DISPATCH = "bw_dispatch"
    DOCUMENTS = "bw_documents"
    SETTINGS = "bw_settings"
    DELETE = "bw_delete"
    LINK = "bw_link"
    NOTICE = "bw_notice"


class Action(StrEnum):
    # picker and home
    PICK_SERIAL = "pick_serial"
    OPEN_SERIAL = "open_serial"
    OPEN_SETTINGS = "open_settings"
    SET_LANGUAGE = "set_language"
    # overview
    ROW_MENU = "row_menu"
    PAGE_PREVIOUS = "page_previous"
    PAGE_NEXT = "page_next"
    FIND_CONTACT = "find_contact"
    OPEN_RELEASE = "open_release"
    OPEN_DISPATCH = "open_dispatch"
    OPEN_DOCUMENTS = "open_documents"
    OPEN_DELETE = "open_delete"
    # dispatch
    FILTER = "dispatch_filter"
    OPTIONS = "dispatch_options"
    TICK = "dispatch_tick"
    UNTICK = "dispatch_untick"
    WHY = "dispatch_why"
    ORDER = "order_dispatch"
    CANCEL = "cancel_dispatch"
    UNAVAILABLE = "feature_unavailable"
    REQUEST_LINK = "request_link"
    SHOW_PREVIEWS = "show_previews"
    SEND_ON = "dispatch_send_on"
    SEND_NOW = "dispatch_send_now"
    # approvals
    APPROVE = "approve"
    REJECT = "reject"


class Block(StrEnum):
    """Block ids whose values handlers read back from `view.state`."""

    NOTIFY = "notify"
    FILE = "file"
    DOCUMENT_TYPE = "document_type"
    SPLIT_METHOD = "split_method"
    SPLIT_VALUE = "split_value"
    ADMINS = "admins"
    MANAGERS = "managers"
    CHANNEL = "channel"
    APPROVAL = "approval"
    PROVIDER = "provider"
    CONTACT_TEXT = "contact_text"
    LOCALE = "locale"
