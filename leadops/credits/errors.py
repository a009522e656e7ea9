class CreditError(Exception):
    """Base for refusals of a credit operation; the message is safe to show to a user."""


class InsufficientCredits(CreditError):
    def __init__(self, *, needed: int, available: int):
        self.needed = needed
        self.available = available
        super().__init__(
            f"Not enough credits: this needs {needed:,} and {available:,} are available."
        )


class HoldClosed(CreditError):
    def __init__(self, reference: str):
        super().__init__(f"The credit hold {reference} is already settled.")


class CaptureExceedsHold(CreditError):
    def __init__(self, *, amount: int, remaining: int):
        self.amount = amount
        self.remaining = remaining
        super().__init__(f"Cannot capture {amount:,} credits: only {remaining:,} remain on hold.")
