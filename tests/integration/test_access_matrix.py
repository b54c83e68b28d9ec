"""Who can open what: every URL pattern, for every persona, against an expected table.

A URL pattern without a row here fails `test_every_url_pattern_has_a_row`, so each new page must
state who may see it. Every later capability adds its rows to EXPECTED.

Statuses are for a GET. 302 means "sent to log in" (anonymous) or "sent on" (already logged in);
403: the user can see this part of capa but their role may not use the page; 404: another team's
record, whose existence is not disclosed; 405: the URL takes POST only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    DEMO_PASSWORD,
    AbsenceFactory,
    AppointmentFactory,
    CalendarFeedFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    NoticeFactory,
    PlanningSettingsFactory,
    PublicationRunFactory,
    ReferralRateFactory,
    SkillFactory,
    SlotFactory,
    SpecificStreamFactory,
    TeamSessionFactory,
    VenueFactory,
)

PERSONAS = ("anonymous", "clinician", "team_lead", "admin", "outsider")


@dataclass(frozen=True)
class Row:
    anonymous: int
    clinician: int
    team_lead: int
    admin: int
    outsider: int
    kwargs: Callable[[dict], dict] = lambda world: {}


EXPECTED: dict[str, Row] = {
    "home": Row(anonymous=302, clinician=200, team_lead=200, admin=200, outsider=200),
    # For load balancers: no log-in, and nothing in it a stranger could use.
    "health": Row(anonymous=200, clinician=200, team_lead=200, admin=200, outsider=200),
    "accounts:login": Row(anonymous=200, clinician=302, team_lead=302, admin=302, outsider=302),
    "accounts:logout": Row(anonymous=405, clinician=405, team_lead=405, admin=405, outsider=405),
    "accounts:password-change": Row(anonymous=302, clinician=200, team_lead=200, admin=200, outsider=200),
    "accounts:password-change-done": Row(
        anonymous=302, clinician=200, team_lead=200, admin=200, outsider=200
    ),
    "accounts:team-list": Row(anonymous=302, clinician=403, team_lead=403, admin=200, outsider=403),
    # The team of the clinician and the lead: the outsider belongs to another team.
    "accounts:team-detail": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    # Planning. Capacity: the team's leads and admins. Job plans are written by the team's leads
    # only; a clinician reads their own plan (a colleague's is 403).
    "planning:organisation-capacity": Row(
        anonymous=302, clinician=403, team_lead=403, admin=200, outsider=403
    ),
    "planning:team-capacity": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "planning:referrals-edit": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    # Quarterly dashboards: the organisation's for admins; a team's for its leads and admins; a
    # clinician's also for the clinician.
    "dashboard:organisation": Row(anonymous=302, clinician=403, team_lead=403, admin=200, outsider=403),
    "dashboard:team": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "dashboard:team-slots": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "dashboard:team-cases": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "dashboard:team-waits": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "dashboard:clinician": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "clinician_id": world["users"]["clinician"].pk},
    ),
    "planning:plan-detail": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: plan_of(world),
    ),
    "planning:plan-edit": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: plan_of(world),
    ),
    "planning:plan-totals": Row(  # POST only (htmx)
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: plan_of(world),
    ),
    "planning:plan-agree": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: {"team_id": world["team"].pk, "plan_id": world["plan"].pk},
    ),
    "planning:absence-add": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: plan_of(world),
    ),
    "planning:absence-remove": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: {"team_id": world["team"].pk, "absence_id": 1},
    ),
    # Appointments after the first: booked and recorded by the team's clinicians and leads.
    "diary:follow-up-new": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    "diary:follow-up-outcome": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: appointment(world),
    ),
    # The dashboards' downloads: as their pages.
    "dashboard:organisation-export": Row(
        anonymous=302,
        clinician=403,
        team_lead=403,
        admin=200,
        outsider=403,
        kwargs=lambda world: {"format": "csv"},
    ),
    "dashboard:team-export": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "format": "xlsx"},
    ),
    # The diary and cases: the team's people (admins read, clinicians and leads book); a clinician
    # puts in their own slots, a lead anyone's in the team.
    "diary:search": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "diary:book": Row(  # with no slot chosen, sent to the search
        anonymous=302,
        clinician=302,
        team_lead=302,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    "diary:outcome": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: appointment(world),
    ),
    "diary:reoffer": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: appointment(world),
    ),
    "diary:letter": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: appointment(world),
    ),
    "diary:clinician-slots": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: plan_of(world),
    ),
    "diary:pattern": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: plan_of(world),
    ),
    # POST only: who may post is tested in test_diary_pages.
    **dict.fromkeys(
        ["diary:slot-remove", "diary:slot-put-back"],
        Row(
            anonymous=302,
            clinician=405,
            team_lead=405,
            admin=405,
            outsider=405,
            kwargs=lambda world: {"team_id": world["team"].pk, "slot_id": world["slot"].pk},
        ),
    ),
    # Diaries out. The feed has no log-in (calendar apps cannot log in): its secret token is the
    # credential, so whoever holds the address gets it. Anyone logged in has their own feed's
    # settings. The week view is the diary's; team sessions are put in by the team's leads only.
    "diary:feed": Row(
        anonymous=200,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=200,
        kwargs=lambda world: {"token": world["calendar_feed"].token},
    ),
    "diary:calendar-settings": Row(anonymous=302, clinician=200, team_lead=200, admin=200, outsider=200),
    "diary:calendar-reset": Row(anonymous=302, clinician=200, team_lead=200, admin=200, outsider=200),
    "diary:team-week": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "diary:team-session-new": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "diary:team-session-cancel": Row(  # asks first: the leads only
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "session_id": world["team_session"].pk},
    ),
    "diary:choice-book": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    "partnership:team-caseload": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "partnership:my-caseload": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "partnership:referral-new": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk},
    ),
    "partnership:case-step": Row(
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    "partnership:case-list": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "partnership:case-new": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "partnership:case-detail": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    # Who works with a case, and its reviews: the team's clinicians and leads (admins see the case
    # page, clinicians act). A stream's next-up rota: the team's people and admins read it.
    "partnership:rota-detail": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {
            "team_id": world["team"].pk,
            "stream_id": SpecificStreamFactory(team=world["team"]).pk,
        },
    ),
    **{
        name: Row(
            anonymous=302,
            clinician=200,
            team_lead=200,
            admin=403,
            outsider=404,
            kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
        )
        for name in (
            "partnership:worker-specific",
            "partnership:worker-co-worker",
            "partnership:worker-key-worker",
            "partnership:review-new",
        )
    },
    # The care plan letter and outcome scores: the team's people and admins read them; its
    # clinicians and leads write them (admins see, clinicians act). The letter rows write a letter
    # for the case when their URL is built.
    "partnership:letter-new": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    "partnership:letter-detail": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {
            "team_id": world["team"].pk,
            "case_id": world["appointment"].case_id,
            "letter_id": apps.get_model("partnership", "CarePlanLetter")
            .objects.create(
                case_id=world["appointment"].case_id,
                goals="Back at school full time",
                formulation="Worry about school kept going by staying at home",
                risk_plan="No current risk",
                review_on="2027-05-10",
                written_by=world["users"]["clinician"],
            )
            .pk,
        },
    ),
    "partnership:letter-pdf": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: EXPECTED["partnership:letter-detail"].kwargs(world),
    ),
    "partnership:letter-sent": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: EXPECTED["partnership:letter-detail"].kwargs(world),
    ),
    "partnership:score-new": Row(
        anonymous=302,
        clinician=200,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "case_id": world["appointment"].case_id},
    ),
    "planning:plans-import": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=403,
        outsider=404,
        kwargs=lambda world: team_id(world),
    ),
    "planning:plans-export": Row(
        anonymous=302,
        clinician=403,
        team_lead=200,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"team_id": world["team"].pk, "file_format": "xlsx"},
    ),
    # Publishing quarterly targets: admins only. A run is another organisation's business to
    # everyone else (404); the actions are POST only. Anyone marks their own notices read.
    "diary:publication": Row(anonymous=302, clinician=403, team_lead=403, admin=200, outsider=403),
    "diary:publication-progress": Row(
        anonymous=302,
        clinician=404,
        team_lead=404,
        admin=200,
        outsider=404,
        kwargs=lambda world: {"run_id": world["publication_run"].pk},
    ),
    "diary:publish-now": Row(  # POST only
        anonymous=302, clinician=405, team_lead=405, admin=405, outsider=405
    ),
    "diary:republish": Row(  # POST only
        anonymous=302, clinician=405, team_lead=405, admin=405, outsider=405
    ),
    "diary:notice-read": Row(  # POST only
        anonymous=302,
        clinician=405,
        team_lead=405,
        admin=405,
        outsider=405,
        kwargs=lambda world: {"notice_id": world["notice"].pk},
    ),
}


def team_id(world: dict) -> dict:
    return {"team_id": world["team"].pk}


def appointment(world: dict) -> dict:
    return {"team_id": world["team"].pk, "appointment_id": world["appointment"].pk}


def plan_of(world: dict) -> dict:
    """The clinician persona's own plan."""
    return {"team_id": world["team"].pk, "clinician_id": world["users"]["clinician"].pk}


# The Django admin site is for staff only (the admin persona). Rather than a row per model page,
# one rule covers every pattern in the "admin" namespace: everyone else is sent to the admin log-in,
# the admin gets the page. test_django_admin_pages checks every admin pattern against it, with
# these exceptions, each for a reason:
ADMIN_NAMESPACE_RULE = Row(anonymous=302, clinician=302, team_lead=302, admin=200, outsider=302)
SENT_ON = Row(anonymous=302, clinician=302, team_lead=302, admin=302, outsider=302)
NEVER_BY_HAND = Row(anonymous=302, clinician=302, team_lead=302, admin=403, outsider=302)
ADMIN_EXCEPTIONS: dict[str, Row] = {
    # The log-in form: staff already logged in are sent on; others may log in as someone else.
    "admin:login": Row(anonymous=200, clinician=200, team_lead=200, admin=302, outsider=200),
    "admin:logout": Row(anonymous=302, clinician=302, team_lead=302, admin=405, outsider=302),  # POST only
    "admin:autocomplete": NEVER_BY_HAND,  # answers the admin's own widgets, which name a field
    "admin:view_on_site": SENT_ON,  # redirects to the record's page in capa
    # Lockout records and the audit history are written by the system, never added or deleted by hand.
    "admin:axes_accessattempt_add": NEVER_BY_HAND,
    "admin:axes_accesslog_add": NEVER_BY_HAND,
    "admin:axes_accessfailurelog_add": NEVER_BY_HAND,
    "admin:pghistory_events_add": NEVER_BY_HAND,
    "admin:pghistory_events_delete": NEVER_BY_HAND,
    # Job plans change by a new version through capa's editor, never by hand in the admin.
    "admin:planning_jobplan_add": NEVER_BY_HAND,
    "admin:planning_jobplan_delete": NEVER_BY_HAND,
}


def expected_admin_row(name: str) -> Row:
    if name in ADMIN_EXCEPTIONS:
        return ADMIN_EXCEPTIONS[name]
    if name.startswith("admin:<unnamed") and "(?P<url>" in name:  # the admin's catch-all
        return Row(anonymous=302, clinician=302, team_lead=302, admin=404, outsider=302)
    if name.startswith("admin:<unnamed"):  # "<object_id>/" redirects to the change page
        return SENT_ON
    return ADMIN_NAMESPACE_RULE


def url_names(resolvers=None, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, URLPattern, str]]:
    """Every URL pattern as (name, pattern, full route). Unnamed patterns are named by their route."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry.url_patterns, inner, route)
        elif isinstance(entry, URLPattern):
            yield (
                (f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed {route}>"),
                entry,
                route,
            )


@pytest.fixture
def world(team, other_team, choice_clinician, team_lead, admin, outsider):
    plan = JobPlanFactory(team=team, clinician=choice_clinician, agreed=True)
    JobPlanLineFactory(plan=plan)
    return {
        "team": team,
        "plan": plan,
        "appointment": AppointmentFactory(team=team),
        "slot": SlotFactory(team=team, clinicians=[choice_clinician]),
        "calendar_feed": CalendarFeedFactory(clinician=choice_clinician),
        "team_session": TeamSessionFactory(team=team, created_by=team_lead),
        "publication_run": PublicationRunFactory(organisation=team.organisation, total=12, done=5),
        "notice": NoticeFactory(team=team, user=choice_clinician),
        "other_team": other_team,
        "users": {
            "clinician": choice_clinician,
            "team_lead": team_lead,
            "admin": admin,
            "outsider": outsider,
        },
    }


def as_persona(client, world, persona: str):
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


def assert_security_headers(response, what: str) -> None:
    """Every answer, whatever its status or content type (HSTS and secure cookies are production's:
    tests/unit/test_settings.py)."""
    policy = response.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, what
    assert "unsafe-inline" not in policy, what
    assert "unsafe-eval" not in policy, what
    assert response.get("X-Content-Type-Options") == "nosniff", what
    assert response.get("Referrer-Policy") == "same-origin", what
    assert response.get("X-Frame-Options") == "DENY", what


def test_every_url_pattern_has_a_row():
    missing = [name for name, _, _ in url_names() if name not in EXPECTED and not name.startswith("admin:")]
    assert missing == [], f"add these URL patterns to EXPECTED: {missing}"
    stale = [name for name in EXPECTED if name not in {name for name, _, _ in url_names()}]
    assert stale == [], f"rows for URL patterns that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_persona_gets_the_expected_status(client, world, persona, name):
    row = EXPECTED[name]
    url = reverse(name, kwargs=row.kwargs(world))
    response = as_persona(client, world, persona).get(url)
    assert response.status_code == getattr(row, persona), f"{persona} GET {url}"
    assert_security_headers(response, f"{persona} GET {url}")
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


def _admin_url(name: str, pattern: URLPattern, route: str, world: dict) -> str:
    """A real URL for an admin pattern: object pages point at a real object of their model."""
    if name.startswith("admin:<unnamed"):
        # The admin's unnamed routes: "<object_id>/" redirects to the change page, and a catch-all.
        return "/" + route.replace("<path:object_id>", "1").replace("(?P<url>.*)$", "no-such-page/")
    keys = set(pattern.pattern.regex.groupindex)
    if not keys:
        return reverse(name)
    if keys == {"id"}:  # the user admin's password page
        return reverse(name, kwargs={"id": world["users"]["clinician"].pk})
    if keys == {"app_label"}:
        return reverse(name, kwargs={"app_label": "accounts"})
    if keys == {"object_id"}:
        app_label, _, rest = name.removeprefix("admin:").partition("_")
        model_name = rest.rsplit("_", 1)[0]
        model = apps.get_model(app_label, model_name)
        obj = _an_instance_of(model, world)
        return reverse(name, kwargs={"object_id": obj.pk})
    if keys == {"content_type_id", "object_id"}:
        team = world["team"]
        return reverse(
            name, kwargs={"content_type_id": ContentType.objects.get_for_model(team).pk, "object_id": team.pk}
        )
    raise AssertionError(f"add a way to build {name} with {keys}")


def _an_instance_of(model, world):
    made = {
        "team": lambda: world["team"],
        "organisation": lambda: world["team"].organisation,
        "user": lambda: world["users"]["clinician"],
        "membership": lambda: world["users"]["clinician"].memberships.get(),
        "clinicianprofile": lambda: world["users"]["clinician"].clinician_profile,
        "skill": lambda: SkillFactory(organisation=world["team"].organisation),
        "venue": lambda: VenueFactory(team=world["team"]),
        "group": lambda: model.objects.get_or_create(name="Schedulers")[0],
        # Opened once per persona: made the first time, found after.
        "planningsettings": lambda: PlanningSettingsFactory(team=world["team"]),
        "specificstream": lambda: model.objects.first() or SpecificStreamFactory(team=world["team"]),
        "absence": lambda: (
            model.objects.first() or AbsenceFactory(team=world["team"], clinician=world["users"]["clinician"])
        ),
        "referralrate": lambda: (
            model.objects.first()
            or ReferralRateFactory(team=world["team"], entered_by=world["users"]["team_lead"])
        ),
    }
    if model._meta.app_label == "axes":  # the lockout records: made by logging in, then failing to
        Client().post(reverse("accounts:login"), {"username": "otto.outsider", "password": DEMO_PASSWORD})
        Client().post(reverse("accounts:login"), {"username": "otto.outsider", "password": "wrong-password"})
    if model._meta.label == "pghistory.Events":  # the audit history, read across event tables
        return model.objects.tracks(world["team"]).first()
    if model._meta.model_name in made:
        return made[model._meta.model_name]()
    instance = model.objects.first()
    assert instance is not None, f"no {model} to open; add it to _an_instance_of"
    return instance


@pytest.mark.django_db
def test_django_admin_pages(client, world):
    admin_patterns = [entry for entry in url_names() if entry[0].startswith("admin:")]
    assert len(admin_patterns) > 20
    registered = {model._meta.model_name for model in django_admin.site._registry}
    assert {"team", "membership", "skill", "venue", "clinicianprofile", "organisation"} <= registered
    for name, pattern, route in admin_patterns:
        for persona in PERSONAS:
            client.logout()
            url = _admin_url(name, pattern, route, world)
            response = as_persona(client, world, persona).get(url)
            expected = getattr(expected_admin_row(name), persona)
            assert response.status_code == expected, f"{persona} GET {url} ({name})"
