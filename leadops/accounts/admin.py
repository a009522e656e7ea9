from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html

from leadops.accounts.models import Membership, Team
from leadops.admin_display import thousands

User = get_user_model()


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    max_num = 1
    can_delete = True
    autocomplete_fields = ["team"]


class TeamMemberInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]
    inlines = [TeamMemberInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_members=Count("memberships"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj):
        return thousands(obj._members)


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username", "email", "team", "role", "credits", "is_staff", "is_active", "last_login",
    ]  # fmt: skip
    list_filter = ["membership__team", "membership__role", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["membership__team"]

    @admin.display(ordering="membership__team__name")
    def team(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.team if membership else "—"

    @admin.display(description="Credits")
    def credits(self, obj):
        if not getattr(obj, "membership", None):
            return "no team"
        url = reverse("admin:credits_wallet_for_user", args=[obj.pk])
        return format_html('<a href="{}">Grant / revoke</a>', url)

    @admin.display(ordering="membership__role")
    def role(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"
