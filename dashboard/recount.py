"""The dashboard's figures recounted the slow, obvious way, row by row in Python: the oracle that
`dashboard/quarterly.py`'s SQL is checked against by the tests and by `manage.py check_invariants`.

Nothing here shares code with `quarterly.py` beyond the quarter bounds and the SlotCounts shape,
so a mistake in one is not repeated in the other. It loads every row of the teams it checks: fine
for a test or an operator's check of a few quarters, not for a page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from accounts.models import Team
from dashboard import quarterly
from diary.models import CANCELLED, AppointmentSlot, ClinicianTime, Slot, SlotKind, SlotStatus
from partnership.models import Case, CaseStep, CaseWorker, StepKind, WorkerRole
from planning.quarters import Quarter


def differences(
    found: dict[tuple[int, Quarter], quarterly.TeamActivity],
    teams: Sequence[Team],
    quarters: Sequence[Quarter],
    *,
    now: datetime,
) -> list[str]:
    """Where `found` (from `quarterly.activities(teams, quarters, now=now)`) disagrees with a
    recount: one line per figure that differs; empty when every figure agrees."""
    problems: list[str] = []
    team_ids = [team.pk for team in teams]
    links = list(AppointmentSlot.objects.filter(slot__team_id__in=team_ids).select_related("appointment"))
    times = list(ClinicianTime.objects.filter(slot__team_id__in=team_ids))
    all_slots = list(Slot.objects.filter(team_id__in=team_ids, kind=SlotKind.FIRST_CORE))
    all_cases = list(Case.objects.filter(team_id__in=team_ids))
    all_steps = list(CaseStep.objects.filter(case__team_id__in=team_ids).select_related("case"))
    all_workers = list(CaseWorker.objects.filter(case__team_id__in=team_ids).select_related("case"))

    def differ(where: str, figure: str, expected, got) -> None:
        if expected != got:
            problems.append(f"{where}: {figure} is {got} on the dashboard, {expected} recounted")

    def counts(chosen: list[Slot]) -> quarterly.SlotCounts:
        ids = {s.pk for s in chosen}
        mine = [link for link in links if link.slot_id in ids]
        return quarterly.SlotCounts(
            offered=len(chosen),
            booked=sum(1 for s in chosen if s.status == SlotStatus.BOOKED),
            attended=len({k.slot_id for k in mine if k.appointment.status == "attended"}),
            dna=len({k.slot_id for k in mine if k.appointment.status == "dna"}),
            cancelled=sum(1 for k in mine if k.appointment.status in CANCELLED),
            reoffered=sum(1 for s in chosen if s.reoffer_of_id),
            left_unbooked=sum(1 for s in chosen if s.status == SlotStatus.VACANT and s.starts_at < now),
            lost=sum(1 for s in chosen if s.status == SlotStatus.LOST),
        )

    for team in teams:
        for q in quarters:
            where = f"{team.name} {q.label}"
            activity = found.get((team.pk, q))
            if activity is None:
                problems.append(f"{where}: missing from the dashboard")
                continue
            starts, ends = quarterly.bounds(q)

            def in_quarter(day, q=q) -> bool:
                return day is not None and q.start <= day < q.next().start

            slots = [
                s
                for s in all_slots
                if s.team_id == team.pk and starts <= s.starts_at < ends and s.status != SlotStatus.REMOVED
            ]
            differ(where, "first Core slots", counts(slots), activity.slots)
            for row in activity.clinicians:
                person = row.clinician.pk
                theirs = [
                    s for s in slots if any(t.slot_id == s.pk and t.clinician_id == person for t in times)
                ]
                differ(f"{where} {row.clinician}", "first Core slots", counts(theirs), row.slots)
                joined = {
                    w.case_id
                    for w in all_workers
                    if w.clinician_id == person
                    and w.case.team_id == team.pk
                    and w.role in (WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER)
                    and in_quarter(w.joined_on)
                }
                differ(
                    f"{where} {row.clinician}",
                    "new Core Partnerships",
                    len(joined),
                    row.new_core_partnerships,
                )
            cases = [c for c in all_cases if c.team_id == team.pk]
            seen_at_choice = sorted(
                (c.choice_date - c.referral_date).days for c in cases if in_quarter(c.choice_date)
            )
            differ(
                where, "waits referral to Choice", seen_at_choice, sorted(activity.referral_to_choice.days)
            )
            differ(
                where,
                "accepted referrals",
                sum(1 for c in cases if in_quarter(c.accepted_on)),
                activity.accepted_referrals,
            )
            steps = [s for s in all_steps if s.case.team_id == team.pk and in_quarter(s.happened_on)]
            differ(
                where,
                "Choice used",
                sum(1 for s in steps if s.kind == StepKind.CHOICE_ATTENDED),
                activity.choice_used,
            )
            differ(
                where,
                "Choice missed",
                sum(1 for s in steps if s.kind == StepKind.CHOICE_DNA),
                activity.choice_missed,
            )
            differ(
                where,
                "to Core",
                sum(1 for s in steps if s.kind in (StepKind.TO_CORE, StepKind.KEEP_AT_CHOICE)),
                activity.to_core,
            )
    return problems
