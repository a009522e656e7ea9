"""leadops.phones.us_e164: the key every phone is stored and matched under."""

import pytest

from leadops.phones import us_e164


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("5125550100", "+15125550100"),
        ("15125550100", "+15125550100"),
        ("+1 (512) 555-0100", "+15125550100"),
        ("512.555.0100", "+15125550100"),
        (" 512-555-0100 ", "+15125550100"),
        ("5125550100.0", "+15125550100"),
        (5125550100, "+15125550100"),
        ("0125550100", ""),
        ("1125550100", ""),
        ("512555010", ""),
        ("25125550100", ""),
        ("", ""),
        (None, ""),
        ("call me", ""),
    ],
)
def test_us_e164(raw, key):
    assert us_e164(raw) == key
