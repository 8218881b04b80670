from django.contrib import admin

from referrals.models import Adviser, Referral


@admin.register(Adviser)
class AdviserAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Read-only: referrals change state through the pages and the API (one rule set)."""

    list_display = [
        "pk",
        "municipality",
        "sender_operator",
        "target_operator",
        "target_adviser",
        "state",
        "due_on",
    ]
    list_filter = ["state", "target_operator"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
