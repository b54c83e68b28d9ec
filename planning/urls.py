from django.urls import path

from planning import views, views_files

app_name = "planning"

urlpatterns = [
    path("", views.organisation_capacity, name="organisation-capacity"),
    path("teams/<int:team_id>/capacity/", views.team_capacity, name="team-capacity"),
    path("teams/<int:team_id>/referrals/", views.referrals_edit, name="referrals-edit"),
    path("teams/<int:team_id>/clinicians/<int:clinician_id>/plan/", views.plan_detail, name="plan-detail"),
    path("teams/<int:team_id>/clinicians/<int:clinician_id>/plan/edit/", views.plan_edit, name="plan-edit"),
    path(
        "teams/<int:team_id>/clinicians/<int:clinician_id>/plan/totals/",
        views.plan_totals,
        name="plan-totals",
    ),
    path("teams/<int:team_id>/plans/<int:plan_id>/agree/", views.plan_agree, name="plan-agree"),
    path(
        "teams/<int:team_id>/clinicians/<int:clinician_id>/absences/new/",
        views.absence_add,
        name="absence-add",
    ),
    path(
        "teams/<int:team_id>/absences/<int:absence_id>/remove/", views.absence_remove, name="absence-remove"
    ),
    path("teams/<int:team_id>/plans/import/", views_files.plans_import, name="plans-import"),
    path("teams/<int:team_id>/plans/export.<str:file_format>", views_files.plans_export, name="plans-export"),
]
