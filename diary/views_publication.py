"""The admin's publication page: each quarter's run with a progress bar that polls the database,
the clinicians without an agreed plan, each clinician's target against the first Core slots put
in, emails stuck in the outbox, and "Publish now" / "Republish after plan changes". Also marking
one's own notices read (the home page shows them).

Rules live in `publication.py`; the worker does the publishing (`tasks.publish_quarter`), so a
request never waits for hundreds of clinicians, and the page reads progress from the database
(`PublicationRun.done/total`), so it survives a Redis restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from accounts.models import Membership, Organisation, Role, Team, User
from capa.broker import enqueue_now
from capa.templatetags.nhsuk import uk_datetime
from diary import publication, tasks
from diary.models import Notice, OutboxEmail, OutboxStatus, PublicationRun, QuarterTarget, TargetChange
from planning.quarters import Quarter

STUCK_LISTED = 50  # the page lists this many stuck emails, newest first, and counts them all
CHANGES_LISTED = 50
CHANGES_IN_MESSAGE = 20

MESSAGES = {
    "started": "Publishing {quarter} has started. The progress bar shows how far it has got.",
    "carrying_on": "Publishing {quarter} is already under way: the worker has been asked to carry on.",
    "already": (
        "Targets for {quarter} were published on {when}. To take in job plans agreed since, "
        "use Republish after plan changes."
    ),
    "no_broker": (
        "The worker could not be reached, so publishing {quarter} has not started yet. It will start "
        "with the daily job, or try again in a few minutes."
    ),
    "not_published": "Targets for {quarter} are not published yet: publish them first.",
    "still_running": "Targets for {quarter} are still being published. Republish once that has finished.",
    "no_changes": "Republished {quarter}: no target changed.",
    "changes": "Republished {quarter}: {count} target{s} changed, and each clinician has been told. {listed}",
}


# --- Access ---------------------------------------------------------------------------------------


def get_organisation_for_publication(user: User) -> Organisation:
    """The organisation whose targets the user publishes: admins only, everyone else 403.
    An admin of several organisations publishes the first by name."""
    if not access.is_admin(user):
        raise PermissionDenied("Only admins publish slot targets.")
    membership = (
        Membership.objects.filter(user=user, role=Role.ADMIN)
        .select_related("organisation")
        .order_by("organisation__name")
        .first()
    )
    return membership.organisation


def get_run_for_admin(user: User, run_id: int) -> PublicationRun:
    """A run of an organisation the user administers; any other run, or a non-admin, is a 404."""
    try:
        return PublicationRun.objects.select_related("organisation").get(
            pk=run_id,
            organisation__admin_memberships__user=user,
            organisation__admin_memberships__role=Role.ADMIN,
        )
    except PublicationRun.DoesNotExist:
        raise Http404("No such publication run.") from None


# --- Reads for the page ----------------------------------------------------------------------------


def quarters_of(organisation: Organisation) -> list[Quarter]:
    """The quarters the page shows and publishes: the next one (being prepared) and this one."""
    this = Quarter.containing(timezone.localdate(), start_month=organisation.financial_year_start_month)
    return [this.next(), this]


@dataclass
class TeamTargets:
    """One team's clinicians, each with their target and the slots they have put in."""

    team: Team
    rows: list[publication.Shortfall]

    @property
    def short_count(self) -> int:
        return sum(1 for row in self.rows if row.target.target and row.short)

    @property
    def without_plan_count(self) -> int:
        return sum(1 for row in self.rows if row.target.target is None)

    @property
    def target_total(self) -> int:
        return sum(row.target.target or 0 for row in self.rows)

    @property
    def put_in_total(self) -> int:
        return sum(row.put_in for row in self.rows)


@dataclass
class QuarterPanel:
    """What the page shows of one quarter: its run (if any) and, once published, its targets."""

    quarter: Quarter
    run: PublicationRun | None
    publication_day: date
    is_due: bool
    teams: list[TeamTargets] = field(default_factory=list)
    without_plan: list[QuarterTarget] = field(default_factory=list)
    changes: list[TargetChange] = field(default_factory=list)

    @property
    def is_running(self) -> bool:
        return self.run is not None and self.run.status == PublicationRun.Status.RUNNING

    @property
    def is_completed(self) -> bool:
        return self.run is not None and self.run.status == PublicationRun.Status.COMPLETED


def _panel(quarter: Quarter, run: PublicationRun | None) -> QuarterPanel:
    day = publication.publication_day(quarter)
    panel = QuarterPanel(quarter, run, day, is_due=timezone.localdate() >= day)
    if not panel.is_completed:
        return panel
    # Two queries: the slots put in per clinician, and the targets with their people and teams.
    rows = publication.shortfalls(run=run, quarter=quarter)
    panel.teams = [TeamTargets(team=group[0].target.team, rows=group) for group in _by_team(rows)]
    panel.without_plan = [row.target for row in rows if row.target.target is None]
    # One query: what republishing changed (a plan change that left the number alone is not listed).
    moved = (
        Q(old_target__lt=F("new_target"))
        | Q(old_target__gt=F("new_target"))
        | Q(old_target__isnull=True, new_target__isnull=False)
        | Q(old_target__isnull=False, new_target__isnull=True)
    )
    panel.changes = list(
        TargetChange.objects.filter(moved, target__run=run)
        .select_related("target__clinician", "target__team", "changed_by")
        .order_by("-changed_at", "-pk")[:CHANGES_LISTED]
    )
    return panel


def _by_team(rows: list[publication.Shortfall]) -> list[list[publication.Shortfall]]:
    return [list(group) for _, group in groupby(rows, key=lambda row: row.target.team_id)]


def _stuck_emails(organisation: Organisation):
    """Emails to the organisation's people that have failed and are waiting to retry, or gave up."""
    people = User.objects.filter(
        Q(memberships__team__organisation=organisation) | Q(memberships__organisation=organisation)
    ).values("email")
    return OutboxEmail.objects.filter(
        status__in=[OutboxStatus.STUCK, OutboxStatus.FAILED], to__in=people
    ).order_by("-created_at", "-pk")


# --- Pages ----------------------------------------------------------------------------------------


@login_required
@require_GET
def publication_page(request: HttpRequest) -> HttpResponse:
    organisation = get_organisation_for_publication(request.user)
    quarters = quarters_of(organisation)
    runs = {
        run.quarter_start: run
        for run in PublicationRun.objects.filter(
            organisation=organisation, quarter_start__in=[q.start for q in quarters]
        ).select_related("organisation", "started_by", "republished_by")
    }
    stuck = _stuck_emails(organisation)
    return render(
        request,
        "diary/publication.html",
        {
            "organisation": organisation,
            "panels": [_panel(quarter, runs.get(quarter.start)) for quarter in quarters],
            "stuck_emails": list(stuck[:STUCK_LISTED]),
            "stuck_count": stuck.count(),
            "lead_days": publication.lead_days(),
            "reminder_points": publication.reminder_points(),
        },
    )


@login_required
@require_GET
def publication_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress bar alone, for htmx to poll every 2 seconds while the run is running."""
    run = get_run_for_admin(request.user, run_id)
    quarter = Quarter.containing(run.quarter_start, start_month=run.organisation.financial_year_start_month)
    return render(
        request,
        "diary/_publication_progress.html",
        {"run": run, "quarter": quarter, "out_of_band": bool(request.headers.get("HX-Request"))},
    )


def _quarter_from_post(request: HttpRequest, organisation: Organisation) -> Quarter | None:
    """The quarter named by the form's hidden field, if it is one the page offers."""
    try:
        quarter = Quarter.parse(
            request.POST.get("quarter", ""), start_month=organisation.financial_year_start_month
        )
    except ValueError:
        return None
    return quarter if quarter in quarters_of(organisation) else None


@login_required
@require_POST
def publish_now(request: HttpRequest) -> HttpResponse:
    """Start publishing a quarter through the worker. Idempotent: a completed run stays as it is,
    and asking again while it runs only asks the worker to carry on."""
    organisation = get_organisation_for_publication(request.user)
    quarter = _quarter_from_post(request, organisation)
    if quarter is None:
        return HttpResponseBadRequest("Choose this quarter or the next one, like 2027-Q1.")
    run = PublicationRun.objects.filter(organisation=organisation, quarter_start=quarter.start).first()
    if run is not None and run.status == PublicationRun.Status.COMPLETED:
        messages.info(request, MESSAGES["already"].format(quarter=quarter, when=uk_datetime(run.finished_at)))
        return redirect("diary:publication")
    carrying_on = run is not None
    # The run's row first, so the page shows it at once, whatever the worker is doing.
    publication.start_run(organisation=organisation, quarter=quarter, by=request.user)
    if not _ask_the_worker(organisation=organisation, quarter=quarter, by=request.user):
        messages.warning(request, MESSAGES["no_broker"].format(quarter=quarter))
        return redirect("diary:publication")
    messages.success(request, MESSAGES["carrying_on" if carrying_on else "started"].format(quarter=quarter))
    return redirect("diary:publication")


def _ask_the_worker(*, organisation: Organisation, quarter: Quarter, by: User) -> bool:
    """Send the publishing task; False if the broker cannot be reached (the run's row is already
    saved, so nothing is lost: the daily job or another click carries on)."""
    return enqueue_now(tasks.publish_quarter, organisation.pk, quarter.label, by.pk)


@login_required
@require_POST
def republish(request: HttpRequest) -> HttpResponse:
    """Recompute a published quarter's targets from the plans agreed since, and say what changed."""
    organisation = get_organisation_for_publication(request.user)
    quarter = _quarter_from_post(request, organisation)
    if quarter is None:
        return HttpResponseBadRequest("Choose this quarter or the next one, like 2027-Q1.")
    run = PublicationRun.objects.filter(organisation=organisation, quarter_start=quarter.start).first()
    if run is None:
        messages.info(request, MESSAGES["not_published"].format(quarter=quarter))
        return redirect("diary:publication")
    if run.status != PublicationRun.Status.COMPLETED:
        messages.info(request, MESSAGES["still_running"].format(quarter=quarter))
        return redirect("diary:publication")
    changes = publication.republish_quarter(organisation=organisation, quarter=quarter, by=request.user)
    messages.success(request, _changes_message(quarter, changes))
    return redirect("diary:publication")


def _target_text(value: int | None) -> str:
    return "no agreed plan" if value is None else str(value)


def _changes_message(quarter: Quarter, changes: list[publication.Change]) -> str:
    if not changes:
        return MESSAGES["no_changes"].format(quarter=quarter)
    listed = "; ".join(
        f"{c.clinician} ({c.team}): {_target_text(c.old)} → {_target_text(c.new)}"
        for c in changes[:CHANGES_IN_MESSAGE]
    )
    if len(changes) > CHANGES_IN_MESSAGE:
        listed += f"; and {len(changes) - CHANGES_IN_MESSAGE} more"
    return MESSAGES["changes"].format(
        quarter=quarter, count=len(changes), s="" if len(changes) == 1 else "s", listed=listed + "."
    )


@login_required
@require_POST
def notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Mark one of the user's own notices read; anyone else's is a 404."""
    notice = get_object_or_404(Notice, pk=notice_id, user=request.user)
    # Conditional, so a second click (or a second tab) keeps the time it was first read.
    Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("home")
