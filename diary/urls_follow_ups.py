"""URLs of the appointments after the first (included by diary/urls.py)."""

from django.urls import path

from diary import views_follow_ups

urlpatterns = [
    path(
        "teams/<int:team_id>/cases/<int:case_id>/follow-ups/new/",
        views_follow_ups.follow_up_new,
        name="follow-up-new",
    ),
    path(
        "teams/<int:team_id>/follow-ups/<int:appointment_id>/outcome/",
        views_follow_ups.follow_up_outcome,
        name="follow-up-outcome",
    ),
]
