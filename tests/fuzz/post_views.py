"""Every POST view of capa, with how to fuzz it: who posts it, the records its URL names, and the
fields of its form. `test_post_views.py` fuzzes each entry; `test_coverage.py` checks that every
URL that takes a POST has an entry here (and every other URL is in GET_ONLY)."""

from __future__ import annotations

import csv
import io

from hypothesis import strategies as st

from diary.models import AppointmentStatus, SessionKind, SlotKind
from partnership.models import CaseState, MeasurePoint, StepKind
from planning import imports
from planning.job_plans import line_field_name
from planning.models import AbsenceKind, Activity, ChoicePattern
from planning.quarters import Quarter
from tests.factories import DEMO_PASSWORD
from tests.fuzz.harness import Spec
from tests.fuzz.strategies import (
    Join,
    Ref,
    booleans,
    days_from_today,
    long_text,
    numbers,
    post_data,
    ref,
    text,
    times,
    valid_post,
)

# --- Values several views share ----------------------------------------------------------------------


def offered_quarters(world) -> st.SearchStrategy[str]:
    """This quarter and the next five, as the pages offer them."""
    from django.utils import timezone

    start_month = world.teams["own"].organisation.financial_year_start_month
    this = Quarter.containing(timezone.localdate(), start_month=start_month)
    return st.sampled_from([q.label for q in this.following(6)])


def publishable_quarters(world) -> st.SearchStrategy[str]:
    """The quarters the publication page offers: this one and the next."""
    from diary.views_publication import quarters_of

    return st.sampled_from([q.label for q in quarters_of(world.teams["own"].organisation)])


def quarters(world) -> st.SearchStrategy[str]:
    """Quarter labels: the ones the page offers, others, and malformed ones."""
    from django.utils import timezone

    start_month = world.teams["own"].organisation.financial_year_start_month
    this = Quarter.containing(timezone.localdate(), start_month=start_month)
    return st.one_of(
        offered_quarters(world),
        offered_quarters(world),
        st.sampled_from(
            [this.previous().label, "2040-Q1", "1900-Q1", "0000-Q1", "9999-Q4", "2027-Q0", "2027-Q5"]
        ),
        st.sampled_from(["2027-q1", " 2027-Q1 ", "2027Q1", "99999-Q1", "2027-Q1\x00", "Q1 2027/28"]),
        text,
    )


outcomes = st.one_of(
    st.sampled_from(
        [
            AppointmentStatus.ATTENDED,
            AppointmentStatus.DNA,
            AppointmentStatus.CANCELLED_BY_FAMILY,
            AppointmentStatus.CANCELLED_BY_SERVICE,
            AppointmentStatus.BOOKED,
            "reoffered",
        ]
    ),
    text,
)


REAL_OUTCOMES = [AppointmentStatus.ATTENDED, AppointmentStatus.DNA, AppointmentStatus.CANCELLED_BY_FAMILY]
ONE_OR_TWO_CLINICIANS = [[Ref("clinician")], [Ref("clinician"), Ref("colleague")]]
BOTH_SLOTS = Join((Ref("slot"), Ref("slot2")))


def choice_of(values) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(list(values)), st.sampled_from(list(values)), text)


def hours_fields(world) -> dict:
    streams = [world.get("stream"), world.get("stream", "other")]
    names = [line_field_name(a, None) for a in Activity if a != Activity.SPECIFIC]
    names += [line_field_name(Activity.SPECIFIC, s.pk) for s in streams]
    return {name: numbers for name in names}


def plan_post(world) -> st.SearchStrategy[dict]:
    stream = line_field_name(Activity.SPECIFIC, world.get("stream").pk)
    return post_data(
        {
            "quarter": quarters(world),
            "choice_pattern": choice_of(ChoicePattern.values),
            "notes": long_text,
            "action": st.sampled_from(["totals", "save", ""]) | text,
            **hours_fields(world),
        },
        valid=valid_post(
            {
                "quarter": offered_quarters(world),
                "choice_pattern": st.sampled_from(ChoicePattern.values),
                "notes": st.sampled_from(["", "New role"]),
                "action": st.sampled_from(["save", "totals"]),
                "hours_choice": st.just("7.5"),
                "hours_core": st.sampled_from(["22.5", "15"]),
                "hours_supervision": st.just("7.5"),
                stream: st.sampled_from(["", "0", "7.5"]),
            }
        ),
    )


def plan_query(world) -> st.SearchStrategy[dict]:
    return st.one_of(st.just({}), st.just({}), st.fixed_dictionaries({"from": ref("plan") | ref("absence")}))


def slots_in_a_post() -> st.SearchStrategy:
    slot = ref("slot") | ref("slot2")
    return st.one_of(slot, st.builds(lambda a, b: Join((a, b)), slot, slot), text)


def ids_of(*names: str) -> st.SearchStrategy:
    return st.one_of(*(ref(name) for name in names))


def url_ref(*names: str) -> tuple[str, ...]:
    """The records a URL argument may name (the test adds other teams', missing ones and numbers)."""
    return names


TEAM = {"team_id": url_ref("team")}


def import_file(world) -> st.SearchStrategy[tuple[str, bytes]]:
    """A spreadsheet of plans to import: a CSV with the right headings and hostile cells (or cells
    that would import), rubbish bytes, an empty file, a fake workbook; under any file name."""
    headings = list(imports.PERSON_COLUMNS) + [
        heading for heading, _ in imports.plan_columns([world.get("stream"), world.get("stream", "other")])
    ]
    good = {
        imports.USERNAME: st.sampled_from(["sam.clinician.own", "sam.clinician.other", "new.person"]),
        imports.FIRST_NAME: st.just("Nia"),
        imports.LAST_NAME: st.just("Newman"),
        imports.EMAIL: st.sampled_from(["", "nia@example.nhs.uk", "not an email"]),
        imports.PROFESSION: st.sampled_from(["Mental health nurse", "Psychiatrist", "Wizard"]),
        imports.CONTRACTED_HOURS: st.sampled_from(["37.5", "0", "61", "7.555"]),
        imports.QUARTER: quarters(world),
        imports.CHOICE_PATTERN: st.sampled_from(["", "sessions", "one a week"]),
    }
    cell = {h: st.one_of(good.get(h, numbers), text) for h in headings}
    rows = st.lists(st.fixed_dictionaries(cell), max_size=3)
    dropped = st.sets(st.sampled_from(headings), max_size=2)
    csv_text = st.builds(_csv, rows, dropped, st.lists(text, max_size=2))
    encoded = st.tuples(csv_text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"])).map(
        lambda pair: pair[0].encode(pair[1], errors="replace")
    )
    content = st.one_of(
        encoded,
        encoded,
        st.binary(max_size=200),
        st.just(b""),
        st.binary(max_size=100).map(lambda b: b"PK\x03\x04" + b),
        st.just(b"\x00" * 1000),
    )
    names = st.sampled_from(["plans.csv", "plans.xlsx", "plans.txt", "plans", "../../plans.csv", "a\x00.csv"])
    return st.tuples(names, content)


def _csv(rows: list[dict], dropped: set[str], extra: list[str]) -> str:
    out = io.StringIO()
    if not rows:
        return ",".join(imports.PERSON_COLUMNS) + "\n" if not extra else "\n".join(extra)
    headings = [h for h in rows[0] if h not in dropped] + extra
    writer = csv.writer(out)
    writer.writerow(headings)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headings])
    return out.getvalue()


# --- Who succeeded ------------------------------------------------------------------------------------


def logged_in(response, client) -> bool:
    return "_auth_user_id" in client.session


def redirected_on(response, client) -> bool:
    """Views that say nothing on success: a redirect anywhere but the log-in page."""
    from django.conf import settings
    from django.shortcuts import resolve_url

    return not response.url.startswith(resolve_url(settings.LOGIN_URL))


def never(response, client) -> bool:
    """Views that never write: every post must leave every row as it was."""
    return False


# --- The POST views ----------------------------------------------------------------------------------

STRONG_PASSWORDS = st.sampled_from(["Zq8!vLm2#pRt9", "correct horse battery staple 7"])
CASE_FIELDS = {
    "family_reference": text,
    "child_first_name": text,
    "child_last_name": text,
    "nhs_number": st.one_of(text, st.sampled_from(["485 777 3456", "4857773456", "4857773457"])),
}
CASE_DATES = ("child_date_of_birth", "referral_date")
CASE_VALID = {
    "family_reference": st.from_regex(r"NS[0-9]{6}", fullmatch=True),
    "child_first_name": st.sampled_from(["Amy", "Ravi"]),
    "child_last_name": st.sampled_from(["Jones", "O'Neill"]),
    "nhs_number": st.sampled_from(["", "485 777 3456"]),
}


def case_valid_dates() -> dict:
    return {
        "child_date_of_birth": days_from_today(-18 * 365, -3 * 365),
        "referral_date": days_from_today(-60, -21),
    }


SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in [
        # Accounts
        Spec(
            "accounts:login",
            persona="anonymous",
            fresh_client=True,
            fields=lambda world: post_data(
                {
                    "username": st.sampled_from(["sam.clinician.own", "SAM.CLINICIAN.OWN", "nobody"]) | text,
                    "password": st.just(DEMO_PASSWORD) | text,
                    "next": st.sampled_from(["/", "https://evil.example/", "//evil.example"]) | text,
                }
            ),
            succeeded=logged_in,
        ),
        # Logging out writes no row capa keeps (only the session, and axes' log of the log-in).
        Spec(
            "accounts:logout",
            persona="clinician",
            fresh_client=True,
            fields=lambda world: post_data({"next": text}),
            succeeded=never,
        ),
        Spec(
            "accounts:password-change",
            persona="password_owner",
            fields=lambda world: st.one_of(
                post_data(
                    {
                        "old_password": st.just(DEMO_PASSWORD) | text,
                        "new_password1": text,
                        "new_password2": text,
                    }
                ),
                st.tuples(st.just(DEMO_PASSWORD) | text, STRONG_PASSWORDS | st.text(min_size=12) | text).map(
                    lambda pair: {
                        "old_password": pair[0],
                        "new_password1": pair[1],
                        "new_password2": pair[1],
                    }
                ),
            ),
            succeeded=redirected_on,
        ),
        # Planning: the team's leads
        Spec(
            "planning:referrals-edit",
            persona="lead",
            url=TEAM,
            fields=lambda world: post_data(
                {"quarter": quarters(world), "referrals_per_week": numbers},
                valid=valid_post(
                    {
                        "quarter": offered_quarters(world),
                        "referrals_per_week": st.decimals(0, 999, places=2).map(str),
                    }
                ),
            ),
        ),
        Spec(
            "planning:plan-edit",
            persona="lead",
            url={**TEAM, "clinician_id": url_ref("clinician", "colleague", "lead")},
            fields=plan_post,
            query=plan_query,
        ),
        Spec(
            "planning:plan-totals",
            persona="lead",
            url={**TEAM, "clinician_id": url_ref("clinician", "colleague")},
            fields=plan_post,
            query=plan_query,
            succeeded=never,
        ),
        Spec("planning:plan-agree", persona="lead", url={**TEAM, "plan_id": url_ref("plan")}),
        Spec(
            "planning:absence-add",
            persona="lead",
            url={**TEAM, "clinician_id": url_ref("clinician", "colleague")},
            fields=lambda world: post_data(
                {"kind": choice_of(AbsenceKind.values), "notes": long_text},
                dates=("starts_on", "ends_on"),
                valid=valid_post(
                    {"kind": st.sampled_from(AbsenceKind.values), "notes": st.just("")},
                    {"starts_on": days_from_today(-30, 60), "ends_on": days_from_today(61, 300)},
                ),
            ),
        ),
        Spec("planning:absence-remove", persona="lead", url={**TEAM, "absence_id": url_ref("absence")}),
        Spec(
            "planning:plans-import",
            persona="lead",
            url=TEAM,
            fields=lambda world: post_data({"agree": booleans}),
            upload=import_file,
        ),
        # The Partnership diary
        Spec(
            "diary:book",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case", "case_partnership")},
            fields=lambda world: post_data(
                {
                    "slots": slots_in_a_post(),
                    "filters": st.one_of(text, st.sampled_from(["venues=1&weekdays=9", "date_from_day=31"])),
                },
                valid=valid_post(
                    {
                        "slots": st.sampled_from([Ref("slot"), Ref("slot2"), BOTH_SLOTS]),
                        "filters": st.sampled_from(["", "weekdays=1"]),
                    }
                ),
            ),
        ),
        Spec(
            "diary:outcome",
            persona="clinician",
            url={**TEAM, "appointment_id": url_ref("appointment", "past_appointment", "follow_up")},
            fields=lambda world: post_data(
                {"outcome": outcomes, "reason": long_text},
                valid=valid_post(
                    {
                        "outcome": st.sampled_from(REAL_OUTCOMES),
                        "reason": st.just("Family unwell"),
                    }
                ),
            ),
        ),
        Spec(
            "diary:reoffer",
            persona="clinician",
            url={**TEAM, "appointment_id": url_ref("dna_appointment", "appointment", "past_appointment")},
        ),
        Spec(
            "diary:clinician-slots",
            persona="clinician",
            url={**TEAM, "clinician_id": url_ref("clinician", "colleague")},
            fields=lambda world: post_data(
                {
                    "kind": choice_of(SlotKind.values),
                    "starts": times,
                    "ends": times,
                    "venue": ref("venue"),
                    "joint_with": ids_of("colleague", "clinician", "lead"),
                },
                dates=("day",),
                valid=valid_post(
                    {
                        "kind": st.sampled_from([SlotKind.FIRST_CORE, SlotKind.CHOICE]),
                        "starts": st.sampled_from(["09:00", "13:30"]),
                        "ends": st.sampled_from(["10:00", "14:30"]),
                        "venue": st.just(Ref("venue")),
                        "joint_with": st.sampled_from(["", Ref("colleague")]),
                    },
                    {"day": days_from_today(1, 120)},
                ),
            ),
        ),
        Spec(
            "diary:pattern",
            persona="clinician",
            url={**TEAM, "clinician_id": url_ref("clinician", "colleague")},
            fields=lambda world: post_data(
                {
                    "kind": choice_of(SlotKind.values),
                    "weekday": choice_of(["0", "1", "2", "3", "4", "5", "6", "-1"]),
                    "starts": times,
                    "ends": times,
                    "every_weeks": choice_of(["1", "2", "0", "52"]),
                    "venue": ref("venue"),
                    "joint_with": ids_of("colleague", "clinician"),
                    "action": st.sampled_from(["save", "preview"]) | text,
                },
                dates=("first_day", "last_day"),
                valid=valid_post(
                    {
                        "kind": st.sampled_from([SlotKind.FIRST_CORE, SlotKind.CHOICE]),
                        "starts": st.sampled_from(["09:00", "13:30"]),
                        "ends": st.sampled_from(["10:00", "14:30"]),
                        "venue": st.just(Ref("venue")),
                        "joint_with": st.sampled_from(["", Ref("colleague")]),
                        "weekday": st.sampled_from(["0", "1", "2", "3", "4"]),
                        "every_weeks": st.sampled_from(["1", "2"]),
                        "action": st.sampled_from(["save", "preview"]),
                    },
                    {"first_day": days_from_today(1, 30), "last_day": days_from_today(31, 120)},
                ),
            ),
        ),
        Spec(
            "diary:slot-remove",
            persona="clinician",
            url={**TEAM, "slot_id": url_ref("slot", "slot2", "choice_slot")},
        ),
        Spec(
            "diary:slot-put-back",
            persona="clinician",
            url={**TEAM, "slot_id": url_ref("slot", "slot2", "choice_slot")},
        ),
        Spec("diary:calendar-reset", persona="clinician"),
        Spec(
            "diary:team-session-new",
            persona="lead",
            url=TEAM,
            fields=lambda world: post_data(
                {
                    "kind": choice_of(SessionKind.values),
                    "title": long_text,
                    "starts": times,
                    "ends": times,
                    "venue": ref("venue"),
                    "clinicians": st.lists(ids_of("clinician", "colleague", "lead"), max_size=3),
                },
                dates=("day",),
                valid=valid_post(
                    {
                        "kind": st.sampled_from(SessionKind.values),
                        "title": st.sampled_from(["", "Formulation"]),
                        "starts": st.sampled_from(["12:00", "16:00"]),
                        "ends": st.sampled_from(["13:00", "17:00"]),
                        "venue": st.sampled_from(["", Ref("venue")]),
                        "clinicians": st.sampled_from(ONE_OR_TWO_CLINICIANS),
                    },
                    {"day": days_from_today(0, 120)},
                ),
            ),
        ),
        Spec("diary:team-session-cancel", persona="lead", url={**TEAM, "session_id": url_ref("session")}),
        Spec(
            "diary:publish-now",
            persona="admin",
            fields=lambda world: post_data(
                {"quarter": quarters(world)}, valid=valid_post({"quarter": publishable_quarters(world)})
            ),
        ),
        Spec(
            "diary:republish",
            persona="admin",
            fields=lambda world: post_data(
                {"quarter": quarters(world)}, valid=valid_post({"quarter": publishable_quarters(world)})
            ),
            prepare=("run",),
        ),
        Spec(
            "diary:notice-read",
            persona="clinician",
            url={"notice_id": url_ref("notice")},
            succeeded=redirected_on,
        ),
        Spec(
            "diary:follow-up-new",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case")},
            fields=lambda world: post_data(
                {
                    "starts": times,
                    "ends": times,
                    "venue": ref("venue"),
                    "clinicians": st.lists(ids_of("clinician", "colleague", "lead"), max_size=3),
                },
                dates=("day",),
                valid=valid_post(
                    {
                        "starts": st.sampled_from(["09:00", "11:00"]),
                        "ends": st.sampled_from(["10:00", "12:00"]),
                        "venue": st.just(Ref("venue")),
                        "clinicians": st.sampled_from(ONE_OR_TWO_CLINICIANS),
                    },
                    {"day": days_from_today(1, 120)},
                ),
            ),
        ),
        Spec(
            "diary:follow-up-outcome",
            persona="clinician",
            url={**TEAM, "appointment_id": url_ref("follow_up", "appointment")},
            fields=lambda world: post_data(
                {"outcome": outcomes, "reason": long_text},
                valid=valid_post(
                    {
                        "outcome": st.sampled_from(REAL_OUTCOMES),
                        "reason": st.just("Family unwell"),
                    }
                ),
            ),
        ),
        Spec(
            "diary:choice-book",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_choice", "case")},
            fields=lambda world: post_data(
                {
                    "offered": st.lists(ids_of("choice_slot", "choice_slot2", "slot"), max_size=4),
                    "booked": st.lists(ids_of("choice_slot", "choice_slot2", "slot"), max_size=2),
                },
                valid=valid_post(
                    {
                        "offered": st.just([Ref("choice_slot"), Ref("choice_slot2")]),
                        "booked": st.sampled_from([Ref("choice_slot"), Ref("choice_slot2")]),
                    }
                ),
            ),
        ),
        # Cases
        Spec(
            "partnership:case-new",
            persona="clinician",
            url=TEAM,
            fields=lambda world: post_data(
                CASE_FIELDS,
                dates=(*CASE_DATES, "choice_date"),
                valid=valid_post(CASE_VALID, {**case_valid_dates(), "choice_date": days_from_today(-20, 0)}),
            ),
        ),
        Spec(
            "partnership:referral-new",
            persona="clinician",
            url=TEAM,
            fields=lambda world: post_data(
                {**CASE_FIELDS, "referrer": long_text},
                dates=CASE_DATES,
                valid=valid_post({**CASE_VALID, "referrer": st.just("GP")}, case_valid_dates()),
            ),
        ),
        Spec(
            "partnership:case-step",
            persona="clinician",
            url={**TEAM, "case_id": url_ref(*(f"case_in_{state}" for state in CaseState.values))},
            fields=lambda world: post_data(
                {
                    "step-kind": choice_of(StepKind.values),
                    "step-detail": long_text,
                    "step-outcome": choice_of(["no_further_help", "another_agency", "core"]),
                    "step-agency": long_text,
                    "step-goals": long_text,
                    "step-stream": ref("stream"),
                },
                dates=("step-on",),
                valid=valid_post(
                    {
                        "step-kind": st.sampled_from(StepKind.values),
                        "step-detail": st.sampled_from(["", "Not CAMHS"]),
                        "step-outcome": st.sampled_from(["", "no_further_help", "another_agency"]),
                        "step-agency": st.sampled_from(["", "School nurse"]),
                        "step-goals": st.sampled_from(["", "Sleep better"]),
                        "step-stream": st.sampled_from(["", Ref("stream")]),
                    },
                    {"step-on": days_from_today(-3, 0)},
                ),
            ),
        ),
        Spec(
            "partnership:letter-new",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case")},
            fields=lambda world: post_data(
                {
                    "goals": long_text,
                    "formulation": long_text,
                    "risk_plan": long_text,
                    "to_family": booleans,
                    "to_referrer": booleans,
                    "network": long_text,
                },
                dates=("review_on",),
                valid=valid_post(
                    {
                        "goals": st.sampled_from(["", "Sleep better"]),
                        "formulation": st.just("Worry kept going by avoidance."),
                        "risk_plan": st.just("No current risk."),
                        "to_family": st.sampled_from(["on", ""]),
                        "to_referrer": st.sampled_from(["on", ""]),
                        "network": st.sampled_from(["", "School"]),
                    },
                    {"review_on": days_from_today(1, 180)},
                ),
            ),
        ),
        Spec(
            "partnership:letter-sent",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case"), "letter_id": url_ref("letter")},
        ),
        Spec(
            "partnership:score-new",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case")},
            fields=lambda world: post_data(
                {"measure": ref("measure"), "point": choice_of(MeasurePoint.values), "score": numbers},
                dates=("scored_on",),
                valid=valid_post(
                    {
                        "measure": st.just(Ref("measure")),
                        "point": st.sampled_from(MeasurePoint.values),
                        "score": st.sampled_from(["0", "12", "39.5", "41"]),
                    },
                    {"scored_on": days_from_today(-30, 0)},
                ),
            ),
            prepare=("measure",),
        ),
        Spec(
            "partnership:worker-specific",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case_in_awaiting_specific", "case")},
            fields=lambda world: post_data(
                {
                    "stream": ref("stream"),
                    "override_to": ids_of("colleague", "clinician", "lead"),
                    "override_reason": long_text,
                },
                valid=valid_post(
                    {
                        "stream": st.just(Ref("stream")),
                        "override_to": st.sampled_from(["", Ref("colleague")]),
                        "override_reason": st.sampled_from(["", "Knows the family"]),
                    }
                ),
            ),
        ),
        Spec(
            "partnership:worker-co-worker",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case")},
            fields=lambda world: post_data(
                {"clinician": ids_of("colleague", "clinician", "lead")},
                valid=valid_post({"clinician": st.sampled_from([Ref("colleague"), Ref("lead")])}),
            ),
        ),
        Spec(
            "partnership:worker-key-worker",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case")},
            fields=lambda world: post_data(
                {"clinician": ids_of("colleague", "clinician", "lead")},
                valid=valid_post({"clinician": st.sampled_from([Ref("colleague"), Ref("lead")])}),
            ),
        ),
        Spec(
            "partnership:review-new",
            persona="clinician",
            url={**TEAM, "case_id": url_ref("case_partnership", "case")},
            fields=lambda world: post_data(
                {"notes": long_text},
                dates=("held_on", "next_review_on"),
                valid=valid_post(
                    {"notes": st.just("Goals reviewed")},
                    {"held_on": days_from_today(-14, 0), "next_review_on": days_from_today(30, 180)},
                ),
            ),
        ),
    ]
}

# Every other URL of capa answers GET only (the Django admin's own are left to Django).
GET_ONLY = {
    "home",
    "health",
    "accounts:password-change-done",
    "accounts:team-list",
    "accounts:team-detail",
    "planning:organisation-capacity",
    "planning:team-capacity",
    "planning:plan-detail",
    "planning:plans-export",
    "diary:search",
    "diary:letter",
    "diary:feed",
    "diary:calendar-settings",
    "diary:team-week",
    "diary:publication",
    "diary:publication-progress",
    "partnership:case-list",
    "partnership:case-detail",
    "partnership:team-caseload",
    "partnership:my-caseload",
    "partnership:rota-detail",
    "partnership:letter-detail",
    "partnership:letter-pdf",
    "dashboard:organisation",
    "dashboard:team",
    "dashboard:clinician",
    "dashboard:team-slots",
    "dashboard:team-waits",
    "dashboard:team-cases",
    "dashboard:organisation-export",
    "dashboard:team-export",
}
