from django.contrib import admin
from django.urls import include, path

from capa import views

admin.site.site_header = "capa administration"
admin.site.site_title = "capa admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health_check, name="health"),
    path("accounts/", include("accounts.urls")),
    path("planning/", include("planning.urls")),
    path("diary/", include("diary.urls")),
    path("cases/", include("partnership.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "capa.views.permission_denied"
handler404 = "capa.views.page_not_found"
handler500 = "capa.views.server_error"
