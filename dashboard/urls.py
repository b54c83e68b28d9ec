from django.urls import include, path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.organisation, name="organisation"),
    path("teams/<int:team_id>/", views.team, name="team"),
    path("teams/<int:team_id>/clinicians/<int:clinician_id>/", views.clinician, name="clinician"),
    path("teams/<int:team_id>/slots/", views.team_slots, name="team-slots"),
    path("teams/<int:team_id>/waits/", views.team_waits, name="team-waits"),
    path("teams/<int:team_id>/cases/", views.team_cases, name="team-cases"),
    path("", include("dashboard.urls_exports")),
]
