"""URLs of the appointments after the first (included by diary/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
