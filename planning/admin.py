"""Django admin for planning: team settings, Specific streams, absences and referral rates are
edited here; job plans are read here (they are written through the job plan editor, which keeps
versions and sign-off) and each record's "Events" button shows its audit history."""

from django.contrib import admin

from planning.models import Absence, JobPlan, JobPlanLine, PlanningSettings, ReferralRate, SpecificStream


@admin.register(PlanningSettings)
class PlanningSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "hours_per_session", "working_weeks_per_year", "core_average_appointments"]
    list_select_related = ["team"]


@admin.register(SpecificStream)
class SpecificStreamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "team",
        "average_appointments",
        "appointments_per_session",
        "allocation",
        "is_active",
    ]
    list_filter = ["team", "is_active"]
    list_select_related = ["team"]


class JobPlanLineInline(admin.TabularInline):
    model = JobPlanLine
    extra = 0
    can_delete = False
    readonly_fields = ["activity", "specific_stream", "hours_per_week"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JobPlan)
class JobPlanAdmin(admin.ModelAdmin):
    """Read-only: a plan changes by saving a new version in capa, never by editing an old one."""

    list_display = ["clinician", "team", "version", "effective_from", "status", "agreed_by", "agreed_at"]
    list_filter = ["team", "status"]
    list_select_related = ["clinician", "team", "agreed_by"]
    inlines = [JobPlanLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["clinician", "team", "kind", "starts_on", "ends_on"]
    list_filter = ["team", "kind"]
    list_select_related = ["clinician", "team"]
    autocomplete_fields = ["clinician", "team"]


@admin.register(ReferralRate)
class ReferralRateAdmin(admin.ModelAdmin):
    list_display = ["team", "quarter_start", "referrals_per_week", "entered_by", "entered_at"]
    list_filter = ["team"]
    list_select_related = ["team", "entered_by"]
    readonly_fields = ["entered_by"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
