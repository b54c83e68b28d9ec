"""A family's journey through the team, as one table of steps.

referral received -> accepted (or not, with a reason) -> Choice booked -> Choice attended (or a
DNA or cancellation: invited again) -> the Choice outcome (closed: no further help or another
agency; Core Partnership; Specific Partnership; Choice Plus; kept by the Choice clinician) ->
first Core booked (from the Partnership diary) -> in Partnership -> reviews -> Let Go. A
re-referral of a closed episode opens a new one, starting at Choice.

`TRANSITIONS` is the whole rule: a step not in it for the case's state is refused with a message
saying why and what can happen next, and nothing changes. Every step taken is a `CaseStep` row
(what, from and to which state, on which day, who recorded it and when), written in the same
transaction as the change it records. The diary's booking and outcome functions take their steps
through `take_step` inside their own transactions.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Team, User
from partnership.models import (
    CLOSED_STATES,
    Case,
    CaseState,
    CaseStep,
    CaseView,
    CaseWorker,
    ChoiceOutcome,
    JoinedVia,
    StepKind,
    WorkerRole,
)

S, K = CaseState, StepKind

TRANSITIONS: dict[StepKind, dict[CaseState, CaseState]] = {
    K.ACCEPT: {S.REFERRED: S.AWAITING_CHOICE},
    K.NOT_ACCEPT: {S.REFERRED: S.NOT_ACCEPTED},
    K.BOOK_CHOICE: {S.AWAITING_CHOICE: S.CHOICE_BOOKED},
    K.CHOICE_ATTENDED: {S.CHOICE_BOOKED: S.CHOICE_ATTENDED},
    K.CHOICE_DNA: {S.CHOICE_BOOKED: S.AWAITING_CHOICE},
    K.CHOICE_CANCELLED: {S.CHOICE_BOOKED: S.AWAITING_CHOICE},
    K.CLOSE_AT_CHOICE: {S.CHOICE_ATTENDED: S.CLOSED_AT_CHOICE},
    K.TO_CORE: {S.CHOICE_ATTENDED: S.AWAITING_FIRST_CORE},
    K.TO_SPECIFIC: {S.CHOICE_ATTENDED: S.AWAITING_SPECIFIC},
    K.CHOICE_PLUS: {S.CHOICE_ATTENDED: S.AWAITING_CHOICE},
    K.KEEP_AT_CHOICE: {S.CHOICE_ATTENDED: S.IN_PARTNERSHIP},
    K.BOOK_FIRST_CORE: {S.AWAITING_FIRST_CORE: S.FIRST_CORE_BOOKED},
    K.FIRST_CORE_ATTENDED: {S.FIRST_CORE_BOOKED: S.IN_PARTNERSHIP},
    K.FIRST_CORE_MISSED: {S.FIRST_CORE_BOOKED: S.AWAITING_FIRST_CORE},
    K.SPECIFIC_WORKER_JOINED: {S.AWAITING_SPECIFIC: S.IN_PARTNERSHIP, S.IN_PARTNERSHIP: S.IN_PARTNERSHIP},
    K.REVIEW: {S.IN_PARTNERSHIP: S.IN_PARTNERSHIP},
    K.LET_GO: {
        S.AWAITING_CHOICE: S.LET_GO,
        S.AWAITING_FIRST_CORE: S.LET_GO,
        S.AWAITING_SPECIFIC: S.LET_GO,
        S.IN_PARTNERSHIP: S.LET_GO,
    },
    # The closed episode stays closed; the new one starts at Choice (see `re_refer`).
    K.RE_REFER: {state: state for state in CLOSED_STATES},
}

# Steps a person records on the case page (the others come from the diary, reviews and the rota).
RECORDED_ON_THE_CASE = [
    K.ACCEPT,
    K.NOT_ACCEPT,
    K.CHOICE_ATTENDED,
    K.CHOICE_DNA,
    K.CHOICE_CANCELLED,
    K.CLOSE_AT_CHOICE,
    K.TO_CORE,
    K.TO_SPECIFIC,
    K.CHOICE_PLUS,
    K.KEEP_AT_CHOICE,
    K.LET_GO,
    K.RE_REFER,
]

LET_GO_REASONS = [
    "Goals met",
    "Moved on to another service",
    "Disengaged",
    "Transferred to adult services",
    "Moved out of area",
    "Family chose to end",
]

MESSAGES = {
    "duplicate": "This family already has a case from a referral on that date: open it from the cases.",
    "born_after_referral": "The date of birth must be before the referral date.",
    "choice_before_referral": "The Choice date must be on or after the referral date.",
    "not_now": "This case is {state}, so {step} is not possible. {next}",
    "nothing_next": "Nothing more can happen to it: a new referral opens a new episode.",
    "in_future": "The date cannot be in the future.",
    "before_referral": "The date cannot be before the referral on {referral}.",
    "reason": "Say why.",
    "agency": "Name the agency the family goes to.",
    "outcome": "Choose no further help or another agency.",
    "stream": "Choose the Specific stream.",
    "clinician": "Choose a clinician of the team.",
    "nhs_number": "An NHS number is 10 digits and its last digit must check out: look at it again.",
}


class CaseError(Exception):
    """A step or a case that cannot be recorded, with a message for the person (and the form
    field it belongs to)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def nhs_number_is_valid(number: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine (NHS Data Dictionary)."""
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def next_steps(state: str) -> list[StepKind]:
    """The steps a case in `state` may take, in the order of the journey."""
    return [kind for kind, moves in TRANSITIONS.items() if state in moves]


def refusal(case: Case, kind: StepKind) -> CaseError:
    """Why the case cannot take this step now, and what it can do next."""
    allowed = [k for k in next_steps(case.state) if k in RECORDED_ON_THE_CASE or k == K.BOOK_FIRST_CORE]
    follow = (
        "Next: " + "; ".join(in_a_sentence(StepKind(k).label) for k in allowed) + "."
        if allowed
        else MESSAGES["nothing_next"]
    )
    return CaseError(
        MESSAGES["not_now"].format(
            state=in_a_sentence(CaseState(case.state).label),
            step=in_a_sentence(StepKind(kind).label),
            next=follow,
        )
    )


# CAPA's own names keep their capitals inside a sentence.
PROPER_NAMES = ("Let Go", "Choice", "Core", "Specific")


def in_a_sentence(label: str) -> str:
    """A label inside a sentence: "First Core booked" becomes "first Core booked"; "Let Go" and
    "Choice booked" stay as they are."""
    if label.startswith(PROPER_NAMES):
        return label
    return label[:1].lower() + label[1:]


# What a step may change on the case.
STEP_FIELDS = (
    "state",
    "accepted_on",
    "choice_date",
    "choice_clinician_id",
    "choice_outcome",
    "other_agency",
    "specific_stream_id",
    "closed_on",
    "close_reason",
    "goals",
)


@dataclass(frozen=True)
class Facts:
    """What a step says beyond "it happened": a reason, the agency, the stream, a clinician."""

    detail: str = ""
    outcome: str = ""  # of a close at Choice: no further help or another agency
    agency: str = ""
    stream: object | None = None  # planning.SpecificStream
    clinician: User | None = None  # the Choice clinician, or who keeps the case
    goals: str = ""  # agreed at Choice (recorded with the Choice outcome)
    data: dict | None = None


def take_step(
    *,
    case: Case,
    kind: StepKind,
    by: User,
    on: date | None = None,
    facts: Facts = Facts(),
    locked: bool = False,
) -> CaseStep:
    """Move the case one step along the journey, or raise CaseError (changing nothing).

    Runs in the caller's transaction if there is one (the diary books and steps at once), in its
    own otherwise, and locks the case row so two people recording at once take turns (`locked`:
    the caller already holds the lock on this very object, fetched in its transaction; a refusal
    then spoils that transaction, so the caller must let the CaseError end it, as the bookings do)."""
    # A caller that holds the lock is in a transaction that a refused step rolls back whole, so it
    # needs no savepoint of its own.
    if locked and not transaction.get_connection().in_atomic_block:
        raise TypeError("take_step(locked=True) runs inside the transaction that locked the case")
    with transaction.atomic(savepoint=not locked):
        # A copy either way: a refused step must leave the caller's object as it was.
        current = copy.copy(case) if locked else Case.objects.select_for_update().get(pk=case.pk)
        step = _apply(current, kind=StepKind(kind), by=by, on=on or timezone.localdate(), facts=facts)
    # The caller's object shows the new state too.
    for name in STEP_FIELDS:
        setattr(case, name, getattr(current, name))
    return step


def next_state(case: Case, *, kind: StepKind, on: date) -> str:
    """The state this step on this day moves the case to, or CaseError if it cannot take it now.
    Changes nothing: `take_step` applies it, and the diary's booking writes it in its own way."""
    moves = TRANSITIONS[kind]
    if case.state not in moves:
        raise refusal(case, kind)
    if on > timezone.localdate():
        raise CaseError(MESSAGES["in_future"], field="on")
    if on < case.referral_date:
        raise CaseError(MESSAGES["before_referral"].format(referral=case.referral_date), field="on")
    return moves[case.state]


def _apply(case: Case, *, kind: StepKind, by: User, on: date, facts: Facts) -> CaseStep:
    after = next_state(case, kind=kind, on=on)
    detail = facts.detail.strip()
    before = case.state
    case.state = after
    changed = ["state"]
    if kind == K.ACCEPT:
        case.accepted_on = on
        changed.append("accepted_on")
    elif kind in (K.NOT_ACCEPT, K.LET_GO):
        if not detail:
            raise CaseError(MESSAGES["reason"], field="detail")
        case.closed_on, case.close_reason = on, detail[:200]
        changed += ["closed_on", "close_reason"]
        if kind == K.LET_GO:
            CaseWorker.objects.filter(case=case, left_on__isnull=True).update(left_on=on)
    elif kind == K.CHOICE_ATTENDED:
        case.choice_date = on
        case.choice_clinician = facts.clinician or by
        changed += ["choice_date", "choice_clinician"]
    elif kind == K.CLOSE_AT_CHOICE:
        if facts.outcome not in (ChoiceOutcome.NO_FURTHER_HELP, ChoiceOutcome.ANOTHER_AGENCY):
            raise CaseError(MESSAGES["outcome"], field="outcome")
        agency = facts.agency.strip()
        if facts.outcome == ChoiceOutcome.ANOTHER_AGENCY and not agency:
            raise CaseError(MESSAGES["agency"], field="agency")
        case.choice_outcome, case.other_agency = facts.outcome, agency[:200]
        case.closed_on = on
        case.close_reason = ChoiceOutcome(facts.outcome).label + (f": {agency}" if agency else "")
        changed += ["choice_outcome", "other_agency", "closed_on", "close_reason"]
    elif kind in (K.TO_CORE, K.TO_SPECIFIC, K.CHOICE_PLUS, K.KEEP_AT_CHOICE):
        case.choice_outcome = {
            K.TO_CORE: ChoiceOutcome.CORE,
            K.TO_SPECIFIC: ChoiceOutcome.SPECIFIC,
            K.CHOICE_PLUS: ChoiceOutcome.CHOICE_PLUS,
            K.KEEP_AT_CHOICE: ChoiceOutcome.KEPT_AT_CHOICE,
        }[kind]
        changed.append("choice_outcome")
        if facts.goals.strip():
            case.goals = facts.goals.strip()
            changed.append("goals")
        if kind == K.TO_SPECIFIC:
            if facts.stream is None or facts.stream.team_id != case.team_id:
                raise CaseError(MESSAGES["stream"], field="stream")
            case.specific_stream = facts.stream
            changed.append("specific_stream")
        if kind == K.KEEP_AT_CHOICE:
            keeper = facts.clinician or case.choice_clinician or by
            _join(case, keeper, role=WorkerRole.KEY_WORKER, via=JoinedVia.CHOICE, on=on, by=by)
    case.save(update_fields=changed)
    return CaseStep.objects.create(
        case=case,
        kind=kind,
        from_state=before,
        to_state=case.state,
        happened_on=on,
        detail=detail,
        data=facts.data or {},
        by=by,
    )


def _join(case: Case, clinician: User, *, role: str, via: str, on: date, by: User, stream=None) -> CaseWorker:
    try:
        with transaction.atomic():
            return CaseWorker.objects.create(
                case=case,
                clinician=clinician,
                role=role,
                specific_stream=stream,
                joined_on=on,
                via=via,
                added_by=by,
            )
    except IntegrityError:
        raise CaseError(f"{clinician} already works with this case.", field="clinician") from None


def join_first_core_clinicians(*, case: Case, clinicians: list[User], on: date, by: User) -> None:
    """After the first Core appointment: its clinician becomes the key worker (unless the case has
    one), and a second clinician of a joint appointment a Core co-worker, which counts the case
    towards their own new Core Partnerships."""
    current = set(
        CaseWorker.objects.filter(case=case, left_on__isnull=True).values_list("clinician_id", "role")
    )
    has_key_worker = any(role == WorkerRole.KEY_WORKER for _, role in current)
    working = {clinician_id for clinician_id, _ in current}
    for clinician in clinicians:
        if clinician.pk in working:
            continue
        role = WorkerRole.CORE_COWORKER if has_key_worker else WorkerRole.KEY_WORKER
        _join(case, clinician, role=role, via=JoinedVia.DIARY, on=on, by=by)
        has_key_worker = True


@transaction.atomic(durable=True)
def re_refer(*, case: Case, referral_date: date, by: User) -> Case:
    """A closed episode's family referred again: a new episode of the same child, accepted and
    waiting for Choice (a re-referral always starts again at Choice)."""
    take_step(case=case, kind=K.RE_REFER, by=by, on=min(referral_date, timezone.localdate()))
    if referral_date < (case.closed_on or case.referral_date):
        raise CaseError("A re-referral comes after the episode closed.", field="referral_date")
    try:
        with transaction.atomic():
            episode = Case.objects.create(
                team_id=case.team_id,
                family_reference=case.family_reference,
                child_first_name=case.child_first_name,
                child_last_name=case.child_last_name,
                child_date_of_birth=case.child_date_of_birth,
                nhs_number=case.nhs_number,
                referrer=case.referrer,
                referral_date=referral_date,
                accepted_on=referral_date,
                state=CaseState.AWAITING_CHOICE,
                episode=case.episode + 1,
                previous_episode=case,
                created_by=by,
            )
    except IntegrityError:
        raise CaseError(
            "This family already has another episode from a referral on that date, or this episode "
            "was re-referred already.",
            field="referral_date",
        ) from None
    CaseStep.objects.create(
        case=episode,
        kind=K.ACCEPT,
        from_state=CaseState.REFERRED,
        to_state=CaseState.AWAITING_CHOICE,
        happened_on=referral_date,
        detail=f"Re-referral (episode {episode.episode})",
        by=by,
    )
    return episode


@transaction.atomic(durable=True)
def receive_referral(
    *,
    team: Team,
    family_reference: str,
    child_first_name: str,
    child_last_name: str,
    child_date_of_birth: date,
    referral_date: date,
    referrer: str = "",
    nhs_number: str = "",
    by: User,
) -> Case:
    """A new referral: a case in the "referral received" state, to be accepted or not."""
    return _create(
        team=team,
        family_reference=family_reference,
        child_first_name=child_first_name,
        child_last_name=child_last_name,
        child_date_of_birth=child_date_of_birth,
        referral_date=referral_date,
        referrer=referrer,
        nhs_number=nhs_number,
        by=by,
    )


@transaction.atomic(durable=True)
def open_case(
    *,
    team: Team,
    family_reference: str,
    child_first_name: str,
    child_last_name: str,
    child_date_of_birth: date,
    referral_date: date,
    choice_date: date | None,
    nhs_number: str = "",
    by: User,
) -> Case:
    """Open a case on the spot at the end of Choice with Core Partnership agreed: the referral,
    its acceptance, the Choice and its outcome recorded at once, ready for the first Core booking.
    Raises CaseError if the dates disagree or the same referral already has a case."""
    if choice_date is not None and choice_date < referral_date:
        raise CaseError(MESSAGES["choice_before_referral"], field="choice_date")
    if choice_date is not None and choice_date > timezone.localdate():
        raise CaseError(MESSAGES["in_future"], field="choice_date")
    case = _create(
        team=team,
        family_reference=family_reference,
        child_first_name=child_first_name,
        child_last_name=child_last_name,
        child_date_of_birth=child_date_of_birth,
        referral_date=referral_date,
        nhs_number=nhs_number,
        by=by,
    )
    choice_day = choice_date or timezone.localdate()
    for kind, on in (
        (K.ACCEPT, referral_date),
        (K.BOOK_CHOICE, referral_date),
        (K.CHOICE_ATTENDED, choice_day),
        (K.TO_CORE, choice_day),
    ):
        take_step(case=case, kind=kind, by=by, on=on)
    return case


def _create(
    *,
    team: Team,
    family_reference: str,
    child_first_name: str,
    child_last_name: str,
    child_date_of_birth: date,
    referral_date: date,
    by: User,
    referrer: str = "",
    nhs_number: str = "",
) -> Case:
    if child_date_of_birth > referral_date:
        raise CaseError(MESSAGES["born_after_referral"], field="child_date_of_birth")
    if referral_date > timezone.localdate():
        raise CaseError(MESSAGES["in_future"], field="referral_date")
    nhs_number = "".join(nhs_number.split())
    if nhs_number and not nhs_number_is_valid(nhs_number):
        raise CaseError(MESSAGES["nhs_number"], field="nhs_number")
    try:
        with transaction.atomic():
            return Case.objects.create(
                team=team,
                family_reference=family_reference.strip(),
                child_first_name=child_first_name.strip(),
                child_last_name=child_last_name.strip(),
                child_date_of_birth=child_date_of_birth,
                referral_date=referral_date,
                referrer=referrer.strip(),
                nhs_number=nhs_number,
                state=CaseState.REFERRED,
                created_by=by,
            )
    except IntegrityError:
        raise CaseError(MESSAGES["duplicate"], field="family_reference") from None


def record_view(*, case: Case, by: User, what: str = "case") -> None:
    """Log that someone opened a child's record (DESIGN.md: viewing a child's case is logged)."""
    CaseView.objects.create(case=case, viewed_by=by, what=what)
