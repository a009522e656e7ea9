import secrets

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from leadops.accounts.models import Membership
from leadops.credits import services as credits
from leadops.credits.errors import CreditError
from leadops.credits.forms import CreditChangeForm
from leadops.credits.models import CreditEntry, CreditHold, Wallet


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is append-only: nothing here can be added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ["user", "team", "available", "held", "updated_at", "change_link"]
    list_filter = ["team"]
    search_fields = ["user__username", "user__email", "team__name"]
    list_select_related = ["user", "team"]
    readonly_fields = ["user", "team", "available", "held", "updated_at"]
    actions = ["grant_or_revoke"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    def get_urls(self):
        return [
            path(
                "<int:wallet_id>/credits/",
                self.admin_site.admin_view(self.credit_change_view),
                name="credits_wallet_credit_change",
            ),
            path(
                "for-user/<int:user_id>/",
                self.admin_site.admin_view(self.for_user_view),
                name="credits_wallet_for_user",
            ),
            *super().get_urls(),
        ]

    def for_user_view(self, request, user_id):
        """Open (creating if needed) the wallet of a user, from the user admin's link."""
        membership = get_object_or_404(Membership.objects.select_related("user"), user_id=user_id)
        wallet = credits.wallet_for(user=membership.user, team=membership.team)
        return redirect("admin:credits_wallet_credit_change", wallet.pk)

    @admin.display(description="Credits")
    def change_link(self, obj):
        url = reverse("admin:credits_wallet_credit_change", args=[obj.pk])
        return format_html('<a class="button" href="{}">Grant / revoke</a>', url)

    @admin.action(description="Grant or revoke credits for the selected wallet")
    def grant_or_revoke(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Pick exactly one wallet.", messages.WARNING)
            return None
        return redirect("admin:credits_wallet_credit_change", queryset.get().pk)

    def credit_change_view(self, request, wallet_id):
        if not request.user.has_perm("credits.add_creditentry") and not request.user.is_superuser:
            messages.error(request, "You are not allowed to change credits.")
            return redirect("admin:credits_wallet_changelist")
        wallet = get_object_or_404(Wallet.objects.select_related("user", "team"), pk=wallet_id)
        if request.method == "POST":
            form = CreditChangeForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                operation = credits.grant if data["direction"] == form.GRANT else credits.adjust
                amount = data["amount"] if data["direction"] == form.GRANT else -data["amount"]
                try:
                    operation(
                        wallet=wallet,
                        amount=amount,
                        actor=request.user,
                        reason=data["reason"],
                        idempotency_key=f"admin:{wallet.pk}:{data['nonce']}",
                    )
                except CreditError as exc:
                    form.add_error("amount", str(exc))
                else:
                    wallet.refresh_from_db()
                    messages.success(
                        request,
                        f"{wallet.user}: {amount:+,} credits. Available now {wallet.available:,}.",
                    )
                    return redirect("admin:credits_wallet_changelist")
        else:
            form = CreditChangeForm(initial={"nonce": secrets.token_hex(16)})
        context = {
            **self.admin_site.each_context(request),
            "title": f"Grant or revoke credits — {wallet.user}",
            "wallet": wallet,
            "form": form,
            "opts": self.model._meta,
            "recent": wallet.entries.select_related("actor")[:10],
        }
        return TemplateResponse(request, "admin/credits/wallet_credit_change.html", context)


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "wallet",
        "kind",
        "change",
        "amount",
        "held_delta",
        "balance_after",
        "reason",
        "actor",
        "reference",
    ]
    list_filter = ["kind", "wallet__team", "created_at"]
    search_fields = [
        "wallet__user__username",
        "idempotency_key",
        "reason",
        "reference",
        "actor__username",
    ]
    list_select_related = ["wallet__user", "actor"]
    date_hierarchy = "created_at"

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    @admin.display(description="Change")
    def change(self, obj: CreditEntry) -> str:
        return obj.change_text


@admin.register(CreditHold)
class CreditHoldAdmin(ReadOnlyAdmin):
    list_display = ["reference", "wallet", "amount", "captured", "released", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference", "wallet__user__username"]
    list_select_related = ["wallet__user"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff
