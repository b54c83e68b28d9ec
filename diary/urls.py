from django.urls import path

from diary import views

app_name = "diary"

urlpatterns = [
    path("teams/<int:team_id>/search/", views.search_page, name="search"),
    path("teams/<int:team_id>/cases/<int:case_id>/book/", views.book, name="book"),
    path("teams/<int:team_id>/appointments/<int:appointment_id>/outcome/", views.outcome, name="outcome"),
    path("teams/<int:team_id>/appointments/<int:appointment_id>/reoffer/", views.reoffer, name="reoffer"),
    path("teams/<int:team_id>/appointments/<int:appointment_id>/letter/", views.letter, name="letter"),
    path(
        "teams/<int:team_id>/clinicians/<int:clinician_id>/slots/",
        views.clinician_slots,
        name="clinician-slots",
    ),
    path("teams/<int:team_id>/clinicians/<int:clinician_id>/slots/pattern/", views.pattern, name="pattern"),
    path("teams/<int:team_id>/slots/<int:slot_id>/remove/", views.remove_slot, name="slot-remove"),
]
