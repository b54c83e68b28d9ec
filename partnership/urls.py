from django.urls import include, path

from partnership import views

app_name = "partnership"

urlpatterns = [
    path("teams/<int:team_id>/", views.case_list, name="case-list"),
    path("teams/<int:team_id>/new/", views.case_new, name="case-new"),
    path("teams/<int:team_id>/referrals/new/", views.referral_new, name="referral-new"),
    path("teams/<int:team_id>/<int:case_id>/", views.case_detail, name="case-detail"),
    path("teams/<int:team_id>/<int:case_id>/steps/", views.case_step, name="case-step"),
    path("teams/<int:team_id>/caseload/", views.team_caseload, name="team-caseload"),
    path("teams/<int:team_id>/my-caseload/", views.my_caseload, name="my-caseload"),
    path("", include("partnership.urls_care")),
    path("", include("partnership.urls_workers")),
]
