"""How a phone number is shown to a user, wherever it appears (batch results, lookups)."""


def format_phone(number: str) -> str:
    """(773) 555-0137 for US numbers in any common spelling; anything else as given."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return number
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
