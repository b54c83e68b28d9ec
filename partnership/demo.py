"""The demo teams' families over the last year, through every stage of the journey.

Each week of the last 52 the team receives about its accepted-referral rate (`planning/demo.py`)
in referrals. A few are not accepted; the rest wait one to five weeks for Choice (about 5% miss it
and are invited again); at Choice about two thirds go on to Core Partnership and the rest close
(no further help, another agency), go to a Specific stream, need a Choice Plus or stay with their
Choice clinician. Core families see a key worker for a first Core appointment one to five weeks
later and then for follow-ups every week or two, about 7.5 appointments in all with a long tail,
and are let go when done; reviews every six appointments. Families seen at Choice in the last few
weeks with Core agreed are the diary demo's (`diary/demo.py` books them through the diary), so
none is left waiting without a booking.

Written straight to the tables (the domain functions rightly refuse dates in the past), but every
case's state is reached by walking `partnership.cases.TRANSITIONS` from "referral received", with a
`CaseStep` for each step, so the history and the state always agree. Appointments hold their
clinicians' time like any other (the no-overlap constraint checks them); times that would clash
with a clinician's diary are moved to the next free hour. Deterministic and idempotent: a team
with any case of this demo (references starting "YR") is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pghistory
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from accounts.calendar import bank_holidays
from accounts.demo import ORGANISATION_NAME, TEAMS
from accounts.models import Organisation, Role, Team, User, Venue
from diary.models import (
    Appointment,
    AppointmentKind,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    Slot,
    SlotKind,
    SlotStatus,
)
from diary.slots import at
from partnership.cases import TRANSITIONS
from partnership.measures import ensure_default_measures
from partnership.models import (
    CLOSED_STATES,
    Case,
    CaseState,
    CaseStep,
    CaseWorker,
    ChoiceOutcome,
    JoinedVia,
    MeasurePoint,
    OutcomeMeasure,
    OutcomeScore,
    Review,
    StepKind,
    WorkerRole,
)
from planning.models import ReferralRate, SpecificStream
from planning.quarters import Quarter

SEED = "capa-case-demo"
PREFIX = "YR"
WEEKS = 52
DEFAULT_REFERRALS_A_WEEK = 6
NOT_ACCEPTED = 0.08
CHOICE_DNA = 0.05
FIRST_CORE_DNA = 0.05
RECENT_CORE_WEEKS = 5  # Core families seen at Choice this recently are the diary demo's
APPOINTMENT = timedelta(hours=1)
HOURS = [time(9), time(10), time(11), time(13), time(14), time(15), time(16)]
NOT_ACCEPTED_REASONS = [
    "Not a CAMHS need: signposted to school nursing",
    "Outside the team's area",
    "Duplicate referral",
]
AGENCIES = ["School nursing", "Early help", "Adult mental health", "Educational psychology", "Youth service"]
LET_GO_REASONS = ["Goals met", "Goals met", "Goals met", "Disengaged", "Moved on to another service"]
FIRST_NAMES = [
    "Aria",
    "Ellis",
    "Hana",
    "Jude",
    "Kian",
    "Lena",
    "Milo",
    "Nell",
    "Orla",
    "Rafe",
    "Sana",
    "Tobi",
]
LAST_NAMES = [
    "Adams",
    "Bell",
    "Carter",
    "Dixon",
    "Fox",
    "Grant",
    "Hayes",
    "Iqbal",
    "Kaur",
    "Lowe",
    "Nash",
    "Reid",
]
# At Choice, as quotas over the year: (share, outcome).
CHOICE_OUTCOMES = [
    (0.66, ChoiceOutcome.CORE),
    (0.06, ChoiceOutcome.SPECIFIC),
    (0.04, ChoiceOutcome.CHOICE_PLUS),
    (0.04, ChoiceOutcome.KEPT_AT_CHOICE),
    (0.11, ChoiceOutcome.NO_FURTHER_HELP),
    (0.09, ChoiceOutcome.ANOTHER_AGENCY),
]


@dataclass
class Journey:
    """One family's case as it is built: the case row, its steps, workers, appointments."""

    case: Case
    steps: list[CaseStep] = field(default_factory=list)
    workers: list[CaseWorker] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    scores: list[OutcomeScore] = field(default_factory=list)

    def step(self, kind: StepKind, on: date, by: User, detail: str = "") -> None:
        """Take `kind` as the transition table says (a demo that breaks the table fails loudly)."""
        case = self.case
        target = TRANSITIONS[kind][case.state]
        self.steps.append(
            CaseStep(
                case=case,
                kind=kind,
                from_state=case.state,
                to_state=target,
                happened_on=on,
                detail=detail,
                by=by,
            )
        )
        case.state = target
        if kind == StepKind.ACCEPT:
            case.accepted_on = on
        elif kind == StepKind.CHOICE_ATTENDED:
            case.choice_date, case.choice_clinician = on, by
        elif target in CLOSED_STATES and kind != StepKind.RE_REFER:
            case.closed_on, case.close_reason = on, detail


class Diaries:
    """Each clinician's busy times, so demo appointments never overlap anything in their diary."""

    def __init__(self, team: Team, clinicians: list[User], holidays: set[date]) -> None:
        self.holidays = holidays
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {c.pk: [] for c in clinicians}
        for clinician_id, during in ClinicianTime.objects.filter(
            clinician__in=clinicians, is_live=True
        ).values_list("clinician_id", "during"):
            self.busy[clinician_id].append((during.lower, during.upper))

    def free_time(self, clinician: User, on_or_after: date, rng: random.Random) -> tuple[datetime, datetime]:
        """The first free hour of the clinician on a working day on or after `on_or_after`."""
        day = on_or_after
        while True:
            if day.weekday() < 5 and day not in self.holidays:
                for hour in rng.sample(HOURS, len(HOURS)):
                    start = at(day, hour)
                    end = start + APPOINTMENT
                    if all(end <= s or start >= e for s, e in self.busy[clinician.pk]):
                        self.busy[clinician.pk].append((start, end))
                        return start, end
            day += timedelta(days=1)


def seed_case_demo(*, today: date) -> None:
    """A year of families for each demo team (see the module docstring). Run after the diary demo:
    its slots are in the clinicians' diaries."""
    organisation = Organisation.objects.get(name=ORGANISATION_NAME)
    with pghistory.context(command="seed_demo"):
        ensure_default_measures(organisation)
        for demo_team in TEAMS:
            team = Team.objects.get(organisation=organisation, name=demo_team.name)
            if not Case.objects.filter(team=team, family_reference__startswith=PREFIX).exists():
                _seed_team(team, today=today)


def _referrals_a_week(team: Team, day: date) -> float:
    rate = (
        ReferralRate.objects.filter(team=team, quarter_start__lte=day).order_by("-quarter_start").first()
        or ReferralRate.objects.filter(team=team).order_by("quarter_start").first()
    )
    return float(rate.referrals_per_week) if rate else DEFAULT_REFERRALS_A_WEEK


def _quota(outcomes: list[tuple[float, str]], rng: random.Random, count: int) -> list[str]:
    """`count` outcomes in the given shares, shuffled: every outcome turns up, none by luck alone."""
    drawn = [outcome for share, outcome in outcomes for _ in range(round(share * count))]
    while len(drawn) < count:
        drawn.append(outcomes[0][1])
    rng.shuffle(drawn)
    return drawn[:count]


def _core_length(rng: random.Random) -> int:
    """Appointments in a Core case: about 7.5 on average, a long tail of longer ones."""
    return max(2, min(40, round(rng.lognormvariate(1.85, 0.5))))


@transaction.atomic
def _seed_team(team: Team, *, today: date) -> None:
    rng = random.Random(f"{SEED}:{team.name}")  # noqa: S311  (made-up data, same every run)
    clinicians = list(
        User.objects.filter(
            memberships__team=team,
            memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            clinician_profile__isnull=False,
        )
        .distinct()
        .order_by("username")
    )
    venues = list(Venue.objects.filter(team=team, is_active=True).order_by("pk"))
    if not clinicians or not venues:
        return
    streams = list(SpecificStream.objects.filter(team=team, is_active=True).order_by("pk"))
    measures = {m.name: m for m in OutcomeMeasure.objects.filter(organisation_id=team.organisation_id)}
    holidays = {
        d for year in (today.year - 1, today.year, today.year + 1) for d in bank_holidays(team.nation, year)
    }
    diaries = Diaries(team, clinicians, holidays)
    recent_core_from = Quarter.containing(today).start - timedelta(weeks=RECENT_CORE_WEEKS)
    monday = today - timedelta(days=today.weekday())
    outcome_pending_from = today - timedelta(days=1)
    for _ in range(2):
        outcome_pending_from -= timedelta(days=1)
        while outcome_pending_from.weekday() >= 5 or outcome_pending_from in holidays:
            outcome_pending_from -= timedelta(days=1)
    referrals = []
    for week in range(WEEKS, -1, -1):  # this week's so far too
        start = monday - timedelta(weeks=week)
        count = max(0, round(rng.gauss(_referrals_a_week(team, start), 1.5)))
        days = [start + timedelta(days=rng.randrange(5)) for _ in range(count)]
        referrals += sorted(day for day in days if day <= today)
    outcomes = iter(_quota(CHOICE_OUTCOMES, rng, len(referrals)))
    journeys, appointments, times, links = [], [], [], []
    slots = []
    for number, referred in enumerate(referrals, start=1):
        by = rng.choice(clinicians)
        case = Case(
            team=team,
            family_reference=f"{PREFIX}{team.pk:02d}{number:04d}",
            child_first_name=rng.choice(FIRST_NAMES),
            child_last_name=rng.choice(LAST_NAMES),
            child_date_of_birth=referred - timedelta(days=rng.randint(4 * 365 + 1, 18 * 365 - 1)),
            referral_date=referred,
            referrer=rng.choice(["GP", "School", "Health visitor", "Social care", "Self-referral"]),
            state=CaseState.REFERRED,
            created_by=by,
        )
        journey = Journey(case)
        outcome = next(outcomes)
        accepted = referred + timedelta(days=rng.randint(0, 3))
        if accepted > today:
            journeys.append(journey)
            continue
        if rng.random() < NOT_ACCEPTED:
            journey.step(StepKind.NOT_ACCEPT, accepted, by, rng.choice(NOT_ACCEPTED_REASONS))
            journeys.append(journey)
            continue
        journey.step(StepKind.ACCEPT, accepted, by)
        booked_on = accepted + timedelta(days=rng.randint(1, 6))
        if booked_on > today:
            journeys.append(journey)
            continue
        journey.step(StepKind.BOOK_CHOICE, booked_on, by)
        choice_on = _working_day(accepted + timedelta(days=rng.randint(7, 35)), holidays)
        if rng.random() < CHOICE_DNA and choice_on < today:
            journey.step(StepKind.CHOICE_DNA, choice_on, by)
            journey.step(StepKind.BOOK_CHOICE, choice_on, by)
            choice_on = _working_day(choice_on + timedelta(days=rng.randint(7, 14)), holidays)
        if choice_on >= today:
            journeys.append(journey)
            continue
        chooser = rng.choice(clinicians)
        journey.step(StepKind.CHOICE_ATTENDED, choice_on, chooser)
        if choice_on >= outcome_pending_from:  # seen in the last two working days: outcome still to record
            journeys.append(journey)
            continue
        if outcome == ChoiceOutcome.CHOICE_PLUS:
            journey.step(StepKind.CHOICE_PLUS, choice_on, chooser)
            journey.step(StepKind.BOOK_CHOICE, choice_on, chooser)
            choice_on = _working_day(choice_on + timedelta(days=rng.randint(10, 21)), holidays)
            if choice_on >= today:
                journeys.append(journey)
                continue
            journey.step(StepKind.CHOICE_ATTENDED, choice_on, chooser)
            outcome = ChoiceOutcome.CORE
        case.choice_outcome = outcome
        if outcome in (ChoiceOutcome.NO_FURTHER_HELP, ChoiceOutcome.ANOTHER_AGENCY):
            agency = rng.choice(AGENCIES) if outcome == ChoiceOutcome.ANOTHER_AGENCY else ""
            case.other_agency = agency
            label = ChoiceOutcome(outcome).label + (f": {agency}" if agency else "")
            journey.step(StepKind.CLOSE_AT_CHOICE, choice_on, chooser, label)
            journeys.append(journey)
            continue
        if outcome == ChoiceOutcome.CORE and choice_on >= recent_core_from:
            continue  # the diary demo's families (see the module docstring)
        if outcome == ChoiceOutcome.SPECIFIC and streams:
            case.specific_stream = rng.choice(streams)
            journey.step(StepKind.TO_SPECIFIC, choice_on, chooser)
            joined = choice_on + timedelta(days=rng.randint(7, 28))
            if joined < today:
                worker = rng.choice(clinicians)
                journey.workers.append(
                    CaseWorker(
                        case=case,
                        clinician=worker,
                        role=WorkerRole.SPECIFIC_WORKER,
                        specific_stream=case.specific_stream,
                        joined_on=joined,
                        via=JoinedVia.ROTA,
                        added_by=worker,
                    )
                )
                journey.step(StepKind.SPECIFIC_WORKER_JOINED, joined, worker)
            journeys.append(journey)
            continue
        if outcome == ChoiceOutcome.KEPT_AT_CHOICE:
            journey.step(StepKind.KEEP_AT_CHOICE, choice_on, chooser)
            journey.workers.append(
                CaseWorker(
                    case=case,
                    clinician=chooser,
                    role=WorkerRole.KEY_WORKER,
                    joined_on=choice_on,
                    via=JoinedVia.CHOICE,
                    added_by=chooser,
                )
            )
            key_worker, next_from = chooser, choice_on + timedelta(days=7)
        else:  # Core Partnership (and a Specific outcome in a team without streams)
            case.choice_outcome = ChoiceOutcome.CORE
            journey.step(StepKind.TO_CORE, choice_on, chooser)
            key_worker = rng.choice(clinicians)
            venue = rng.choice(venues)
            first_from = choice_on + timedelta(days=rng.randint(7, 35))
            while True:
                starts, ends = diaries.free_time(key_worker, first_from, rng)
                slot = Slot(
                    team=team,
                    kind=SlotKind.FIRST_CORE,
                    starts_at=starts,
                    ends_at=ends,
                    venue=venue,
                    status=SlotStatus.BOOKED,
                    created_by=key_worker,
                )
                missed = starts.date() < today and rng.random() < FIRST_CORE_DNA
                happened = ends < timezone.now()
                status = (
                    AppointmentStatus.BOOKED
                    if not happened
                    else AppointmentStatus.DNA
                    if missed
                    else AppointmentStatus.ATTENDED
                )
                appointment = Appointment(
                    team=team,
                    case=case,
                    kind=AppointmentKind.FIRST_CORE,
                    starts_at=starts,
                    ends_at=ends,
                    venue=venue,
                    status=status,
                    booked_by=chooser,
                    booked_at=at(choice_on, time(12)),
                    outcome_by=key_worker if happened else None,
                    outcome_at=_recorded(ends) if happened else None,
                )
                slots.append(slot)
                appointments.append(appointment)
                times.append(
                    ClinicianTime(clinician=key_worker, slot=slot, during=DateTimeTZRange(starts, ends))
                )
                links.append((appointment, slot))
                journey.step(StepKind.BOOK_FIRST_CORE, at(choice_on, time(12)).date(), chooser)
                if status == AppointmentStatus.BOOKED:
                    break
                if status == AppointmentStatus.DNA:
                    journey.step(StepKind.FIRST_CORE_MISSED, starts.date(), key_worker)
                    first_from = starts.date() + timedelta(days=rng.randint(5, 12))
                    continue
                journey.step(StepKind.FIRST_CORE_ATTENDED, starts.date(), key_worker)
                journey.scores += _scores(case, measures, MeasurePoint.START, starts.date(), key_worker, rng)
                journey.workers.append(
                    CaseWorker(
                        case=case,
                        clinician=key_worker,
                        role=WorkerRole.KEY_WORKER,
                        joined_on=starts.date(),
                        via=JoinedVia.DIARY,
                        added_by=key_worker,
                    )
                )
                break
            if case.state != CaseState.IN_PARTNERSHIP:
                journeys.append(journey)
                continue
            next_from = starts.date() + timedelta(days=rng.randint(7, 14))
        # Follow-ups with the key worker until the case ends (or today).
        attended = 1 if outcome != ChoiceOutcome.KEPT_AT_CHOICE else 0
        length = _core_length(rng)
        venue = rng.choice(venues)
        while attended < length:
            starts, ends = diaries.free_time(key_worker, next_from, rng)
            if ends > timezone.now():
                appointment = Appointment(
                    team=team,
                    case=case,
                    kind=AppointmentKind.FOLLOW_UP,
                    starts_at=starts,
                    ends_at=ends,
                    venue=venue,
                    status=AppointmentStatus.BOOKED,
                    booked_by=key_worker,
                    booked_at=at(next_from - timedelta(days=7), time(12)),
                )
                appointments.append(appointment)
                times.append(
                    ClinicianTime(
                        clinician=key_worker, appointment=appointment, during=DateTimeTZRange(starts, ends)
                    )
                )
                break
            status = rng.choices(
                [AppointmentStatus.ATTENDED, AppointmentStatus.DNA, AppointmentStatus.CANCELLED_BY_FAMILY],
                weights=[90, 5, 5],
            )[0]
            appointment = Appointment(
                team=team,
                case=case,
                kind=AppointmentKind.FOLLOW_UP,
                starts_at=starts,
                ends_at=ends,
                venue=venue,
                status=status,
                booked_by=key_worker,
                booked_at=at(next_from - timedelta(days=7), time(12)),
                outcome_by=key_worker,
                outcome_at=_recorded(ends)
                if status != AppointmentStatus.CANCELLED_BY_FAMILY
                else starts - timedelta(days=2),
                cancel_reason="Child unwell." if status == AppointmentStatus.CANCELLED_BY_FAMILY else "",
            )
            appointments.append(appointment)
            times.append(
                ClinicianTime(
                    clinician=key_worker,
                    appointment=appointment,
                    during=DateTimeTZRange(starts, ends),
                    is_live=status != AppointmentStatus.CANCELLED_BY_FAMILY,
                )
            )
            if status == AppointmentStatus.ATTENDED:
                attended += 1
                if attended % 6 == 0:
                    journey.reviews.append(
                        Review(
                            case=case,
                            held_on=starts.date(),
                            notes="Goals reviewed with the family.",
                            next_review_on=starts.date() + timedelta(weeks=8),
                            by=key_worker,
                        )
                    )
                    journey.step(StepKind.REVIEW, starts.date(), key_worker)
            next_from = starts.date() + timedelta(days=rng.randint(7, 14))
        else:
            ended = min(next_from, today)
            journey.step(StepKind.LET_GO, ended, key_worker, rng.choice(LET_GO_REASONS))
            if journey.scores:
                journey.scores += _scores(
                    case, measures, MeasurePoint.END, ended, key_worker, rng, after=journey.scores
                )
            for worker in journey.workers:
                worker.left_on = ended
        journeys.append(journey)
    _write(journeys, slots=slots, appointments=appointments, times=times, links=links)


# (lowest start, highest start, usual change): C-GAS rises as a child gets better, SDQ falls.
SCORE_RANGES = {"C-GAS": (38, 55, 12), "SDQ": (16, 28, -6)}


def _scores(case, measures, point, on, by, rng, *, after=()) -> list[OutcomeScore]:
    """Start scores, or end scores that mostly show improvement from `after`'s start scores."""
    start = {score.measure.name: score.score for score in after}
    made = []
    for name, (low, high, change) in SCORE_RANGES.items():
        measure = measures.get(name)
        if measure is None:
            continue
        if point == MeasurePoint.START:
            value = rng.randint(low, high)
        else:
            value = round(float(start[name]) + rng.gauss(change, abs(change) * 0.7))
        value = max(int(measure.lowest), min(int(measure.highest), value))
        made.append(OutcomeScore(case=case, measure=measure, point=point, score=value, scored_on=on, by=by))
    return made


def _recorded(ends: datetime) -> datetime:
    """When an appointment that has ended was recorded: half an hour after, but never later than now
    (an appointment that ended ten minutes ago was recorded, if at all, in the past)."""
    return min(ends + timedelta(minutes=30), timezone.now())


def _working_day(day: date, holidays: set[date]) -> date:
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def _write(journeys: list[Journey], *, slots, appointments, times, links) -> None:
    Case.objects.bulk_create([j.case for j in journeys])
    for journey in journeys:
        for row in journey.steps + journey.workers + journey.reviews + journey.scores:
            row.case = journey.case  # the saved case, with its primary key
    CaseStep.objects.bulk_create([step for j in journeys for step in j.steps])
    CaseWorker.objects.bulk_create([worker for j in journeys for worker in j.workers])
    Review.objects.bulk_create([review for j in journeys for review in j.reviews])
    OutcomeScore.objects.bulk_create([score for j in journeys for score in j.scores])
    # Rows made before the cases, slots and appointments they point at were saved take their keys
    # from them now (bulk_create reads the related objects).
    Slot.objects.bulk_create(slots)
    Appointment.objects.bulk_create(appointments)
    ClinicianTime.objects.bulk_create(times)
    AppointmentSlot.objects.bulk_create(AppointmentSlot(appointment=a, slot=s) for a, s in links)
