"""Create the demo team, an admin and a staff user, and starting credits. Safe to run twice."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from leadops.accounts.models import Role, Team
from leadops.accounts.services import member_add
from leadops.credits import services as credits


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        User = get_user_model()
        team, _ = Team.objects.get_or_create(name="Demo Team")
        accounts = [
            ("admin", os.environ.get("DEMO_ADMIN_PASSWORD", "admin-demo-pass"), Role.ADMIN, True),
            ("staff", os.environ.get("DEMO_STAFF_PASSWORD", "staff-demo-pass"), Role.STAFF, False),
        ]
        created = []
        for username, password, role, is_admin in accounts:
            if not User.objects.filter(username=username).exists():
                member_add(
                    team=team,
                    username=username,
                    password=password,
                    role=role,
                    email=f"{username}@example.com",
                    is_admin=is_admin,
                )
                created.append((username, password))
        staff = User.objects.get(username="staff")
        credits.grant(
            wallet=credits.wallet_for(user=staff, team=team),
            amount=settings.DEMO_STARTING_CREDITS,
            actor=None,
            reason="Demo starting credits",
            idempotency_key="demo-seed:staff:starting-credits",
        )
        for username, password in created:
            self.stdout.write(f"Created demo user {username!r} with password {password!r}")
        if not created:
            self.stdout.write("Demo users already exist (passwords unchanged).")
        # The port `make run` serves on (the Procfile's web process reads the same variable).
        port = os.environ.get("WEB_PORT") or "8000"
        self.stdout.write(
            f"Log in at http://127.0.0.1:{port}/ as admin (Django admin at /admin/) or staff. "
            "Change a password at /password/ or set DEMO_ADMIN_PASSWORD / DEMO_STAFF_PASSWORD "
            "before the first run."
        )
