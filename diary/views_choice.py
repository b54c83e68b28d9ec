"""Booking a family's Choice appointment: the dates offered and the one taken, in one step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import access
from capa.ids import is_id
from diary import choice
from diary.booking import BookingError, DiaryBusy
from partnership.models import Case


def _ids(values: list[str]) -> list[int] | None:
    """The slot ids a form posted, or None if any is not an id."""
    if not all(is_id(value) for value in values):
        return None
    return [int(value) for value in values]


@login_required
@require_http_methods(["GET", "POST"])
def book_choice(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    team = access.get_team_for_booking(request.user, team_id)
    case = get_object_or_404(Case, pk=case_id, team=team)
    problem, status = None, 200
    offered: list[int] = []
    booked = None
    if request.method == "POST":
        offered = _ids(request.POST.getlist("offered")) or []
        booked_ids = _ids(request.POST.getlist("booked")[:1])
        booked = booked_ids[0] if booked_ids else None
        if booked is None:
            problem, status = "Choose the date the family took.", 400
        else:
            try:
                choice.book_choice(case=case, offered_slot_ids=offered, slot_id=booked, by=request.user)
            except (choice.ChoiceSlotTaken, DiaryBusy) as refused:
                problem, status = refused.message, 409
            except BookingError as refused:
                problem, status = refused.message, 400
            else:
                messages.success(
                    request, "The Choice appointment is booked, with the dates offered recorded."
                )
                return redirect(reverse("partnership:case-detail", args=[team.pk, case.pk]))
    return render(
        request,
        "diary/choice_book.html",
        {
            "team": team,
            "case": case,
            "slots": choice.vacant_choice_slots(team),
            "offered": set(offered),
            "booked": booked,
            "problem": problem,
            "look_ahead": choice.look_ahead(team),
        },
        status=status,
    )
