from django.conf import settings
from django.db import models


class Team(models.Model):
    """A group of staff who share data. Every business object belongs to exactly one team."""

    name = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dnc_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Bumped whenever the team's DNC statuses or internal list change "
        "(dnc.services.bump_dnc_version): counts that read them are cached under it",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    STAFF = "staff", "Staff"


class Membership(models.Model):
    """A user's place in a team. One team per user keeps scoping unambiguous."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"

    @property
    def can_manage(self) -> bool:
        return self.role in {Role.ADMIN, Role.MANAGER}


class TeamScopedQuerySet(models.QuerySet):
    def for_team(self, team: Team | None) -> "TeamScopedQuerySet":
        """Rows of `team` only; no team (an unassigned user) sees nothing."""
        if team is None:
            return self.none()
        return self.filter(team=team)


class TeamScopedModel(models.Model):
    """Base for every business object: it belongs to a team and is queried through it."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        abstract = True
