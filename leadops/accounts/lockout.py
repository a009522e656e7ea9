"""The page a locked-out login gets (django-axes calls `lockout_response`, see
`AXES_LOCKOUT_CALLABLE` in settings): the login form again, disabled, saying why and until when.

Each further try during the lockout restarts the wait (django-axes'
`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`), so "now + the lockout time" is when this
username may log in again from this address.
"""

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

LOCKED_STATUS = 429


def lockout_response(request, original_response=None, credentials=None):
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.LOGIN_FAILURE_LIMIT,
            "lockout_minutes": minutes,
            "retry_at": timezone.localtime() + timedelta(minutes=minutes),
            "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        },
        status=LOCKED_STATUS,
    )
