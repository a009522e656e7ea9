from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from leadops.accounts.models import Membership, Role, Team
from leadops.credits import services as credits

User = get_user_model()


def member_add(
    *,
    team: Team,
    username: str,
    password: str,
    role: str = Role.STAFF,
    email: str = "",
    is_admin: bool = False,
) -> AbstractBaseUser:
    """Create a user in `team` with an empty wallet. `is_admin` also opens Django admin."""
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            email=email,
            is_staff=is_admin,
            is_superuser=is_admin,
        )
        Membership.objects.create(user=user, team=team, role=role)
        credits.wallet_for(user=user, team=team)
    return user
