"""Diaries out: each clinician's iCalendar feed (and its settings page), the team's week view, and
the team sessions a lead puts in.

Each view: access, form, one domain call, response. Rules live in `ical.py` and `sessions.py`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from capa.templatetags.nhsuk import uk_date, uk_time
from diary import calendar_queries, ical, sessions, slots
from diary.calendar_forms import TeamSessionForm
from diary.models import CalendarFeed, TeamSession


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The clinician's diary as iCalendar. No log-in: calendar apps cannot log in, so the secret
    token in the address is the credential. An unknown (or reset) token is a 404."""
    found = CalendarFeed.objects.filter(token=token, clinician__is_active=True).select_related("clinician")
    calendar_feed = found.first()
    if calendar_feed is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        ical.feed_for(calendar_feed.clinician), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="capa-diary.ics"'
    response["Cache-Control"] = "private, no-store"  # family references: no copies on the way
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _week_url(team_id: int, day) -> str:
    return reverse("diary:team-week", args=[team_id]) + f"?week={calendar_queries.monday_of(day).isoformat()}"


@login_required
@require_GET
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's own feed address, how to subscribe to it in Outlook, and the way to reset it."""
    calendar_feed = ical.ensure_feed(request.user)
    address = request.build_absolute_uri(reverse("diary:feed", args=[calendar_feed.token]))
    # No webcal:// link: calendars may fetch those over plain HTTP, and the address is a secret.
    return render(request, "diary/calendar_settings.html", {"address": address})


@login_required
@require_http_methods(["GET", "POST"])
def calendar_reset(request: HttpRequest) -> HttpResponse:
    """Asks first, then resets: every calendar subscribed to the old address stops updating, and
    that cannot be undone."""
    if request.method == "POST":
        ical.reset_feed(request.user)
        messages.success(
            request,
            "Your calendar address is reset: the old one no longer works. Subscribe again with the new one.",
        )
        return redirect("diary:calendar-settings")
    return render(request, "diary/calendar_reset.html")


@login_required
@require_GET
def team_week(request: HttpRequest, team_id: int) -> HttpResponse:
    """The team's diary for one working week: a row per clinician, a column per day."""
    team = access.get_team_for_diary(request.user, team_id)
    monday = calendar_queries.week_from(request.GET.get("week"))
    week = calendar_queries.team_week(team=team, monday=monday)
    return render(
        request,
        "diary/team_week.html",
        {"team": team, "week": week, "is_lead": access.leads_team(request.user, team)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_session_new(request: HttpRequest, team_id: int) -> HttpResponse:
    """A lead puts a team session in: it blocks the attending clinicians' time."""
    team = access.get_team_for_job_planning(request.user, team_id)
    # From a week's view the date starts at that week's Monday (or today, in the current week).
    initial = {}
    if "week" in request.GET:
        initial["day"] = max(calendar_queries.week_from(request.GET["week"]), timezone.localdate())
    form = TeamSessionForm(request.POST or None, team=team, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = sessions.put_in_team_session(
                    team=team,
                    kind=data["kind"],
                    title=data["title"],
                    starts_at=slots.at(data["day"], data["starts"]),
                    ends_at=slots.at(data["day"], data["ends"]),
                    venue=data["venue"],
                    clinicians=list(data["clinicians"]),
                    by=request.user,
                )
            except sessions.SessionError as problem:
                form.add_error(problem.field if problem.field in form.fields else None, problem.message)
                status = 409 if problem.clashes else 400
            else:
                messages.success(
                    request,
                    f"{session} on {uk_date(session.starts_at)}, {uk_time(session.starts_at)} to "
                    f"{uk_time(session.ends_at)} is in the diary of {len(data['clinicians'])} "
                    f"clinician{'s' if len(data['clinicians']) != 1 else ''}.",
                )
                return redirect(_week_url(team.pk, data["day"]))
    return render(request, "diary/team_session_new.html", {"team": team, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_session_cancel(request: HttpRequest, team_id: int, session_id: int) -> HttpResponse:
    """Asks first, then cancels: the clinicians' time is freed at once and may be booked, so a
    cancellation cannot simply be taken back."""
    team = access.get_team_for_job_planning(request.user, team_id)
    session = get_object_or_404(TeamSession.objects.select_related("venue"), pk=session_id, team=team)
    if request.method == "GET":
        return render(
            request,
            "diary/team_session_cancel.html",
            {
                "team": team,
                "session": session,
                "clinicians": calendar_queries.session_clinicians(session),
                "week_url": _week_url(team.pk, session.starts_at.astimezone(slots.LONDON).date()),
            },
        )
    try:
        sessions.cancel_team_session(session=session, by=request.user)
    except sessions.SessionError as problem:
        messages.info(request, problem.message)
    else:
        messages.success(
            request,
            f"{session} on {uk_date(session.starts_at)} at {uk_time(session.starts_at)} is cancelled: "
            "the clinicians' time is free again.",
        )
    return redirect(_week_url(team.pk, session.starts_at.astimezone(slots.LONDON).date()))
