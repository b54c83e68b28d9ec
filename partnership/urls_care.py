"""URLs of the case's care pages (included by partnership/urls.py)."""

from django.urls import path

from partnership import views_care

CASE = "teams/<int:team_id>/<int:case_id>/"
LETTER = CASE + "letters/<int:letter_id>/"

urlpatterns: list = [
    path(CASE + "letters/new/", views_care.letter_new, name="letter-new"),
    path(LETTER, views_care.letter_detail, name="letter-detail"),
    path(LETTER + "pdf/", views_care.letter_pdf, name="letter-pdf"),
    path(LETTER + "sent/", views_care.letter_sent, name="letter-sent"),
    path(CASE + "scores/new/", views_care.score_new, name="score-new"),
]
