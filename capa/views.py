from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import queries
from accounts.models import Role
from diary import publication


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What this user can do next, by the roles they hold, under their unread notices."""
    memberships = queries.memberships_of(request.user)
    return render(
        request,
        "home.html",
        {
            "notices": list(publication.unread_notices(request.user)),
            "admin_memberships": [m for m in memberships if m.role == Role.ADMIN],
            "lead_memberships": [m for m in memberships if m.role == Role.TEAM_LEAD],
            "clinician_memberships": [m for m in memberships if m.role == Role.CLINICIAN],
        },
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke may be what they need.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
