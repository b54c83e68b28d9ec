from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import access, queries
from accounts.models import Role
from capa import health
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
            "jobs_delayed": health.background_jobs_delayed() if access.is_admin(request.user) else None,
            "admin_memberships": [m for m in memberships if m.role == Role.ADMIN],
            "lead_memberships": [m for m in memberships if m.role == Role.TEAM_LEAD],
            "clinician_memberships": [m for m in memberships if m.role == Role.CLINICIAN],
        },
    )


@never_cache
@require_GET
def health_check(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 while the database answers (with "degraded" when
    background jobs are late), 503 when it does not. No login; names no host, user or secret."""
    status, checks = health.report()
    return JsonResponse(
        {"status": status, "checks": {check.name: check.as_dict() for check in checks}},
        status=503 if status == "down" else 200,
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke may be what they need.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
