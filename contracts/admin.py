"""The contracts in Django's admin, for the operations staff. Managers of the parties edit
contracts on the contract pages (through ``contracts.services``); the admin is the back office
and shows computed rows (snapshots, runs) read-only."""

from django.contrib import admin

from contracts.models import (
    AttainmentRun,
    BudgetLine,
    BudgetTransfer,
    Contract,
    Evaluation,
    Goal,
    PaymentRule,
    Snapshot,
)
from contracts.surveys.models import SurveyInvitation, SurveySettings


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0
    fields = ["number", "title", "indicator", "params", "target_kind", "target", "is_milestone"]
    show_change_link = True


class PaymentRuleInline(admin.TabularInline):
    model = PaymentRule
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    autocomplete_fields = ["municipality"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "starts_on", "ends_on"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "source"]
    filter_horizontal = ["parties", "municipalities"]
    autocomplete_fields = ["oversight"]
    date_hierarchy = "starts_on"
    inlines = [GoalInline, PaymentRuleInline, BudgetLineInline]


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "contract", "indicator", "target_kind", "target", "is_milestone"]
    list_filter = ["is_milestone", "target_kind", "indicator"]
    search_fields = ["title", "number", "contract__title"]
    list_select_related = ["contract"]
    readonly_fields = ["judged_by", "judged_at"]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["answered_on", "operator", "municipality", "satisfaction", "nps", "effect"]
    list_filter = ["origin", "satisfaction", "effect", "segment", "operator"]
    date_hierarchy = "answered_on"
    list_select_related = ["operator", "municipality"]
    raw_id_fields = ["company"]
    # Not the founder or the session: a person, looked up by the import, never shown here.
    fields = ["operator", "municipality", "company", "answered_on", "segment", "themes"]
    fields += ["satisfaction", "nps", "effect", "source", "origin"]


class ReadOnly(admin.ModelAdmin):
    """Rows the computation writes: shown, never changed by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AttainmentRun)
class AttainmentRunAdmin(ReadOnly):
    list_display = ["contract", "as_of", "state", "started_at", "finished_at"]
    list_filter = ["state"]
    list_select_related = ["contract"]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnly):
    list_display = ["goal", "as_of", "municipality", "value", "target", "status"]
    list_filter = ["status", "as_of"]
    list_select_related = ["goal__contract", "municipality"]


@admin.register(BudgetTransfer)
class BudgetTransferAdmin(ReadOnly):
    list_display = ["at", "from_line", "to_line", "amount", "by"]
    list_select_related = ["from_line", "to_line", "by"]


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    list_display = ["operator", "enabled", "delay_days", "interval_months", "after_referrals"]
    list_select_related = ["operator"]


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    """Read only: the job writes invitations; the address is not shown (personal data)."""

    list_display = ["created_at", "operator", "sent_at", "reminded_at", "answered_at"]
    list_filter = ["operator"]
    list_select_related = ["operator"]
    fields = ["operator", "session", "referral", "municipality", "language", "created_at"]
    fields += ["sent_at", "reminded_at", "expires_at", "answered_at", "declined_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
