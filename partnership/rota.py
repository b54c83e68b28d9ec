"""Who works with a case beyond its key worker: the next-up rota of a Specific stream, a second
Core clinician, and a change of key worker.

The rota of a stream is the team's clinicians whose job plan in force gives hours to that stream,
taken in turn: the one whose last pick for the stream is oldest goes first (never picked: first of
all), ties by name. Anyone away that day (an absence beyond normal leave covering it), already at
their quarterly target for the stream (Specific joins this quarter against the target their plan
gives, after absence) or already working with the case is skipped, and the skip says why in words.
Every pick is a `RotaPick` row with everyone it skipped; a lead may override the rota with a reason.

Targets come from `planning.figures.team_quarter` (the capacity page's own figures); nothing here
does capacity maths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from accounts import access
from accounts.models import Membership, Role, User
from capa.templatetags.nhsuk import uk_date
from partnership import cases
from partnership.cases import CaseError, Facts
from partnership.models import (
    CLOSED_STATES,
    Case,
    CaseState,
    CaseWorker,
    JoinedVia,
    RotaPick,
    StepKind,
    WorkerRole,
)
from planning import capacity, figures
from planning.models import Absence, Allocation, SpecificStream
from planning.quarters import Quarter
from planning.queries import team_planning

MESSAGES = {
    "stream": "Choose a Specific stream of this team.",
    "not_rota": "{stream} takes its cases through a Specific diary, not a next-up rota.",
    "retired": "{stream} is no longer an active stream.",
    "nobody": "Nobody can take a {stream} case now: {why}. A lead can override the rota and name someone.",
    "nobody_eligible": "nobody has hours for {stream} in their job plan in force",
    "lead_only": "Only the team's leads can override the rota.",
    "override_reason": "Say why you are overriding the rota.",
    "clinician": "Choose a clinician of the team.",
    "already_key_worker": "{clinician} is already the key worker.",
    "closed": "This case is {state}: nobody can join it.",
    "coworker_state": "A Core co-worker joins a case in Partnership; this case is {state}.",
}


@dataclass(frozen=True)
class RotaEntry:
    """One clinician on a stream's rota, in turn order, with why they are skipped (if they are)."""

    clinician: User
    target: Fraction  # new cases of the stream this quarter, after absence
    taken: int  # Specific joins of the stream this quarter
    last_picked_at: datetime | None
    skip_reason: str = ""

    @property
    def target_words(self) -> str:
        return capacity.one_decimal(self.target)


@dataclass(frozen=True)
class RotaChoice:
    """Who the rota says is next for a stream on a day, and everyone skipped before them."""

    stream: SpecificStream
    on: date
    quarter: Quarter
    next_up: User | None
    entries: list[RotaEntry] = field(default_factory=list)  # everyone on the rota, in turn order

    @property
    def skipped(self) -> list[RotaEntry]:
        """Those passed over before the next one (everyone, when nobody is free)."""
        passed = []
        for entry in self.entries:
            if self.next_up is not None and entry.clinician.pk == self.next_up.pk:
                break
            passed.append(entry)
        return passed

    @property
    def skipped_json(self) -> list[dict]:
        return [
            {
                "clinician": e.clinician.pk,
                "name": e.clinician.get_full_name() or str(e.clinician),
                "reason": e.skip_reason,
            }
            for e in self.skipped
        ]

    @property
    def why_nobody(self) -> str:
        if not self.entries:
            return MESSAGES["nobody_eligible"].format(stream=self.stream.name)
        return "; ".join(
            f"{_name(e.clinician)}: {e.skip_reason[0].lower()}{e.skip_reason[1:]}" for e in self.entries
        )

    @property
    def message(self) -> str:
        return MESSAGES["nobody"].format(stream=self.stream.name, why=self.why_nobody)


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _absence_words(absence: Absence) -> str:
    kind = absence.get_kind_display()
    if absence.ends_on is None:
        return f"Away: {kind.lower()} from {uk_date(absence.starts_on)}"
    return f"Away: {kind.lower()} until {uk_date(absence.ends_on)}"


def _quarter(stream: SpecificStream, on: date) -> Quarter:
    return Quarter.containing(on, start_month=stream.team.organisation.financial_year_start_month)


def next_up(stream: SpecificStream, on: date, *, case: Case | None = None) -> RotaChoice:
    """Who takes the next case of `stream` on day `on` (and, with `case`, not someone already
    working with it). A fixed number of queries whatever the size of the team."""
    team = stream.team
    quarter = _quarter(stream, on)
    planning = team_planning([team], in_force_on=quarter.start)[team.pk]
    team_figures = figures.team_quarter(planning, quarter, whole_numbers=False)
    targets: dict[int, tuple[User, Fraction]] = {}
    for row in team_figures.clinicians:
        if row.week is None or row.figures is None or not row.week.specific.get(stream.pk):
            continue
        targets[row.clinician.pk] = (row.clinician, row.figures.specific_targets.get(stream.pk, Fraction(0)))
    if not targets:
        return RotaChoice(stream=stream, on=on, quarter=quarter, next_up=None)
    taken = dict(
        CaseWorker.objects.filter(
            specific_stream=stream,
            role=WorkerRole.SPECIFIC_WORKER,
            clinician_id__in=targets,
            joined_on__gte=quarter.start,
            joined_on__lte=quarter.end,
        )
        .values("clinician_id")
        .annotate(n=Count("pk"))
        .values_list("clinician_id", "n")
    )
    last_picks = {
        row["picked_id"]: (row["last_pk"], row["last_at"])
        for row in RotaPick.objects.filter(stream=stream, picked_id__in=targets)
        .values("picked_id")
        .annotate(last_pk=Max("pk"), last_at=Max("picked_at"))
    }
    working = (
        set(CaseWorker.objects.filter(case=case, left_on__isnull=True).values_list("clinician_id", flat=True))
        if case is not None
        else set()
    )

    def turn(clinician_id: int):
        clinician = targets[clinician_id][0]
        last = last_picks.get(clinician_id)
        # Never picked first; then the oldest last pick (pks grow with time); then by name.
        return (
            last is not None,
            last[0] if last else 0,
            clinician.last_name,
            clinician.first_name,
            clinician_id,
        )

    entries = []
    chosen = None
    for clinician_id in sorted(targets, key=turn):
        clinician, target = targets[clinician_id]
        count = taken.get(clinician_id, 0)
        away = next(
            (
                a
                for a in planning.absences.get(clinician_id, [])
                if a.starts_on <= on and (a.ends_on is None or a.ends_on >= on)
            ),
            None,
        )
        if away is not None:
            reason = _absence_words(away)
        elif count >= target:
            reason = (
                f"At their {stream.name} target for {quarter.label}: "
                f"{count} taken of {capacity.one_decimal(target)}"
            )
        elif clinician_id in working:
            reason = "Already works with this case"
        else:
            reason = ""
        last = last_picks.get(clinician_id)
        entries.append(
            RotaEntry(
                clinician=clinician,
                target=target,
                taken=count,
                last_picked_at=last[1] if last else None,
                skip_reason=reason,
            )
        )
        if chosen is None and not reason:
            chosen = clinician
    return RotaChoice(stream=stream, on=on, quarter=quarter, next_up=chosen, entries=entries)


def team_clinicians(team) -> list[User]:
    """The team's clinicians and leads with a clinician profile, by name."""
    return list(
        User.objects.filter(
            memberships__team=team,
            memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            clinician_profile__isnull=False,
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def _is_team_clinician(team, clinician: User | None) -> bool:
    return (
        clinician is not None
        and Membership.objects.filter(
            user=clinician,
            team=team,
            role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            user__clinician_profile__isnull=False,
        ).exists()
    )


def _lock_open_case(case: Case) -> Case:
    locked = Case.objects.select_for_update().select_related("team__organisation").get(pk=case.pk)
    if locked.state in CLOSED_STATES:
        raise CaseError(MESSAGES["closed"].format(state=CaseState(locked.state).label.lower()))
    return locked


@transaction.atomic
def assign_from_rota(
    case: Case,
    stream: SpecificStream | None,
    by: User,
    override_to: User | None = None,
    override_reason: str = "",
    *,
    on: date | None = None,
) -> RotaPick:
    """A Specific worker joins the case from the stream's next-up rota (or, overridden by a lead
    with a reason, someone the lead names): the pick with everyone skipped, the worker, and the
    case's step, all or nothing. Raises CaseError (nothing written) or PermissionDenied.

    The pick carries the rota as it stood (`pick.rota_choice`), everyone on it in turn."""
    on = on or timezone.localdate()
    override_reason = override_reason.strip()
    if stream is None or stream.team_id != case.team_id:
        raise CaseError(MESSAGES["stream"], field="stream")
    # One pick at a time per stream: two people asking at once take turns, and both see the
    # other's pick.
    stream = SpecificStream.objects.select_for_update().select_related("team__organisation").get(pk=stream.pk)
    if not stream.is_active:
        raise CaseError(MESSAGES["retired"].format(stream=stream.name), field="stream")
    if stream.allocation != Allocation.ROTA:
        raise CaseError(MESSAGES["not_rota"].format(stream=stream.name), field="stream")
    locked = _lock_open_case(case)
    if locked.state not in cases.TRANSITIONS[StepKind.SPECIFIC_WORKER_JOINED]:
        raise cases.refusal(locked, StepKind.SPECIFIC_WORKER_JOINED)
    choice = next_up(stream, on, case=locked)
    if override_to is not None and choice.next_up is not None and override_to.pk == choice.next_up.pk:
        override_to = None  # the lead named who the rota would pick anyway: not an override
    if override_to is not None:
        if not access.leads_team(by, stream.team):
            raise PermissionDenied(MESSAGES["lead_only"])
        if not _is_team_clinician(stream.team, override_to):
            raise CaseError(MESSAGES["clinician"], field="override_to")
        if not override_reason:
            raise CaseError(MESSAGES["override_reason"], field="override_reason")
        picked, via = override_to, JoinedVia.ROTA_OVERRIDE
    elif choice.next_up is None:
        raise CaseError(choice.message, field="stream")
    else:
        picked, via, override_reason = choice.next_up, JoinedVia.ROTA, ""
    pick = RotaPick.objects.create(
        stream=stream,
        case=locked,
        picked=picked,
        next_up=choice.next_up,
        skipped=choice.skipped_json,
        override_reason=override_reason[:200],
        by=by,
    )
    pick.rota_choice = choice
    try:
        cases._join(locked, picked, role=WorkerRole.SPECIFIC_WORKER, via=via, on=on, by=by, stream=stream)
    except CaseError as problem:  # a lead named someone already working with the case
        raise CaseError(problem.message, field="override_to") from None
    detail = f"{_name(picked)}, {stream.name}" + (
        f" (rota overridden: {override_reason})" if via == JoinedVia.ROTA_OVERRIDE else " (next-up rota)"
    )
    cases.take_step(
        case=case,
        kind=StepKind.SPECIFIC_WORKER_JOINED,
        by=by,
        on=on,
        facts=Facts(detail=detail, stream=stream, clinician=picked, data={"rota_pick": pick.pk}),
    )
    return pick


@transaction.atomic
def add_core_coworker(case: Case, clinician: User | None, by: User, *, on: date | None = None) -> CaseWorker:
    """A second Core clinician joins the case; it counts towards their own new Core Partnerships."""
    on = on or timezone.localdate()
    locked = _lock_open_case(case)
    if locked.state != CaseState.IN_PARTNERSHIP:
        raise CaseError(
            MESSAGES["coworker_state"].format(state=CaseState(locked.state).label.lower()), field="clinician"
        )
    if not _is_team_clinician(locked.team, clinician):
        raise CaseError(MESSAGES["clinician"], field="clinician")
    return cases._join(locked, clinician, role=WorkerRole.CORE_COWORKER, via=JoinedVia.LEAD, on=on, by=by)


@transaction.atomic
def change_key_worker(case: Case, clinician: User | None, by: User, *, on: date | None = None) -> CaseWorker:
    """The case's key worker changes: the old one leaves today, the new one joins. A co-worker or
    Specific worker who becomes the key worker leaves that role (one role per case at a time)."""
    on = on or timezone.localdate()
    locked = _lock_open_case(case)
    if not _is_team_clinician(locked.team, clinician):
        raise CaseError(MESSAGES["clinician"], field="clinician")
    current = list(CaseWorker.objects.select_for_update().filter(case=locked, left_on__isnull=True))
    for row in current:
        if row.clinician_id == clinician.pk and row.role == WorkerRole.KEY_WORKER:
            raise CaseError(
                MESSAGES["already_key_worker"].format(clinician=_name(clinician)), field="clinician"
            )
    for row in current:
        if row.role == WorkerRole.KEY_WORKER or row.clinician_id == clinician.pk:
            row.left_on = max(on, row.joined_on)
            row.save(update_fields=["left_on"])
    return cases._join(locked, clinician, role=WorkerRole.KEY_WORKER, via=JoinedVia.LEAD, on=on, by=by)


def new_core_partnerships(clinician: User, quarter_start: date, quarter_end: date) -> int:
    """New Core Partnerships a clinician started in the period (inclusive): the cases they joined
    as key worker or Core co-worker, each case once."""
    return (
        CaseWorker.objects.filter(
            clinician=clinician,
            role__in=[WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER],
            joined_on__gte=quarter_start,
            joined_on__lte=quarter_end,
        )
        .values("case_id")
        .distinct()
        .count()
    )


def recent_picks(stream: SpecificStream, limit: int = 20) -> list[RotaPick]:
    return list(
        RotaPick.objects.filter(stream=stream)
        .select_related("case", "picked", "next_up", "by")
        .order_by("-picked_at", "-pk")[:limit]
    )
