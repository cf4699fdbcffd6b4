"""Text message fragments, counted as GOV.UK Notify counts (and bills) them."""

from __future__ import annotations

import pytest

from notifications.sms_length import is_gsm, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("ŵ" + "a" * 69, 1),
        ("ŵ" + "a" * 70, 2),
        ("ŷ" + "a" * 133, 2),
        ("ŷ" + "a" * 134, 3),
    ],
)
def test_fragments_as_notify_counts_them(text: str, expected: int) -> None:
    assert segments(text) == expected


def test_extension_characters_count_twice() -> None:
    assert segments("€" * 80) == 1
    assert segments("€" * 80 + "a") == 2
    assert segments("^" + "a" * 159) == 2
    assert segments("{}[]~|\\" + "a" * 146) == 1
    assert segments("{}[]~|\\" + "a" * 147) == 2


def test_extension_characters_count_once_in_a_unicode_text() -> None:
    assert segments("â" + "€" * 69) == 1


def test_welsh_circumflexes_make_a_text_unicode() -> None:
    assert not is_gsm("Dŵr")
    assert not is_gsm("Rhowch wybod i'r tîm")
    assert is_gsm("Digwyddiad seiber CDF-2026-0042: atebwch ACK 482193")


def test_characters_notify_replaces_keep_a_text_gsm() -> None:
    # Notify sends curly quotes and dashes as straight ones, and GSM has é and ñ.
    assert is_gsm("It\u2019s \u201curgent\u201d \u2013 café, señor")
    assert segments("\u2019" + "a" * 159) == 1
    # An emoji goes as "?", but Notify counts its two UTF-16 code units.
    assert segments("🙂" + "a" * 158) == 1
    assert segments("🙂" + "a" * 159) == 2
