"""The navigation each role sees. Later capabilities add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts import access
from accounts.models import ClinicianProfile, Membership, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def navigation(request) -> dict:
    """The navigation, worked out only if the page shows it (an htmx fragment does not)."""
    return {"nav_items": SimpleLazyObject(lambda: _nav_items(request))}


def _nav_items(request) -> list[NavItem]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    known_admin = Role.ADMIN in getattr(user, "_capa_roles", ())  # the page asked already
    memberships = []
    if not known_admin:
        # One query for the user's roles, teams and whether they are a clinician.
        memberships = list(
            Membership.objects.filter(user=user)
            .select_related("team")
            .annotate(has_profile=Exists(ClinicianProfile.objects.filter(user_id=OuterRef("user_id"))))
            .order_by("team__name")
        )
        user._capa_roles = {m.role for m in memberships}
    entries = [("Home", reverse("home"))]
    if access.is_admin(user):
        entries.append(("Teams", reverse("accounts:team-list")))
        entries.append(("Capacity", reverse("planning:organisation-capacity")))
        entries.append(("Activity", reverse("dashboard:organisation")))
        entries.append(("Publishing", reverse("diary:publication")))
    else:
        is_clinician = any(m.has_profile for m in memberships)
        memberships = [m for m in memberships if m.team_id is not None]
        for membership in memberships:
            entries.append((membership.team.name, membership.team.get_absolute_url()))
        led = [m.team for m in memberships if m.role == Role.TEAM_LEAD]
        for team in led:
            label = "Capacity" if len(led) == 1 else f"Capacity: {team.name}"
            entries.append((label, reverse("planning:team-capacity", kwargs={"team_id": team.pk})))
            label = "Activity" if len(led) == 1 else f"Activity: {team.name}"
            entries.append((label, reverse("dashboard:team", kwargs={"team_id": team.pk})))
        if memberships:
            first = memberships[0].team
            entries.append(("Cases", reverse("partnership:case-list", kwargs={"team_id": first.pk})))
            entries.append(("My caseload", reverse("partnership:my-caseload", kwargs={"team_id": first.pk})))
            entries.append(("Diary", reverse("diary:search", kwargs={"team_id": first.pk})))
        if memberships and is_clinician:
            first = memberships[0].team
            mine = {"team_id": first.pk, "clinician_id": user.pk}
            entries.append(("My slots", reverse("diary:clinician-slots", kwargs=mine)))
            entries.append(("My job plan", reverse("planning:plan-detail", kwargs=mine)))
    if user.is_staff:
        entries.append(("Admin site", reverse("admin:index")))
    path = request.path
    items = [
        NavItem(label=label, url=url, current=(path == url if url == "/" else path.startswith(url)))
        for label, url in entries
    ]
    return items
