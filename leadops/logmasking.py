"""Keep the webhook token out of every log line.

Providers call `/webhooks/<provider>/<WEBHOOK_TOKEN>/`, so the installation-wide secret is a
path segment, and every access log line or "Not Found: <path>" would otherwise carry it.
Two doorways mask it:

- `MaskSecretsFilter`, a logging filter that `settings.LOGGING` puts on every handler and on
  the `django.server` (runserver's access lines) and `django.request` loggers;
- `GunicornLogger`, gunicorn's logger class with the request line, path and referer masked:
  `gunicorn leadops.wsgi --logger-class leadops.logmasking.GunicornLogger` (README, Production).

Whatever stands in the token's place becomes `***`, whether or not it is the right token (a
wrong guess is close to the real one as often as not), and the configured token is also
replaced wherever else it appears in a message.
"""

import logging
import re

from django.conf import settings
from gunicorn.glogging import Logger as _GunicornLogger

MASK = "***"
_WEBHOOK_PATH = re.compile(r"(/webhooks/[^/\s?#\"']+/)[^/\s?#\"']+")


def mask_secrets(text: str) -> str:
    """`text` with the webhook token, and any segment in its place in a webhook path, masked."""
    if not text:
        return text
    masked = _WEBHOOK_PATH.sub(rf"\g<1>{MASK}", text)
    token = getattr(settings, "WEBHOOK_TOKEN", None)
    if token and token in masked:
        masked = masked.replace(token, MASK)
    return masked


class MaskSecretsFilter(logging.Filter):
    """Rewrites a record's message with `mask_secrets`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, with the webhook token masked in the access log's atoms."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_secrets(atoms[key])
        return atoms
