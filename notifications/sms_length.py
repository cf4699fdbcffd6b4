"""How many fragments GOV.UK Notify counts, and bills, for a text message.

A text goes out in one of two alphabets. In the GSM 03.38 alphabet a single message holds 160
characters and each part of a longer one 153 (the rest carries the header that joins the
parts); the extension table's characters (`^{}\\[~]|€`) each take two. A text that needs
anything outside that alphabet goes as Unicode: 70 characters, or 67 a part.

Notify replaces most characters outside GSM before sending (curly quotes and dashes with
straight ones, accented letters with plain ones, anything else with `?`), so those never make a
text Unicode. The exception is the Welsh accented letters GSM lacks, which Notify keeps so
Welsh reads correctly: one circumflex (ŵ, ŷ, â...) turns the whole text into Unicode and more
than doubles the number of fragments it costs. Concordat's Welsh texts avoid them for that
reason, and the tests check that they still fit.

Notify counts characters as UTF-16 code units, so an emoji counts as two even though it is
sent as `?`; this module counts the same way.
"""

from __future__ import annotations

import math

#: The extension table: each costs two characters of a GSM text.
GSM_EXTENSION = frozenset("^{}\\[~]|€")

#: The GSM 03.38 basic character set, with the extension table.
GSM_CHARACTERS = (
    frozenset(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    | GSM_EXTENSION
)

#: Welsh accented letters, which Notify sends as they are rather than replacing them.
WELSH_DIACRITICS = frozenset(
    "àèìòùẁỳÀÈÌÒÙẀỲ"  # grave
    "áéíóúẃýÁÉÍÓÚẂÝ"  # acute
    "äëïöüẅÿÄËÏÖÜẄŸ"  # diaeresis
    "âêîôûŵŷÂÊÎÔÛŴŶ"  # circumflex
)

#: The Welsh letters that GSM lacks: any one of them makes the whole text Unicode.
WELSH_NON_GSM = WELSH_DIACRITICS - GSM_CHARACTERS

GSM_SINGLE, GSM_PART = 160, 153
UNICODE_SINGLE, UNICODE_PART = 70, 67


def is_gsm(text: str) -> bool:
    """Whether Notify sends the text in the GSM alphabet (160 characters a message), which it
    does unless the text holds a Welsh letter GSM lacks (see the module's docstring)."""
    return WELSH_NON_GSM.isdisjoint(text)


def _length(text: str) -> int:
    """Characters as Notify counts them: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """The number of fragments Notify counts for the text: 0 for no text at all."""
    if not text:
        return 0
    if is_gsm(text):
        length = _length(text) + sum(text.count(char) for char in GSM_EXTENSION)
        single, part = GSM_SINGLE, GSM_PART
    else:
        length = _length(text)
        single, part = UNICODE_SINGLE, UNICODE_PART
    return 1 if length <= single else math.ceil(length / part)
