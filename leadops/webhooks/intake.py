"""The webhook intake's own WSGI handler: Django without the middleware a provider's POST
never uses.

A provider's call carries no session, no login and no CSRF token, and its answer is an empty
200. Through the full stack it still paid ~1.3 ms of middleware (sessions, CSRF, auth,
messages, CSP, htmx, the team lookup, axes) per event, more than storing the event itself.
`leadops.wsgi.application` sends every `/webhooks/…` request here instead; everything else
goes to the full stack.

What is kept: Django's request handling (request_started / request_finished, so database
connections are managed as for any request; a 4xx or 5xx is logged by `django.request`,
whose filter masks the token), SecurityMiddleware (HTTPS redirect, HSTS, nosniff, referrer
policy) and X-Frame-Options; and a Content-Length on every answer, as CommonMiddleware adds.
The URL patterns are `intake_urls`: the intake view
only, and error answers that are plain JSON (no template, no context processor wanting a
user or a session). The view itself checks the token in constant time, the body size, the
JSON and the provider's own authentication.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.utils.module_loading import import_string

PATH_PREFIX = "/webhooks/"
URLCONF = "leadops.webhooks.intake_urls"
MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)


class IntakeHandlerMixin:
    """Loads MIDDLEWARE (not settings.MIDDLEWARE) and resolves against URLCONF. A mixin, so
    that the test client can run the same handler (tests/webhooks/conftest.py)."""

    def load_middleware(self, is_async=False):
        if is_async:
            raise ImproperlyConfigured("the webhook intake handler is WSGI only")
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(MIDDLEWARE):
            middleware = import_string(path)(handler)
            if any(
                hasattr(middleware, hook)
                for hook in ("process_view", "process_template_response", "process_exception")
            ):
                raise ImproperlyConfigured(f"{path}: the intake takes request/response only")
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def get_response(self, request):
        # CONN_HEALTH_CHECKS costs a `SELECT 1` round trip before the first query of every
        # request: ~12 % of an event's CPU here. The intake stores with one statement that
        # webhook_receive retries once on a fresh connection if the kept one was dead, which
        # is what the health check would have found out, for nothing when it is alive.
        connection.health_check_done = True
        response = super().get_response(request)
        # As CommonMiddleware does on the full stack: without it gunicorn answers a keep-alive
        # connection in chunks (a second write, a terminating chunk) even for an empty 200.
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response

    def resolve_request(self, request):
        request.urlconf = URLCONF
        return super().resolve_request(request)


class IntakeHandler(IntakeHandlerMixin, WSGIHandler):
    """The WSGI application of `/webhooks/…` (see leadops.wsgi)."""
