"""What a Pingen account offers briefwerk's options."""

from __future__ import annotations

from bot.providers.pingen.profile import PROFILE
from bot.providers.pingen.settings import PingenConfig
from domain.messages import Message
from domain.ports import Capabilities


# Pingen's registered products and their meta_data (sender and recipient) are described for
# Switzerland only (pingen2-sdk-php LetterMetaData*Attributes.php, checked 2026-11-30); a German
# Einschreiben through Pingen is unconfirmed, so it is offered only to a Swiss home country.
REGISTERED_COUNTRIES = frozenset({"CH"})


def capabilities(config: PingenConfig) -> Capabilities:
    allowed = config.home_country in REGISTERED_COUNTRIES
    reason = None if allowed else Message("provider.registered_country_only", {
        "provider": "Pingen", "countries": ", ".join(sorted(REGISTERED_COUNTRIES))})
    return Capabilities(
        available=True, registered=config.registered and allowed and config.sender is not None,
        colour=True, duplex=True, countries=None, cancel_window=Message("cancel_window.until_printing"), profile=PROFILE.key,
        cancel_confirmed_later=True, registered_reason=reason,
    )
