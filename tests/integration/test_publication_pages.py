"""The admin's publication page: runs and their progress, who has no plan, targets against slots put
in, "Publish now" through the worker (and a clear answer when the worker cannot be reached),
republishing, and marking one's own notices read."""

from __future__ import annotations

import time
from datetime import time as clock
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from capa.celery import app as celery_app
from diary import publication, tasks
from diary.models import Notice, OutboxStatus, PublicationRun, QuarterTarget
from diary.slots import at
from diary.views_publication import quarters_of
from planning.models import Activity
from tests.factories import (
    ClinicianProfileFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    MembershipFactory,
    NoticeFactory,
    OutboxEmailFactory,
    PublicationRunFactory,
    QuarterTargetFactory,
    SlotFactory,
    TargetChangeFactory,
    TeamFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db
PAGE = reverse("diary:publication")


def with_plan(team, core_hours: str, *, effective_from, version: int = 1, user=None):
    """A clinician of the team with an agreed plan of `core_hours` of Core a week."""
    if user is None:
        user = MembershipFactory(team=team).user
        ClinicianProfileFactory(user=user)
    plan = JobPlanFactory(
        team=team, clinician=user, agreed=True, effective_from=effective_from, version=version
    )
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal(core_hours))
    JobPlanLineFactory(
        plan=plan, activity=Activity.OTHER, hours_per_week=Decimal("37.5") - Decimal(core_hours)
    )
    return user


def put_in_slots(team, clinician, quarter, count: int) -> None:
    for week in range(count):
        SlotFactory(
            team=team,
            clinicians=[clinician],
            starts_at=at(quarter.start + timedelta(days=7 * week + 1), clock(10)),
        )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def next_quarter(organisation):
    return quarters_of(organisation)[0]


@pytest.fixture
def queued(monkeypatch):
    """The tasks "Publish now" sends to the worker, caught before they reach the broker."""
    sent = []
    monkeypatch.setattr(
        tasks.publish_quarter,
        "apply_async",
        lambda *, args, retry, **options: sent.append((tuple(args), retry)),
    )
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    """Celery's broker is a closed port, as when Redis is down: connecting to it is refused."""
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    # The app keeps its connection pools once made: start afresh, and put them back afterwards.
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)


# --- The page -------------------------------------------------------------------------------------


def test_an_admin_sees_the_run_who_has_no_plan_and_each_clinicians_slots_against_their_target(
    client, admin, organisation, team, next_quarter
):
    this_quarter = next_quarter.previous()
    short = with_plan(team, "10.5", effective_from=this_quarter.start)
    planless = clinician_in(team)
    put_in_slots(team, short, next_quarter, 2)
    run = publication.publish_quarter(organisation=organisation, quarter=next_quarter, by=admin)
    target = QuarterTarget.objects.get(clinician=short).target
    assert target > 2

    client.force_login(admin)
    page = client.get(PAGE).content.decode()

    assert f"Next quarter: {next_quarter}" in page
    assert "Published" in page
    assert f"{run.done} of {run.total} published" in page
    assert "by Ada Admin" in page
    assert f"This quarter: {this_quarter}" in page
    assert "Not published yet" in page
    # Who has no agreed plan, each linked to their job plan.
    plan_url = reverse("planning:plan-detail", args=[team.pk, planless.pk])
    assert f'href="{plan_url}"' in page
    # Per team: each clinician's target against the slots put in, shortfalls highlighted.
    assert f"{team}: 2 of {target} slots put in, 1 clinician short, 1 without a plan" in page
    assert f"{target - 2} short</strong>" in page
    assert "Publish now" not in page.split("This quarter")[0]  # a completed run is not published again
    assert "Republish after plan changes" in page


def test_a_running_run_shows_a_progress_bar_that_polls_only_while_it_runs(
    client, admin, organisation, next_quarter
):
    run = PublicationRunFactory(
        organisation=organisation, quarter_start=next_quarter.start, total=600, done=120
    )
    client.force_login(admin)

    page = client.get(PAGE).content.decode()
    assert f'hx-get="{reverse("diary:publication-progress", args=[run.pk])}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert 'hx-swap="outerHTML"' in page
    assert 'max="600" value="120"' in page
    assert 'role="status" aria-live="polite"' in page
    assert "Publishing: 120 of 600 clinicians" in page

    fragment = client.get(
        reverse("diary:publication-progress", args=[run.pk]), headers={"HX-Request": "true"}
    )
    assert "Publishing: 120 of 600 clinicians" in fragment.content.decode()
    assert 'hx-swap-oob="innerHTML"' in fragment.content.decode()  # the live region stays; its text changes

    PublicationRun.objects.filter(pk=run.pk).update(done=600, status="completed", finished_at=run.started_at)
    done = client.get(reverse("diary:publication-progress", args=[run.pk]), headers={"HX-Request": "true"})
    assert "Published: 600 of 600 clinicians" in done.content.decode()
    assert "hx-trigger" not in done.content.decode()  # polling stops


def test_the_progress_of_another_organisations_run_is_not_found(client, admin):
    elsewhere = PublicationRunFactory()
    client.force_login(admin)
    assert client.get(reverse("diary:publication-progress", args=[elsewhere.pk])).status_code == 404


def test_emails_that_cannot_be_sent_are_listed_for_the_organisations_people_only(
    client, admin, choice_clinician
):
    OutboxEmailFactory(
        to=choice_clinician.email,
        subject="Your first Core slots",
        status=OutboxStatus.STUCK,
        attempts=8,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    OutboxEmailFactory(to=choice_clinician.email, status=OutboxStatus.SENT)
    OutboxEmailFactory(to="someone@another-trust.nhs.uk", status=OutboxStatus.STUCK)
    client.force_login(admin)

    response = client.get(PAGE)

    assert response.context["stuck_count"] == 1
    page = response.content.decode()
    assert choice_clinician.email in page
    assert "SMTPServerDisconnected" in page
    assert "another-trust" not in page


# --- Publish now ----------------------------------------------------------------------------------


def test_publish_now_shows_the_run_at_once_and_never_publishes_a_completed_quarter_again(
    client, admin, organisation, team, next_quarter, queued
):
    with_plan(team, "7", effective_from=next_quarter.start)
    client.force_login(admin)
    assert not PublicationRun.objects.exists()

    response = client.post(reverse("diary:publish-now"), {"quarter": next_quarter.label})

    assert response.status_code == 302
    run = PublicationRun.objects.get()
    assert (run.quarter_start, run.status, run.started_by) == (next_quarter.start, "running", admin)
    assert queued == [((organisation.pk, next_quarter.label, admin.pk), False)]
    assert "Publishing: 0 of 1 clinicians" in client.get(PAGE).content.decode()

    client.post(reverse("diary:publish-now"), {"quarter": next_quarter.label})  # asked again: carry on
    assert PublicationRun.objects.count() == 1
    assert len(queued) == 2

    tasks.publish_quarter.run(organisation.pk, next_quarter.label, admin.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == "completed"
    response = client.post(reverse("diary:publish-now"), {"quarter": next_quarter.label})
    assert len(queued) == 2  # a completed run is not sent to the worker again
    assert "were published on" in messages_of(response)[-1]
    assert PublicationRun.objects.get().finished_at == run.finished_at
    assert QuarterTarget.objects.count() == 1


def test_an_unreachable_worker_is_explained_instead_of_failing(
    client, admin, organisation, next_quarter, broker_down
):
    client.force_login(admin)

    started = time.monotonic()
    response = client.post(reverse("diary:publish-now"), {"quarter": next_quarter.label})

    # One attempt, not kombu's default of retrying for several seconds while the admin waits (a
    # loose bound: the refused connection takes milliseconds).
    assert time.monotonic() - started < 3
    assert response.status_code == 302
    assert "The worker could not be reached" in messages_of(response)[-1]
    assert PublicationRun.objects.get().status == "running"  # the daily job picks it up from here


@pytest.mark.parametrize("label", ["", "next quarter", "2027-Q5", "2040-Q1"])
def test_publish_now_for_a_quarter_the_page_does_not_offer_is_a_bad_request(client, admin, label, queued):
    client.force_login(admin)
    assert client.post(reverse("diary:publish-now"), {"quarter": label}).status_code == 400
    assert client.post(reverse("diary:republish"), {"quarter": label}).status_code == 400
    assert not PublicationRun.objects.exists()
    assert queued == []


@pytest.mark.parametrize("persona", ["choice_clinician", "team_lead", "outsider"])
def test_only_admins_publish(client, request, persona, next_quarter, queued):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(reverse("diary:publish-now"), {"quarter": next_quarter.label}).status_code == 403
    assert client.post(reverse("diary:republish"), {"quarter": next_quarter.label}).status_code == 403
    assert not PublicationRun.objects.exists()
    assert queued == []


# --- Republishing ---------------------------------------------------------------------------------


def test_republishing_after_a_plan_changes_says_whose_target_moved_from_what_to_what(
    client, admin, organisation, team, next_quarter
):
    clinician = with_plan(team, "7", effective_from=next_quarter.previous().start)
    publication.publish_quarter(organisation=organisation, quarter=next_quarter)
    before = QuarterTarget.objects.get(clinician=clinician).target
    with_plan(team, "14", effective_from=next_quarter.start, version=2, user=clinician)
    client.force_login(admin)

    response = client.post(reverse("diary:republish"), {"quarter": next_quarter.label})

    after = QuarterTarget.objects.get(clinician=clinician).target
    assert after > before
    assert f"{clinician} ({team}): {before} → {after}" in messages_of(response)[-1]
    page = client.get(PAGE).content.decode()
    assert "Targets changed by republishing" in page
    assert "Last republished" in page

    again = client.post(reverse("diary:republish"), {"quarter": next_quarter.label})
    assert "no target changed" in messages_of(again)[-1]


def test_a_quarter_not_yet_published_is_not_republished(client, admin, next_quarter):
    client.force_login(admin)
    response = client.post(reverse("diary:republish"), {"quarter": next_quarter.label})
    assert "not published yet" in messages_of(response)[-1]
    assert not PublicationRun.objects.exists()


# --- Notices --------------------------------------------------------------------------------------


def test_a_clinician_marks_their_own_notice_read_but_not_anyone_elses(client, team, choice_clinician):
    mine = NoticeFactory(team=team, user=choice_clinician)
    theirs = NoticeFactory(team=team)
    client.force_login(choice_clinician)
    assert mine.text in client.get(reverse("home")).content.decode()

    assert client.post(reverse("diary:notice-read", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("diary:notice-read", args=[mine.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert Notice.objects.get(pk=mine.pk).read_at is not None
    assert Notice.objects.get(pk=theirs.pk).read_at is None
    assert mine.text not in client.get(reverse("home")).content.decode()


# --- Queries --------------------------------------------------------------------------------------


def add_published_clinicians(run, teams, count: int) -> None:
    for i in range(count):
        team = teams[i % len(teams)]
        target = QuarterTargetFactory(run=run, team=team, without_plan=i % 3 == 0)
        SlotFactory(
            team=team, clinicians=[target.clinician], starts_at=at(run.quarter_start, clock(9 + i % 8))
        )
        if i % 3 == 1:
            TargetChangeFactory(target=target, old_target=None)
        OutboxEmailFactory(to=target.clinician.email, status=OutboxStatus.STUCK, attempts=8)
    PublicationRun.objects.filter(pk=run.pk).update(total=F("total") + count, done=F("done") + count)


def test_the_page_runs_as_many_queries_for_30_clinicians_as_for_3(client, admin, organisation, next_quarter):
    teams = [TeamFactory(organisation=organisation) for _ in range(3)]
    run = PublicationRunFactory(organisation=organisation, quarter_start=next_quarter.start, completed=True)
    PublicationRunFactory(organisation=organisation, quarter_start=next_quarter.previous().start, total=30)
    client.force_login(admin)
    add_published_clinicians(run, teams, 3)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    with_3 = queries()
    add_published_clinicians(run, teams, 27)
    # session, user, roles, the admin's organisation, the two quarters' runs; for the completed
    # run: slots put in per clinician, the targets with their people and teams, the changes; the
    # stuck emails and their count; and the session's new expiry (savepoint, update, release).
    assert queries() == with_3
    assert with_3 == 13
