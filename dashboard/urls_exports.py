"""URLs of the dashboards' exports (included by dashboard/urls.py)."""

from django.urls import path

from dashboard import views_exports

urlpatterns: list = [
    path("export/<str:format>/", views_exports.organisation_export, name="organisation-export"),
    path("teams/<int:team_id>/export/<str:format>/", views_exports.team_export, name="team-export"),
]
