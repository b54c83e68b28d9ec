"""URLs of the case's workers pages (included by partnership/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
