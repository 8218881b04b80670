from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm import services
from crm.models import (
    AnonymisationRun,
    ErasureRequest,
    IndustryCode,
    Membership,
    Municipality,
    Operator,
    Region,
    RetentionRule,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "hub", "rural_urban"]
    list_filter = ["region", "rural_urban"]
    list_editable = ["rural_urban"]
    search_fields = ["name", "code"]
    readonly_fields = ["code", "official_name", "region"]


@admin.register(IndustryCode)
class IndustryCodeAdmin(admin.ModelAdmin):
    list_display = ["system", "code", "level", "name"]
    list_filter = ["system", "level"]
    search_fields = ["code", "name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    can_delete = False
    readonly_fields = ["user", "role"]
    verbose_name_plural = _("medlemmer (rettes under Medlemskaber)")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    filter_horizontal = ["municipalities"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The municipalities (or the active flag) may have changed: re-grant the rights.
        services.sync_operator_permissions(form.instance)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "operator", "role"]
    list_filter = ["role", "operator__kind"]
    search_fields = ["user__username", "user__email", "operator__name"]
    autocomplete_fields = ["user", "operator"]

    def save_model(self, request, obj, form, change):
        if change:
            old = Membership.objects.get(pk=obj.pk)
            services.do_remove_membership(old)
            obj.pk = None
        obj.pk = services.do_add_membership(obj.user, obj.operator, obj.role).pk

    def delete_model(self, request, obj):
        services.do_remove_membership(obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.do_remove_membership(membership)


# --- Retention (crm.retention): the rules are the administrator's; the log is read only. ---


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    """One row per kind of record; the list shows the dry run of the next nightly run for
    the whole country (nothing is written)."""

    list_display = ["kind", "years", "counts_from", "changed_at"]
    list_editable = ["years"]
    readonly_fields = ["kind", "changed_at"]

    @admin.display(description=_("regnes fra"))
    def counts_from(self, rule):
        from crm.retention import COUNTS_FROM

        return COUNTS_FROM[rule.kind]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        from crm.retention import plan

        extra_context = {**(extra_context or {}), "plan": plan()}
        return super().changelist_view(request, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AnonymisationRun)
class AnonymisationRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "total", "counts"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "municipality", "requested_by", "done_at"]
    list_filter = ["municipality"]
    # The reason is shown on the person's erasure page; the list holds no names.
    fields = ["requested_at", "municipality", "requested_by", "holds", "done_at"]
