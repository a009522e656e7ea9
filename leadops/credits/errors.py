class CreditError(Exception):
    """Base for refusals of a credit operation; the message is safe to show to a user."""


class InsufficientCredits(CreditError):
    def __init__(self, *, needed: int, available: int):
        self.needed = needed
        self.available = available
        super().__init__(
            f"Not enough credits: this needs {needed:,} and {available:,} are available."
        )

    def for_lookup(self) -> str:
        """The refusal of an instant lookup, in a user's words (what it would have held)."""
        return (
            f"{self} Nothing was charged. A lookup holds {self.needed:,} credits while it "
            "runs; ask an admin of your team to grant credits."
        )


class HoldClosed(CreditError):
    def __init__(self, reference: str):
        super().__init__(f"The credit hold {reference} is already settled.")


class CaptureExceedsHold(CreditError):
    def __init__(self, *, amount: int, remaining: int):
        self.amount = amount
        self.remaining = remaining
        super().__init__(f"Cannot capture {amount:,} credits: only {remaining:,} remain on hold.")
