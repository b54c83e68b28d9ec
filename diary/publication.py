"""Publishing each clinician's target of first Core slots for the coming quarter, and chasing.

About six weeks before a quarter (settings.PUBLICATION_LEAD_DAYS, default 42) the daily beat job
`ensure_next_quarter_published` publishes the organisation's targets: one `QuarterTarget` per
clinician from the agreed job plan in force for that quarter (the planning maths), written in
batches under one `PublicationRun` whose progress the admin page polls. It is idempotent: targets
are unique per clinician and quarter, runs per organisation and quarter, and each batch is written
under an advisory lock, so late, missed, repeated or concurrent runs publish each target once.
Each clinician is told once (email through the outbox, and a notice in capa). Reminders go at set
points before the quarter to those with fewer slots put in than their target, and their leads get
a summary of their team's shortfall.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, Team, User
from capa.templatetags.nhsuk import uk_date
from diary import outbox
from diary.models import (
    Notice,
    PublicationRun,
    QuarterTarget,
    ReminderSent,
    Slot,
    SlotKind,
    SlotStatus,
    TargetChange,
)
from diary.slots import at
from planning import figures
from planning import queries as planning_queries
from planning.quarters import Quarter

BATCH_TEAMS = 5  # teams per batch: about 150 clinicians, a transaction of a second or so
RUN_LOCKS = 7002  # advisory lock namespace: one publishing batch at a time per run


def lead_days() -> int:
    return int(getattr(settings, "PUBLICATION_LEAD_DAYS", 42))


def reminder_points() -> tuple[int, ...]:
    return tuple(getattr(settings, "REMINDER_DAYS_BEFORE", (21, 7)))


def slots_due_by(quarter: Quarter) -> date:
    """The day by which the quarter's slots should be in the diary: the first reminder point."""
    return quarter.start - timedelta(days=max(reminder_points(), default=0))


# --- When ---------------------------------------------------------------------------------------


def publication_day(quarter: Quarter) -> date:
    """The day a quarter's targets are due to be published: its first day minus the lead time."""
    return quarter.start - timedelta(days=lead_days())


def quarter_due(*, today: date, start_month: int) -> Quarter | None:
    """The quarter whose targets should be published by `today`, if any: the next quarter once
    its publication day has come (a late or missed daily run catches up the next day)."""
    upcoming = Quarter.containing(today, start_month=start_month).next()
    return upcoming if today >= publication_day(upcoming) else None


# --- Publishing ---------------------------------------------------------------------------------


def _memberships(organisation: Organisation) -> list[Membership]:
    return list(
        Membership.objects.filter(
            team__organisation=organisation,
            role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            user__clinician_profile__isnull=False,
            user__is_active=True,
        )
        .select_related("team__organisation", "user")
        .order_by("team_id", "user_id")
    )


def start_run(*, organisation: Organisation, quarter: Quarter, by: User | None = None) -> PublicationRun:
    """The quarter's run, made if it does not exist yet (a concurrent maker wins; we use theirs)."""
    try:
        with transaction.atomic():
            run, _ = PublicationRun.objects.get_or_create(
                organisation=organisation,
                quarter_start=quarter.start,
                defaults={"total": len(_memberships(organisation)), "started_by": by},
            )
    except IntegrityError:
        run = PublicationRun.objects.get(organisation=organisation, quarter_start=quarter.start)
    return run


def publish_quarter(
    *, organisation: Organisation, quarter: Quarter, by: User | None = None
) -> PublicationRun:
    """Publish every clinician's target for the quarter, in batches; safe to run again at any
    point (a completed run is left as it is; an interrupted one carries on where it stopped)."""
    run = start_run(organisation=organisation, quarter=quarter, by=by)
    if run.status == PublicationRun.Status.COMPLETED:
        return run
    memberships = _memberships(organisation)
    PublicationRun.objects.filter(pk=run.pk).update(total=len(memberships))
    by_team: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        by_team[membership.team_id].append(membership)
    teams = sorted(by_team)
    for i in range(0, len(teams), BATCH_TEAMS):
        _publish_batch(run, quarter, [by_team[t] for t in teams[i : i + BATCH_TEAMS]])
        _pause_for_tests(run)
    with transaction.atomic():
        done = QuarterTarget.objects.filter(run=run).count()
        PublicationRun.objects.filter(pk=run.pk, status=PublicationRun.Status.RUNNING).update(
            done=done,
            total=max(done, len(memberships)),
            status=PublicationRun.Status.COMPLETED,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


@transaction.atomic
def _publish_batch(run: PublicationRun, quarter: Quarter, teams: list[list[Membership]]) -> None:
    with connection.cursor() as cursor:  # one writer per run at a time: a second run waits, then skips
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RUN_LOCKS, run.pk])
    members = [m for team in teams for m in team]
    published = set(
        QuarterTarget.objects.filter(run=run, clinician__in=[m.user_id for m in members]).values_list(
            "team_id", "clinician_id"
        )
    )
    todo = [m for m in members if (m.team_id, m.user_id) not in published]
    if not todo:
        return
    planning = planning_queries.team_planning({m.team for m in todo})
    rows = {}
    for team_id in {m.team_id for m in todo}:
        for row in figures.team_quarter(planning[team_id], quarter).clinicians:
            rows[team_id, row.clinician.pk] = row
    targets = []
    for membership in todo:
        row = rows.get((membership.team_id, membership.user_id))
        has_plan = row is not None and row.plan is not None
        targets.append(
            QuarterTarget(
                run=run,
                team_id=membership.team_id,
                clinician_id=membership.user_id,
                quarter_start=quarter.start,
                target=row.core_target_whole if has_plan else None,
                exact_target=_fraction(row.figures.core_target) if has_plan else "",
                plan=row.plan if has_plan else None,
            )
        )
    QuarterTarget.objects.bulk_create(targets)
    for target, membership in zip(targets, todo, strict=True):
        _tell(target, membership.user, quarter)
    PublicationRun.objects.filter(pk=run.pk).update(done=F("done") + len(targets))


def _fraction(value) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _tell(target: QuarterTarget, clinician: User, quarter: Quarter) -> None:
    link = reverse("diary:clinician-slots", kwargs={"team_id": target.team_id, "clinician_id": clinician.pk})
    if target.target is None:
        text = (
            f"Targets for {quarter} are published, but you have no agreed job plan for it: "
            "ask your team lead to agree one."
        )
    else:
        text = (
            f"Your target for {quarter} is {target.target} first Core Partnership slots. Please put them in "
            f"the diary by {uk_date(slots_due_by(quarter))}."
        )
    Notice.objects.create(user=clinician, text=text, link=link)
    outbox.queue_email(
        to=clinician.email,
        subject=f"Your first Core slots for {quarter}",
        body=f"Dear {clinician.first_name or clinician},\n\n{text}\n\n{settings.CAPA_BASE_URL}{link}\n\ncapa",
        about=f"target:{target.pk}",
    )


def _pause_for_tests(run: PublicationRun) -> None:
    """Tests of a worker killed mid-run hold the task here while a file exists."""
    hold = getattr(settings, "PUBLICATION_TEST_HOLD_FILE", "")
    while hold and Path(hold).exists():
        time.sleep(0.1)


@dataclass(frozen=True)
class Change:
    team: Team
    clinician: User
    old: int | None
    new: int | None


@transaction.atomic(durable=True)
def republish_quarter(*, organisation: Organisation, quarter: Quarter, by: User) -> list[Change]:
    """Recompute a published quarter's targets after plans changed: an explicit, audited action
    that returns (and records) what changed, and tells the clinicians whose target moved."""
    run = PublicationRun.objects.select_for_update().get(
        organisation=organisation, quarter_start=quarter.start
    )
    existing = {
        (t.team_id, t.clinician_id): t
        for t in QuarterTarget.objects.filter(run=run).select_related("team", "clinician")
    }
    memberships = _memberships(organisation)
    planning = planning_queries.team_planning({m.team for m in memberships})
    changes = []
    for team_id in {m.team_id for m in memberships}:
        for row in figures.team_quarter(planning[team_id], quarter).clinicians:
            key = (team_id, row.clinician.pk)
            new = row.core_target_whole if row.plan is not None else None
            target = existing.get(key)
            if target is None:
                target = QuarterTarget.objects.create(
                    run=run,
                    team_id=team_id,
                    clinician=row.clinician,
                    quarter_start=quarter.start,
                    target=new,
                    exact_target=_fraction(row.figures.core_target) if row.plan else "",
                    plan=row.plan,
                )
                if new is not None:  # someone joining without a plan is listed, but no target changed
                    changes.append(Change(target.team, row.clinician, None, new))
                _tell(target, row.clinician, quarter)
            elif target.target != new or target.plan_id != (row.plan.pk if row.plan else None):
                old = target.target
                target.target, target.plan = new, row.plan
                target.exact_target = _fraction(row.figures.core_target) if row.plan else ""
                target.save(update_fields=["target", "plan", "exact_target"])
                TargetChange.objects.create(target=target, old_target=old, new_target=new, changed_by=by)
                if old != new:
                    changes.append(Change(target.team, row.clinician, old, new))
                    _tell(target, row.clinician, quarter)
    run.republished_at, run.republished_by = timezone.now(), by
    run.total = max(run.total, QuarterTarget.objects.filter(run=run).count())
    run.done = QuarterTarget.objects.filter(run=run).count()
    run.save(update_fields=["republished_at", "republished_by", "total", "done"])
    return changes


def publish_due_targets(*, today: date) -> list[PublicationRun]:
    """The daily job: publish the next quarter for every organisation whose publication day has
    come and whose run is not complete; remind those short of their target at the reminder points."""
    runs = []
    for organisation in Organisation.objects.order_by("pk"):
        quarter = quarter_due(today=today, start_month=organisation.financial_year_start_month)
        if quarter is None:
            continue
        run = PublicationRun.objects.filter(organisation=organisation, quarter_start=quarter.start).first()
        if run is None or run.status != PublicationRun.Status.COMPLETED:
            run = publish_quarter(organisation=organisation, quarter=quarter)
        runs.append(run)
        send_reminders(organisation=organisation, quarter=quarter, today=today)
    return runs


# --- Reminders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    target: QuarterTarget
    put_in: int

    @property
    def short(self) -> int:
        return max((self.target.target or 0) - self.put_in, 0)


def shortfalls(*, run: PublicationRun, quarter: Quarter) -> list[Shortfall]:
    """Each published target against the first Core slots put in for the quarter (one query)."""
    start, end = at(quarter.start, datetime.min.time()), at(quarter.next().start, datetime.min.time())
    counts = (
        Slot.objects.filter(
            kind=SlotKind.FIRST_CORE,
            starts_at__gte=start,
            starts_at__lt=end,
            team__organisation=run.organisation,
            times__is_live=True,
        )
        .exclude(status=SlotStatus.REMOVED)
        .values("team_id", "times__clinician_id")
        .annotate(count=Count("pk", distinct=True))
    )
    put_in = {(row["team_id"], row["times__clinician_id"]): row["count"] for row in counts}
    return [
        Shortfall(target, put_in.get((target.team_id, target.clinician_id), 0))
        for target in QuarterTarget.objects.filter(run=run)
        .select_related("clinician", "team")
        .order_by("team", "clinician")
    ]


def send_reminders(*, organisation: Organisation, quarter: Quarter, today: date) -> int:
    """At each reminder point on or before today (days before the quarter), remind each clinician
    still short of their target, once, and send each lead their team's shortfall, once."""
    run = PublicationRun.objects.filter(organisation=organisation, quarter_start=quarter.start).first()
    if run is None or run.status != PublicationRun.Status.COMPLETED:
        return 0
    points = [days for days in reminder_points() if today >= quarter.start - timedelta(days=days)]
    if not points or today >= quarter.start:
        return 0
    point = min(points)  # the latest point reached; earlier ones missed are not sent late
    sent = 0
    short = [s for s in shortfalls(run=run, quarter=quarter) if s.target.target and s.short]
    for each in short:
        sent += _remind_once(
            user=each.target.clinician,
            quarter=quarter,
            point=point,
            kind="clinician",
            text=(
                f"You have put in {each.put_in} of your {each.target.target} first Core slots for {quarter}: "
                f"{each.short} more to go before the quarter starts on {uk_date(quarter.start)}."
            ),
            link=reverse(
                "diary:clinician-slots",
                kwargs={"team_id": each.target.team_id, "clinician_id": each.target.clinician_id},
            ),
        )
    by_team: dict[int, list[Shortfall]] = defaultdict(list)
    for each in short:
        by_team[each.target.team_id].append(each)
    leads = Membership.objects.filter(team_id__in=by_team, role=Role.TEAM_LEAD).select_related("user", "team")
    for lead in leads:
        lines = "; ".join(
            f"{s.target.clinician}: {s.put_in} of {s.target.target}" for s in by_team[lead.team_id]
        )
        sent += _remind_once(
            user=lead.user,
            quarter=quarter,
            point=point,
            kind="lead",
            text=f"{lead.team} is short of first Core slots for {quarter}: {lines}.",
            link=reverse("diary:team-week", kwargs={"team_id": lead.team_id}),
        )
    return sent


def _remind_once(*, user: User, quarter: Quarter, point: int, kind: str, text: str, link: str) -> int:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(user=user, quarter_start=quarter.start, days_before=point, kind=kind)
            Notice.objects.create(user=user, text=text, link=link)
            outbox.queue_email(
                to=user.email,
                subject=f"Reminder: first Core slots for {quarter}",
                body=f"Dear {user.first_name or user},\n\n{text}\n\n{settings.CAPA_BASE_URL}{link}\n\ncapa",
                about=f"reminder:{kind}:{quarter.label}:{point}",
            )
    except IntegrityError:  # reminded at this point already (a repeated or concurrent daily run)
        return 0
    return 1


def unread_notices(user: User) -> Iterable[Notice]:
    return Notice.objects.filter(user=user, read_at__isnull=True).order_by("-created_at")[:10]
