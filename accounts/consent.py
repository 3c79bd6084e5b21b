"""The biometric consent text, versioned. A new version makes every earlier grant stale:
customers must read and accept it again before face pay works for them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


@dataclass(frozen=True)
class ConsentText:
    version: str
    title: StrOrPromise
    sections: tuple[tuple[StrOrPromise, StrOrPromise], ...]  # (heading, paragraph)
    checkbox: StrOrPromise

    @property
    def sha256(self) -> str:
        """The fingerprint of the version's English text, the original the translations
        render: the same whichever language the customer read it in."""
        with translation.override("en"):
            sections = [f"{h}\n{p}" for h, p in self.sections]
            body = "\n".join([self.version, str(self.title), *sections])
            return hashlib.sha256((body + "\n" + str(self.checkbox)).encode()).hexdigest()

    def as_html(self) -> str:
        return "".join(f"<h2>{escape(h)}</h2><p>{escape(p)}</p>" for h, p in self.sections)


CONSENT_TEXTS: dict[str, ConsentText] = {
    "2026-11": ConsentText(
        version="2026-11",
        title=_("Paying with your face"),
        sections=(
            (
                _("What we store"),
                _(
                    "When you enroll, we take 3 to 5 pictures with your camera, turn each one "
                    "into a list of 128 numbers that describes your face (a face template), "
                    "and throw the pictures away at once. We never keep the pictures. The "
                    "templates are encrypted with a key that belongs to you alone."
                ),
            ),
            (
                _("Why"),
                _(
                    "Only to recognise you when you choose to pay with your face at a "
                    "SmilePay kiosk, or to confirm an online purchase with your face instead "
                    "of a password. We do not use your face for advertising, and we do not "
                    "sell or share it."
                ),
            ),
            (
                _("How long"),
                _(
                    "Until you delete your face data, withdraw this consent or delete your "
                    "account. Then we destroy your key, which makes your templates unreadable "
                    "everywhere, backups included."
                ),
            ),
            (
                _("Who sees matches"),
                _(
                    "When a kiosk recognises you, the shop sees only a masked name and the "
                    "payment; you get a notification and must confirm. You can see every time "
                    "your face was matched, or nearly matched, under Activity. Our operators "
                    "see matches only to investigate a problem you or a shop report."
                ),
            ),
            (
                _("How to withdraw"),
                _(
                    "At any time, under Privacy: one button. Face pay turns off immediately "
                    "and your templates are destroyed. Withdrawing never affects your wallet "
                    "or your payment history."
                ),
            ),
        ),
        checkbox=_(
            "I agree that SmilePay creates and stores encrypted templates of my face to "
            "recognise me when I pay, as described above."
        ),
    ),
}


def current_consent() -> ConsentText:
    return CONSENT_TEXTS[settings.BIOMETRIC_CONSENT_VERSION]
