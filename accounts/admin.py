"""Django admin for the accounts catalogue. Each change page has an "Events" button (from
pghistory.admin) showing the audit history of that record."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import (
    ClinicianProfile,
    ClinicianSkill,
    Membership,
    Organisation,
    Skill,
    Team,
    User,
    Venue,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["team", "organisation"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "financial_year_start_month"]
    search_fields = ["name"]


class VenueInline(admin.TabularInline):
    model = Venue
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "nation", "phone"]
    list_filter = ["organisation", "nation"]
    search_fields = ["name"]
    inlines = [VenueInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "team", "organisation"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "team", "organisation"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "organisation"]
    list_filter = ["kind", "level", "organisation"]
    search_fields = ["name"]


class ClinicianSkillInline(admin.TabularInline):
    model = ClinicianSkill
    extra = 0
    autocomplete_fields = ["skill"]


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "profession", "contracted_hours_per_week"]
    list_filter = ["profession"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    inlines = [ClinicianSkillInline]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "is_active"]
    list_filter = ["team", "is_active"]
    search_fields = ["name", "address"]
