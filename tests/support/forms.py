"""Reading what a rendered form carries, as a browser would post it back."""

import re


def submit_token(html: str) -> str:
    """The one-time submit token (leadops.jobs.tokens) of the form on the page."""
    found = re.search(r'name="submit_token" value="([^"]+)"', html)
    assert found, "the page has no form with a submit token"
    return found[1]
