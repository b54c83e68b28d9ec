"""The navigation each role sees. Later capabilities add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts import access


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
    else:
        for team in access.visible_teams(user).order_by("name"):
            entries.append((team.name, team.get_absolute_url()))
    if user.is_staff:
        entries.append(("Admin site", reverse("admin:index")))
    path = request.path
    items = [
        NavItem(label=label, url=url, current=(path == url if url == "/" else path.startswith(url)))
        for label, url in entries
    ]
    return {"nav_items": items}
