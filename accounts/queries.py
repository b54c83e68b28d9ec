"""Reads for the accounts pages. The only place accounts pages join and prefetch."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import ClinicianSkill, Membership, Role, Team, User, Venue


def memberships_of(user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("team__organisation", "organisation")
        .order_by("role", "team__name")
    )


def team_members(team: Team) -> list[Membership]:
    """The team's people with their profession, hours and skills, leads first."""
    return list(
        Membership.objects.filter(team=team)
        .select_related("user__clinician_profile")
        .prefetch_related(
            Prefetch(
                "user__clinician_profile__clinicianskill_set",
                queryset=ClinicianSkill.objects.select_related("skill").order_by(
                    "skill__kind", "skill__name", "skill__level"
                ),
            )
        )
        .order_by("-role", "user__last_name", "user__first_name")
    )


def team_venues(team: Team) -> QuerySet[Venue]:
    return team.venues.order_by("-is_active", "name")


def teams_overview(teams: QuerySet[Team]) -> QuerySet[Team]:
    """Teams with their head counts and leads, for the admin's list of teams."""
    return (
        teams.select_related("organisation")
        .annotate(
            clinician_count=Count("memberships", filter=Q(memberships__role=Role.CLINICIAN), distinct=True),
            venue_count=Count("venues", filter=Q(venues__is_active=True), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(role=Role.TEAM_LEAD).select_related("user"),
                to_attr="lead_memberships",
            )
        )
        .order_by("organisation__name", "name")
    )
