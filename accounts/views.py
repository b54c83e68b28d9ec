from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from accounts import access, queries
from accounts.forms import ChangePasswordForm, LockedOutForm, LoginForm

LOCKED_OUT_MESSAGE = (
    "This account is locked for 15 minutes after too many wrong passwords. "
    "Wait 15 minutes and try again, or ask an admin to unlock it."
)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What axes shows instead of the login page while the account is locked."""
    form = LockedOutForm(data={"username": (credentials or {}).get("username", "")})
    form.is_valid()
    form.errors.clear()
    form.add_error(None, LOCKED_OUT_MESSAGE)
    return render(request, "accounts/login.html", {"form": form}, status=403)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("accounts:password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    teams = queries.teams_overview(access.get_organisation_teams_for_admin(request.user))
    return render(request, "accounts/team_list.html", {"teams": teams})


@login_required
@require_GET
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_user(request.user, team_id)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "members": queries.team_members(team),
            "venues": queries.team_venues(team),
        },
    )
