"""URLs of the Choice diary (included by diary/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
