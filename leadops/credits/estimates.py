"""What every cost estimate says about the user's credits (a trace's, a DNC scrub's…)."""


class AgainstBalance:
    """Mixin for an estimate with `total_credits` (the most it can cost) and `available`
    (the user's credits): how many it is short by, and whether it is affordable."""

    total_credits: int
    available: int

    @property
    def short_by(self) -> int:
        return max(0, self.total_credits - self.available)

    @property
    def affordable(self) -> bool:
        return self.short_by == 0
