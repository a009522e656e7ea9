"""Follow a keyset-paged table's links (leadops/pagination.py) the way a user clicks them."""

import html
import re


def pager_link(page, which: str) -> str:
    """The query string of the pager's `which` link (first, previous, next, last) on a page
    (a response or its HTML)."""
    text = page if isinstance(page, str) else page.content.decode()
    found = re.search(rf'href="([^"]+)"[^>]*data-testid="pager-{which}"', text)
    assert found, f"no {which} link on the page"
    return html.unescape(found.group(1))
