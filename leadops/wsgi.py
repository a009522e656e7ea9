"""The WSGI application: `/webhooks/…` goes to the plain intake application, the rest to
Django's full stack (leadops.webhooks.intake says why). gunicorn.conf.py serves it in
production; runserver uses it too (WSGI_APPLICATION)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
django_application = get_wsgi_application()  # sets Django up first

from leadops.webhooks import intake  # noqa: E402


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(intake.PATH_PREFIX):
        return intake.application(environ, start_response)
    return django_application(environ, start_response)
