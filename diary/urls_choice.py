"""URLs of the Choice diary (included by diary/urls.py)."""

from django.urls import path

from diary import views_choice

urlpatterns = [
    path("teams/<int:team_id>/cases/<int:case_id>/choice/", views_choice.book_choice, name="choice-book"),
]
