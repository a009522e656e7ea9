"""Login throttling (django-axes): five wrong passwords for one username from one address lock
that pair for LOGIN_LOCKOUT_MINUTES, with a page saying so; a success clears the count."""

from datetime import timedelta

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests"


def _login(client, password, *, username="staffer", url=None, ip="10.0.0.1"):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def _logged_in(client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def test_five_failures_lock_the_account_even_for_the_right_password(client, staff):
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200
    locked = _login(client, "wrong")
    assert locked.status_code == 429
    response = _login(client, RIGHT)
    assert response.status_code == 429
    assert not _logged_in(client)
    html = response.content.decode()
    assert "Log-in is locked" in html
    assert "15 minutes" in html
    assert "staffer" in html
    assert 'data-testid="locked-out"' in html
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_the_lock_ends_after_the_cool_off(client, staff, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "wrong")
    assert _login(client, RIGHT).status_code == 429
    past = AccessAttempt.objects.get(username="staffer").attempt_time - timedelta(minutes=16)
    AccessAttempt.objects.filter(username="staffer").update(attempt_time=past)
    assert _login(client, RIGHT).status_code == 302
    assert _logged_in(client)


def test_a_successful_login_resets_the_count(client, staff, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, RIGHT).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, RIGHT).status_code == 302
    assert _logged_in(client)


def test_the_lock_is_per_username_and_address(client, staff, owner, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "wrong", ip="10.0.0.1")
    # The same username from another address, and another username from this one, still work.
    assert _login(client, RIGHT, ip="10.0.0.2").status_code == 302
    client.post(reverse("logout"))
    assert _login(client, RIGHT, username="owner", ip="10.0.0.1").status_code == 302


def test_the_admin_login_is_throttled_too(client, owner, settings):
    url = reverse("admin:login")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "wrong", username="owner", url=url)
    response = _login(client, RIGHT, username="owner", url=url)
    assert response.status_code == 429
    assert "Log-in is locked" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
