import datetime as dt
import secrets

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from leadops import exports
from leadops.accounts.models import Membership
from leadops.admin_display import number
from leadops.credits import services as credits
from leadops.credits.errors import CreditError
from leadops.credits.forms import CreditChangeForm, SpendReportForm
from leadops.credits.models import CreditEntry, CreditHold, Wallet
from leadops.credits.reports import spend_report


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
    list_display = [
        "user",
        "team",
        number("available"),
        number("held"),
        "updated_at",
        "change_link",
    ]
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
        "available_change",
        "held_change",
        "available_after",
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

    actions = ["export_csv"]
    REPORT_DAYS = 30
    CSV_HEADERS = [
        "When",
        "User",
        "Team",
        "Kind",
        "Change",
        "Available change",
        "Held change",
        "Available after",
        "Reference",
        "Reason",
        "Actor",
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    @admin.display(description="Change")
    def change(self, obj: CreditEntry) -> str:
        return obj.change_text

    @admin.display(description="Available change", ordering="amount")
    def available_change(self, obj: CreditEntry) -> str:
        return f"{obj.amount:+,}" if obj.amount else "0"

    @admin.display(description="Held change", ordering="held_delta")
    def held_change(self, obj: CreditEntry) -> str:
        return f"{obj.held_delta:+,}" if obj.held_delta else "0"

    @admin.display(description="Available after", ordering="balance_after")
    def available_after(self, obj: CreditEntry) -> str:
        return f"{obj.balance_after:,}"

    def get_urls(self):
        return [
            path(
                "spend-report/",
                self.admin_site.admin_view(self.spend_report_view),
                name="credits_creditentry_spend_report",
            ),
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="credits_creditentry_export",
            ),
            *super().get_urls(),
        ]

    # The ledger as CSV -------------------------------------------------------------------

    def _csv_rows(self, queryset):
        rows = queryset.select_related("wallet__user", "wallet__team", "actor")
        for entry in rows.iterator(chunk_size=2000):
            yield [
                timezone.localtime(entry.created_at),
                entry.wallet.user.get_username(),
                entry.wallet.team.name,
                entry.get_kind_display(),
                entry.change_text,
                entry.amount,
                entry.held_delta,
                entry.balance_after,
                entry.reference,
                entry.reason,
                entry.actor.get_username() if entry.actor else "system",
            ]

    def _csv_response(self, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return exports.csv_response(
            f"ledger-{stamp}.csv", self.CSV_HEADERS, self._csv_rows(queryset)
        )

    @admin.action(description="Export selected to CSV")
    def export_csv(self, request, queryset):
        return self._csv_response(queryset)

    def export_view(self, request):
        """The ledger as the changelist shows it (its filters, search and date drill-down)."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "Those filters are not valid; nothing was exported.")
            return redirect("admin:credits_creditentry_changelist")
        return self._csv_response(changelist.get_queryset(request))

    # Spend report ------------------------------------------------------------------------

    def spend_report_view(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        today = timezone.localdate()
        if {"start", "end"} & request.GET.keys():
            form = SpendReportForm(request.GET)
        else:
            start = today - dt.timedelta(days=self.REPORT_DAYS - 1)
            form = SpendReportForm({"start": start.isoformat(), "end": today.isoformat()})
        report = None
        if form.is_valid():
            data = form.cleaned_data
            report = spend_report(start=data["start"], end=data["end"], team=data["team"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Spend report",
            "opts": self.model._meta,
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/credits/spend_report.html", context)


@admin.register(CreditHold)
class CreditHoldAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "wallet",
        number("amount"),
        number("captured"),
        number("released"),
        "status",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["reference", "wallet__user__username"]
    list_select_related = ["wallet__user"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff
