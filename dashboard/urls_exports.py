"""URLs of the dashboards' exports (included by dashboard/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
