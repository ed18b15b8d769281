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
    NEW_SERIAL = "bw_new_serial"  # step 1: property, title, document types
    NEW_SERIAL_FILES = "bw_new_serial_files"  # step 2: the files of each type and the attachments
    INTAKE_RESULT = "bw_intake_result"  # a split report, an upload's result or its conflict
    RENAME = "bw_rename"
    IMPORT = "bw_import"  # master data: the file
    IMPORT_CONFIRM = "bw_import_confirm"  # master data: the preview, submit applies it
    API_KEYS = "bw_api_keys"


class Action(StrEnum):
    # picker and home
    PICK_SERIAL = "pick_serial"
    OPEN_SERIAL = "open_serial"
    OPEN_SETTINGS = "open_settings"
    SET_LANGUAGE = "set_language"
    NEW_SERIAL = "new_serial"
    OPEN_IMPORT = "open_import"
    OPEN_API_KEYS = "open_api_keys"
    REVOKE_KEY = "revoke_key"
    # new serial letter and documents
    PROPERTY = "property"  # the searchable property select
    BACK_TO_FILES = "back_to_files"
    SHOW_OVERVIEW = "show_overview"
    TAKE_NEW = "conflict_take_new"  # units that already have a document: the new files win
    KEEP_EARLIER = "conflict_keep_earlier"
    OPEN_RENAME = "open_rename"
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
    PROPERTY = "property"
    TITLE = "title"
    TYPES = "types"
    RECIPIENTS = "recipients"
    ATTACHMENTS = "attachments"
    UPLOAD_MODE = "upload_mode"
    IMPORT_FILE = "import_file"
    KEY_NAME = "key_name"
    ORG_NAME = "org_name"
    RETURN_LINE = "return_line"
    SENDER_NAME = "sender_name"
    SENDER_EMAIL = "sender_email"
    REPLY_TO = "reply_to"

    @staticmethod
    def files_of(index: int) -> str:
        """The file input of the document type at `index` in the new serial letter's step 2."""
        return f"files_{index}"

    @staticmethod
    def method_of(index: int) -> str:
        return f"method_{index}"

    @staticmethod
    def setting_of(index: int) -> str:
        return f"setting_{index}"
