from django.urls import include, path

from diary import views, views_calendar, views_publication

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
    path("teams/<int:team_id>/slots/<int:slot_id>/put-back/", views.put_back_slot, name="slot-put-back"),
    # Diaries out: a clinician's iCalendar feed, the team's week, team sessions.
    path("calendar/<str:token>.ics", views_calendar.feed, name="feed"),
    path("calendar/", views_calendar.calendar_settings, name="calendar-settings"),
    path("calendar/reset/", views_calendar.calendar_reset, name="calendar-reset"),
    path("teams/<int:team_id>/week/", views_calendar.team_week, name="team-week"),
    path("teams/<int:team_id>/sessions/new/", views_calendar.team_session_new, name="team-session-new"),
    path(
        "teams/<int:team_id>/sessions/<int:session_id>/cancel/",
        views_calendar.team_session_cancel,
        name="team-session-cancel",
    ),
    # Publishing quarterly targets (admins), and the notices it leaves on people's home pages.
    path("publication/", views_publication.publication_page, name="publication"),
    path(
        "publication/runs/<int:run_id>/progress/",
        views_publication.publication_progress,
        name="publication-progress",
    ),
    path("publication/publish/", views_publication.publish_now, name="publish-now"),
    path("publication/republish/", views_publication.republish, name="republish"),
    path("notices/<int:notice_id>/read/", views_publication.notice_read, name="notice-read"),
    path("", include("diary.urls_follow_ups")),
    path("", include("diary.urls_choice")),
]
