"""URLs of the case's workers pages (included by partnership/urls.py)."""

from django.urls import path

from partnership import views_workers

CASE = "teams/<int:team_id>/<int:case_id>/"

urlpatterns: list = [
    path("teams/<int:team_id>/rota/<int:stream_id>/", views_workers.rota_detail, name="rota-detail"),
    path(CASE + "specific-worker/", views_workers.specific_worker, name="worker-specific"),
    path(CASE + "co-worker/", views_workers.co_worker, name="worker-co-worker"),
    path(CASE + "key-worker/", views_workers.key_worker, name="worker-key-worker"),
    path(CASE + "reviews/new/", views_workers.review_new, name="review-new"),
]
