"""The Partnership diary's pages: search, booking (with the 409 "just taken" answer), outcomes
and re-offers, appointment letters, and each clinician's slots.

Each view: access, form, one domain call, response. Rules live in `booking.py`, `slots.py` and
`search.py`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.models import Team
from capa import partials
from capa.ids import is_id
from capa.templatetags.nhsuk import uk_date, uk_time
from diary import booking, queries, search, slots
from diary.forms import OutcomeForm, PatternForm, SearchForm, SlotForm
from diary.models import Appointment, Slot
from partnership import cases
from partnership.models import Case

SEARCH_LIMIT = 20
ALTERNATIVES = 5


def _case_in(team: Team, raw: str | None) -> Case | None:
    if not raw:
        return None
    if not is_id(raw):
        raise Http404("No such case.")
    return get_object_or_404(Case, pk=int(raw), team=team)


def _filters(form: SearchForm, team: Team, *, exclude: list[int] = ()) -> search.Filters:
    data = form.cleaned_data
    return search.Filters(
        team=team,
        skills=list(data.get("skills") or []),
        venues=list(data.get("venues") or []),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        weekdays=list(data.get("weekdays") or []),
        times_of_day=list(data.get("times_of_day") or []),
        clinician=data.get("clinician"),
        joint=bool(data.get("joint")),
        exclude_slot_ids=list(exclude),
    )


def _filter_query(query: QueryDict) -> str:
    """The search filters as a query string, without the case and the slots (kept across pages)."""
    kept = query.copy()
    for key in ("case", "slots", "csrfmiddlewaretoken", "filters"):
        kept.pop(key, None)
    return kept.urlencode()


@login_required
@require_GET
def search_page(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access.get_team_for_diary(request.user, team_id)
    case = _case_in(team, request.GET.get("case"))
    form = SearchForm(request.GET or None, team=team)
    results = None
    if form.is_bound and form.is_valid():
        results = search.search(_filters(form, team), limit=SEARCH_LIMIT)
    elif not form.is_bound:
        results = search.search(search.Filters(team=team), limit=SEARCH_LIMIT)
    # Book buttons only where a booking can be made: the team's own people, a family waiting for
    # its first Core appointment (anything else would be refused after the confirm).
    waiting = case is not None and booking.waiting_for_first_core(case)
    can_book = waiting and access.belongs_to_team(request.user, team)
    context = {
        "team": team,
        "case": case,
        "form": form,
        "results": results,
        "filters": _filter_query(request.GET),
        "can_book": can_book,
        "waiting": waiting,
        "case_state": cases.in_a_sentence(case.get_state_display()) if case else "",
        # Reversed once for the page, not once a result.
        "book_url": reverse("diary:book", args=[team.pk, case.pk]) if can_book else "",
    }
    if partials.wants_part(request, "search-results"):
        # The results, with a summary of any errors, and the filters to show or clear errors by.
        swapped = partials.fields_to_swap(request, form)
        return render(request, "diary/_search_results.html", {**context, "partial": True, "swapped": swapped})
    return render(request, "diary/search.html", context)


def _slot_ids(raw: str) -> list[int]:
    ids = [part for part in raw.split(",") if part]
    if not ids or len(ids) > 2 or not all(is_id(part) for part in ids):
        raise Http404("No such slot.")
    return [int(part) for part in ids]


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, team_id: int, case_id: int) -> HttpResponse:
    team = access.get_team_for_booking(request.user, team_id)
    case = get_object_or_404(Case, pk=case_id, team=team)
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and not source.get("slots"):  # nothing chosen yet: choose from the search
        return redirect(reverse("diary:search", args=[team.pk]) + f"?case={case.pk}")
    slot_ids = _slot_ids(source.get("slots", ""))
    filters = source.get("filters", "") if request.method == "POST" else _filter_query(request.GET)
    context = {"team": team, "case": case, "filters": filters, "slot_ids": ",".join(map(str, slot_ids))}
    if request.method == "GET":
        result = context["result"] = queries.result_for(team=team, slot_ids=slot_ids)
        context["cannot_book"] = booking.why_not_bookable(
            case=case, slots=result.slots, clinician_ids=[c.pk for c in result.clinicians]
        )
        return render(request, "diary/book.html", context)
    try:
        booking.book_first_core(slot_ids=slot_ids, case=case, by=request.user)
    except booking.SlotTaken as taken:
        context["taken"] = True
        context["alternatives"], context["other_alternatives"] = _alternatives(team, filters, taken)
        return render(request, "diary/book.html", context, status=409)
    except booking.BookingError as problem:
        context["problem"] = problem.message
        context["result"] = queries.result_for(team=team, slot_ids=slot_ids)
        busy = isinstance(problem, booking.DiaryBusy)
        return render(request, "diary/book.html", context, status=409 if busy else 400)
    messages.success(request, "The first Core Partnership appointment is booked.")
    # No #fragment: scrolling to one would take the focus from the success banner, which takes it so
    # that the confirmation is read out first (the appointment is the first card below).
    return redirect(reverse("partnership:case-detail", args=[team.pk, case.pk]))


def _alternatives(
    team: Team, filters: str, taken: booking.SlotTaken
) -> tuple[list[search.Result], list[search.Result]]:
    """The next free results for the same filters (the user's choices kept), and, if fewer than
    ALTERNATIVES match, the next similar slots outside them, shown apart so that nobody books a
    day, time or venue the family did not choose without seeing it is one."""
    form = SearchForm(QueryDict(filters), team=team)
    found = (
        search.search(_filters(form, team, exclude=taken.slot_ids), limit=ALTERNATIVES)
        if form.is_valid()
        else []
    )
    if len(found) >= ALTERNATIVES:
        return found, []
    shown = {r.slot_ids for r in found}
    others = [r for r in taken.alternatives if r.slot_ids not in shown][: ALTERNATIVES - len(found)]
    return found, sorted(others, key=lambda r: r.starts_at)


@login_required
@require_POST
def outcome(request: HttpRequest, team_id: int, appointment_id: int) -> HttpResponse:
    team = access.get_team_for_booking(request.user, team_id)
    appointment = get_object_or_404(
        Appointment.objects.select_related("case", "venue"), pk=appointment_id, team=team
    )
    form = OutcomeForm(request.POST, auto_id="outcome-%s")
    status = 400
    if form.is_valid():
        try:
            booking.record_outcome(
                appointment=appointment,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except booking.BookingError as problem:
            form.add_error(None, problem.message)
            status = 409 if isinstance(problem, booking.DiaryBusy) else 400
        else:
            appointment.refresh_from_db()
            messages.success(
                request, f"The appointment is recorded as {appointment.get_status_display().lower()}."
            )
            # No #fragment after a success: the banner takes the focus, and a scroll would take it back.
            return redirect(reverse("partnership:case-detail", args=[team.pk, appointment.case_id]))
    return outcome_page(
        request, team, appointment, form, url_name="diary:outcome", section="first-core", status=status
    )


def outcome_page(
    request, team: Team, appointment: Appointment, form, *, url_name: str, section: str, status: int
):
    """The outcome form again on a page of its own, the errors next to their fields and the choice
    kept: on the case page they would be far down, out of sight."""
    return render(
        request,
        "diary/outcome.html",
        {
            "team": team,
            "case": appointment.case,
            "appointment": appointment,
            "form": form,
            "action": reverse(url_name, args=[team.pk, appointment.pk]),
            "section": section,
        },
        status=status,
    )


@login_required
@require_POST
def reoffer(request: HttpRequest, team_id: int, appointment_id: int) -> HttpResponse:
    team = access.get_team_for_booking(request.user, team_id)
    appointment = get_object_or_404(Appointment, pk=appointment_id, team=team)
    case_url = reverse("partnership:case-detail", args=[team.pk, appointment.case_id])
    try:
        slot = booking.reoffer(appointment=appointment, by=request.user)
    except booking.BookingError as problem:
        messages.info(request, problem.message)
        return redirect(case_url + "#first-core")
    from capa.templatetags.nhsuk import uk_datetime

    messages.success(
        request,
        f"The lost capacity is re-offered: a vacant slot on {uk_datetime(slot.starts_at)} at {slot.venue}.",
    )
    return redirect(case_url)  # no #fragment: the success banner takes the focus


@login_required
@require_GET
def letter(request: HttpRequest, team_id: int, appointment_id: int) -> HttpResponse:
    """The family's appointment letter, to print (or save as PDF from the browser)."""
    team = access.get_team_for_diary(request.user, team_id)
    appointment = queries.appointment_for_letter(team=team, appointment_id=appointment_id)
    cases.record_view(case=appointment.case, by=request.user, what="appointment letter")
    return render(request, "diary/letter.html", {"team": team, "appointment": appointment})


# --- A clinician's slots ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def clinician_slots(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    """The clinician's upcoming slots against their quarter targets, and putting in one slot."""
    team, clinician = access.get_slots_owner_for_user(request.user, team_id, clinician_id)
    form = SlotForm(request.POST or None, team=team, clinician=clinician)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            clinicians = [clinician] + ([data["joint_with"]] if data["joint_with"] else [])
            try:
                slots.put_in_slots(
                    team=team,
                    clinicians=clinicians,
                    venue=data["venue"],
                    times=[
                        slots.SlotTimes(
                            slots.at(data["day"], data["starts"]), slots.at(data["day"], data["ends"])
                        )
                    ],
                    kind=data["kind"],
                    by=request.user,
                )
            except slots.SlotError as problem:
                form.add_error(problem.field if problem.field in form.fields else None, problem.message)
            else:
                messages.success(request, "The slot is in the diary.")
                return redirect("diary:clinician-slots", team_id=team.pk, clinician_id=clinician.pk)
        status = 400
    return render(
        request,
        "diary/clinician_slots.html",
        {**queries.clinician_slots_page(team=team, clinician=clinician), "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pattern(request: HttpRequest, team_id: int, clinician_id: int) -> HttpResponse:
    """A weekly pattern of slots: "Preview" shows every date (and what is skipped or clashes)
    without saving; "Put these slots in" saves them all or none, and only if they are still the
    dates previewed (the form may have been changed after the preview)."""
    team, clinician = access.get_slots_owner_for_user(request.user, team_id, clinician_id)
    form = PatternForm(request.POST or None, team=team, clinician=clinician)
    preview = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            clinicians = [clinician] + ([data["joint_with"]] if data["joint_with"] else [])
            days = slots.pattern_days(
                weekday=data["weekday"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                every_weeks=data["every_weeks"],
            )
            if request.POST.get("action") == "save":
                try:
                    made, _ = slots.put_in_pattern(
                        team=team,
                        clinicians=clinicians,
                        venue=data["venue"],
                        days=days,
                        start=data["starts"],
                        end=data["ends"],
                        kind=data["kind"],
                        by=request.user,
                        previewed=request.POST.get("previewed", ""),
                    )
                except slots.SlotError as problem:
                    form.add_error(None, problem.message)
                else:
                    messages.success(request, f"{len(made)} slots are in the diary.")
                    return redirect("diary:clinician-slots", team_id=team.pk, clinician_id=clinician.pk)
            preview = slots.preview_pattern(
                team=team,
                clinicians=clinicians,
                days=days,
                start=data["starts"],
                end=data["ends"],
                venue=data["venue"],
                kind=data["kind"],
            )
            if preview.clashes and not form.errors:
                form.add_error(None, slots.MESSAGES["clash"].format(dates=slots.describe(preview.clashes)))
            if not form.errors:
                status = 200
    return render(
        request,
        "diary/pattern.html",
        {"team": team, "clinician": clinician, "form": form, "preview": preview},
        status=status,
    )


def _change_slot(request: HttpRequest, team_id: int, slot_id: int, change, done: str) -> HttpResponse:
    """Remove a slot or put it back (`change`), for its clinician or a lead, and go back to the
    clinician's slots saying how it went (`done`, with the slot's {when})."""
    team = access.get_team_for_diary(request.user, team_id)
    slot = get_object_or_404(Slot.objects.prefetch_related("times"), pk=slot_id, team=team)
    clinician_ids = {t.clinician_id for t in slot.times.all()}
    if not access.may_change_slot(request.user, team, clinician_ids):
        raise PermissionDenied("Only the slot's clinician or a lead removes it or puts it back.")
    try:
        change(slot=slot, by=request.user)
    except slots.SlotError as problem:
        messages.info(request, problem.message)
    else:
        messages.success(request, done.format(when=f"{uk_date(slot.starts_at)} at {uk_time(slot.starts_at)}"))
    if request.user.pk in clinician_ids or not clinician_ids:
        return redirect("diary:clinician-slots", team_id=team.pk, clinician_id=request.user.pk)
    # A lead changing a colleague's slot goes back to that colleague's slots.
    return redirect("diary:clinician-slots", team_id=team.pk, clinician_id=sorted(clinician_ids)[0])


@login_required
@require_POST
def remove_slot(request: HttpRequest, team_id: int, slot_id: int) -> HttpResponse:
    return _change_slot(
        request,
        team_id,
        slot_id,
        slots.remove_slot,
        "The slot on {when} is removed from the diary. "
        "Until its time comes, it can be put back from the removed slots below.",
    )


@login_required
@require_POST
def put_back_slot(request: HttpRequest, team_id: int, slot_id: int) -> HttpResponse:
    return _change_slot(
        request, team_id, slot_id, slots.put_back, "The slot on {when} is back in the diary, vacant."
    )
