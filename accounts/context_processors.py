"""The navigation each role sees. Later capabilities add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts import access
from accounts.models import Membership, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    entries = [("Home", reverse("home"))]
    if access.is_admin(user):
        entries.append(("Teams", reverse("accounts:team-list")))
        entries.append(("Capacity", reverse("planning:organisation-capacity")))
        entries.append(("Publishing", reverse("diary:publication")))
    else:
        memberships = list(
            Membership.objects.filter(user=user, team__isnull=False)
            .select_related("team")
            .order_by("team__name")
        )
        for membership in memberships:
            entries.append((membership.team.name, membership.team.get_absolute_url()))
        led = [m.team for m in memberships if m.role == Role.TEAM_LEAD]
        for team in led:
            label = "Capacity" if len(led) == 1 else f"Capacity: {team.name}"
            entries.append((label, reverse("planning:team-capacity", kwargs={"team_id": team.pk})))
        if memberships:
            first = memberships[0].team
            entries.append(("Cases", reverse("partnership:case-list", kwargs={"team_id": first.pk})))
            entries.append(("My caseload", reverse("partnership:my-caseload", kwargs={"team_id": first.pk})))
            entries.append(("Diary", reverse("diary:search", kwargs={"team_id": first.pk})))
        if memberships and hasattr(user, "clinician_profile"):
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
    return {"nav_items": items}
