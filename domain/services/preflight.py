"""Preflight as the use cases need it: the provider's profile, and a check of a planned letter
against the stored documents."""

from __future__ import annotations

from itertools import takewhile

from domain.dispatch import DispatchOptions, DocPart, LetterCheck, PlannedLetter
from domain.pdf.preflight import Preflight, PreflightReport
from domain.pdf.profiles import ProviderProfile, get_profile
from domain.models import Organisation
from domain.ports import Capabilities, FileStore, Ports


UNAVAILABLE = Capabilities(available=False)


def capabilities_of(ports: Ports, organisation: Organisation) -> Capabilities:
    """What the organisation's provider offers; without one, the yellow button."""
    provider = ports.provider(organisation.provider)
    return provider.capabilities if provider else UNAVAILABLE


def profile_for(capabilities: Capabilities) -> ProviderProfile:
    return get_profile(capabilities.profile)


def cover_pages(letter: PlannedLetter) -> int:
    """The cover sheet and its blank back, as `print_parts` put them before the documents."""
    return sum(part.page_count for part in takewhile(lambda part: not isinstance(part, DocPart), letter.parts))


def letter_check(preflight: Preflight, files: FileStore) -> LetterCheck:
    def check(letter: PlannedLetter, options: DispatchOptions) -> PreflightReport:
        paths = [files.local(part.path) for part in (*letter.documents, *letter.attachments)]
        return preflight.check_letter(
            paths, recipient=letter.contact.address, registered=options.registered,
            pages=letter.pages, cover_pages=cover_pages(letter),
        )

    return check
