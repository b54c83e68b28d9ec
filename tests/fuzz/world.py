"""The records a fuzzed post can name, made on first use and kept for the rest of the test: two
teams of one trust (and a team of another trust), their people, venues, streams, plans, cases in
each state, appointments, slots, sessions, letters, notices and a publication run.

`World.id("venue")` is this team's venue, `World.id("venue", "other")` the other team's, and
`World.id("venue", "gone")` an id that no row has."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.test import Client
from django.utils import timezone

from accounts.calendar import bank_holidays
from accounts.models import Role
from diary import follow_ups, slots
from diary.models import SlotKind
from diary.views_publication import quarters_of
from partnership import measures
from partnership.models import CLOSED_STATES, CaseState, WorkerRole
from tests.factories import (
    AbsenceFactory,
    AdminMembershipFactory,
    AppointmentFactory,
    CarePlanLetterFactory,
    CaseFactory,
    CaseWorkerFactory,
    NoticeFactory,
    OrganisationFactory,
    PublicationRunFactory,
    SlotFactory,
    SpecificStreamFactory,
    TeamSessionFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.plans import agreed_plan_for, clinician_in

GONE = 987_654_321  # no row has this id
WHOSE = ("own", "other")


def working_day(weeks_ahead: int) -> date:
    day = timezone.localdate() + timedelta(weeks=weeks_ahead)
    while day.weekday() >= 5 or day in bank_holidays("ENG", day.year):
        day += timedelta(days=1)
    return day


class World:
    def __init__(self, team, other_team) -> None:
        self.teams = {"own": team, "other": other_team}
        self._made: dict[tuple[str, str], object] = {}
        self._clients: dict[tuple[str, bool], Client] = {}
        self._strategies: dict = {}

    # --- records -----------------------------------------------------------------------------------

    def get(self, name: str, whose: str = "own"):
        key = (name, whose)
        if key not in self._made:
            if name.startswith("case_in_"):
                self._made[key] = self._case_in(name.removeprefix("case_in_"), whose)
            else:
                self._made[key] = getattr(self, f"_make_{name}")(whose)
        return self._made[key]

    def strategy(self, key, build):
        """A strategy built once per test (building them anew for every example is slow)."""
        if key not in self._strategies:
            self._strategies[key] = build()
        return self._strategies[key]

    def id(self, name: str, whose: str = "own") -> int:
        return GONE if whose == "gone" else self.get(name, whose).pk

    def ids(self) -> dict:
        world = self

        class Ids(dict):
            def __init__(self, whose: str) -> None:
                super().__init__()
                self.whose = whose

            def __missing__(self, name: str) -> int:
                return world.id(name, self.whose)

        return {whose: Ids(whose) for whose in (*WHOSE, "gone")}

    def _make_team(self, whose):
        return self.teams[whose]

    def _make_clinician(self, whose):
        """The team's clinician: the persona who books, puts in slots and works with cases."""
        return clinician_in(
            self.teams[whose], username=f"sam.clinician.{whose}", first_name="Sam", last_name="Clinician"
        )

    def _make_lead(self, whose):
        return clinician_in(self.teams[whose], role=Role.TEAM_LEAD, first_name="Lee", last_name="Lead")

    def _make_admin(self, whose):
        return AdminMembershipFactory(organisation=self._trust(whose)).user

    def _make_colleague(self, whose):
        """Another clinician of the team, with a plan that gives hours to the team's stream."""
        colleague = clinician_in(self.teams[whose], first_name="Cal", last_name="Colleague")
        agreed_plan_for(
            colleague,
            self.teams[whose],
            effective_from=date(2026, 1, 1),
            hours={"choice": "7.5", "core": "15", "team_meeting": "7.5"},
            streams={self.get("stream", whose): "7.5"},
        )
        return colleague

    def _make_password_owner(self, whose):
        return clinician_in(self.teams[whose], username=f"pat.password.{whose}")

    def _make_venue(self, whose):
        return VenueFactory(team=self.teams[whose])

    def _make_stream(self, whose):
        return SpecificStreamFactory(team=self.teams[whose])

    def _make_plan(self, whose):
        """A draft plan of the clinician that adds up, for a lead to agree."""
        return agreed_plan_for(
            self.get("clinician", whose),
            self.teams[whose],
            effective_from=date(2027, 4, 1),
            hours={"choice": "7.5", "core": "22.5", "supervision": "7.5"},
            agreed=False,
        )

    def _make_absence(self, whose):
        return AbsenceFactory(team=self.teams[whose], clinician=self.get("clinician", whose))

    def _make_case(self, whose):
        """A family waiting for their first Core appointment."""
        return CaseFactory(team=self.teams[whose], state=CaseState.AWAITING_FIRST_CORE)

    def _make_case_choice(self, whose):
        return CaseFactory(
            team=self.teams[whose], state=CaseState.AWAITING_CHOICE, choice_date=None, choice_outcome=""
        )

    def _make_case_partnership(self, whose):
        """A family in Partnership whose key worker is the clinician."""
        case = CaseFactory(team=self.teams[whose], state=CaseState.IN_PARTNERSHIP, goals="Sleep better.")
        CaseWorkerFactory(case=case, clinician=self.get("clinician", whose), role=WorkerRole.KEY_WORKER)
        return case

    def _case_in(self, state: str, whose: str):
        closed = state in CLOSED_STATES
        return CaseFactory(
            team=self.teams[whose],
            state=state,
            closed_on=timezone.localdate() - timedelta(days=1) if closed else None,
            close_reason="Goals met" if closed else "",
        )

    def _make_appointment(self, whose):
        """A first Core appointment booked with the clinician next month."""
        team = self.teams[whose]
        slot = SlotFactory(team=team, clinicians=[self.get("clinician", whose)], status="booked")
        return AppointmentFactory(
            team=team, starts_at=slot.starts_at, ends_at=slot.ends_at, venue=slot.venue, slots=[slot]
        )

    def _make_past_appointment(self, whose):
        """A first Core appointment that was held last week, waiting for its outcome."""
        team = self.teams[whose]
        starts_at = slots.at(working_day(-1), time(10, 0))
        slot = SlotFactory(
            team=team,
            clinicians=[self.get("clinician", whose)],
            status="booked",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
        )
        return AppointmentFactory(
            team=team, starts_at=slot.starts_at, ends_at=slot.ends_at, venue=slot.venue, slots=[slot]
        )

    def _make_dna_appointment(self, whose):
        """A first Core appointment the family did not attend: its capacity can be re-offered."""
        team = self.teams[whose]
        starts_at = slots.at(working_day(-1), time(14, 0))
        slot = SlotFactory(
            team=team,
            clinicians=[self.get("clinician", whose)],
            status="booked",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
        )
        return AppointmentFactory(
            team=team,
            dna=True,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            venue=slot.venue,
            slots=[slot],
        )

    def _make_follow_up(self, whose):
        day = working_day(3)
        return follow_ups.book_follow_up(
            case=self.get("case_partnership", whose),
            clinicians=[self.get("clinician", whose)],
            venue=self.get("venue", whose),
            starts_at=slots.at(day, time(15, 0)),
            ends_at=slots.at(day, time(16, 0)),
            by=self.get("clinician", whose),
        )

    def _make_slot(self, whose):
        return SlotFactory(
            team=self.teams[whose], clinicians=[self.get("clinician", whose)], venue=self.get("venue", whose)
        )

    def _make_slot2(self, whose):
        return SlotFactory(
            team=self.teams[whose], clinicians=[self.get("colleague", whose)], venue=self.get("venue", whose)
        )

    def _make_choice_slot(self, whose):
        return SlotFactory(
            team=self.teams[whose], kind=SlotKind.CHOICE, clinicians=[self.get("clinician", whose)]
        )

    def _make_choice_slot2(self, whose):
        return SlotFactory(
            team=self.teams[whose], kind=SlotKind.CHOICE, clinicians=[self.get("colleague", whose)]
        )

    def _make_session(self, whose):
        return TeamSessionFactory(team=self.teams[whose], created_by=self.get("lead", whose))

    def _make_letter(self, whose):
        return CarePlanLetterFactory(
            case=self.get("case_partnership", whose), written_by=self.get("clinician", whose)
        )

    def _make_measure(self, whose):
        """One of the trust's usual measures. The score page makes them on its first visit (even
        for a post it refuses), so the world has them from the start, as any trust in use does."""
        return measures.ensure_default_measures(self._trust(whose))[0]

    def _make_notice(self, whose):
        """The clinician's own notice ("other": a colleague's, never theirs to mark read)."""
        user = self.get("clinician") if whose == "own" else self.get("colleague")
        return NoticeFactory(team=self.teams["own"], user=user)

    def _make_run(self, whose):
        """This quarter's targets, published."""
        organisation = self.teams["own"].organisation if whose == "own" else self._other_trust()
        return PublicationRunFactory(
            organisation=organisation, quarter_start=quarters_of(organisation)[1].start, completed=True
        )

    def _trust(self, whose: str):
        """Admins, measures and publication runs belong to a trust: "other" is another trust's."""
        if whose == "own":
            return self.teams["own"].organisation
        return OrganisationFactory(name="Southshire NHS Trust")  # made once: get-or-create by name

    def _make_stranger(self, whose):
        """Someone with an account and no role anywhere."""
        return UserFactory()

    # --- people and their browsers ---------------------------------------------------------------------

    def person(self, persona: str):
        """The user behind a persona: clinician, lead, admin, colleague, password_owner, stranger,
        outsider (a clinician of the other team), other_admin (an admin of another trust)."""
        if persona == "outsider":
            return self.get("clinician", "other")
        if persona == "other_admin":
            return self.get("admin", "other")
        return self.get(persona)

    def client(self, persona: str, *, csrf: bool = False) -> Client:
        """A browser logged in as the persona ("anonymous": logged out), kept for the whole test;
        `csrf=True` for one that checks CSRF tokens as a real browser's requests are checked."""
        key = (persona, csrf)
        if key not in self._clients:
            client = Client(enforce_csrf_checks=csrf)
            if persona != "anonymous":
                client.force_login(self.person(persona))
            self._clients[key] = client
        return self._clients[key]
