"""Session limits. The idle limit is Django's own (SESSION_COOKIE_AGE, renewed on every request);
this middleware adds the absolute limit, so that a session kept alive all day still ends."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

SESSION_STARTED_AT = "capa_session_started_at"


class AbsoluteSessionLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started_at = request.session.setdefault(SESSION_STARTED_AT, time.time())
            if time.time() - started_at > settings.SESSION_ABSOLUTE_LIMIT.total_seconds():
                logout(request)
                messages.info(
                    request, "For your security you were logged out after 12 hours. Log in again to carry on."
                )
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
