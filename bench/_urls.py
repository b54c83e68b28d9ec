"""The benchmarks' URLconf: the project's URLs plus the yardstick, a logged-in no-op page.

The no-op goes through every middleware (session, authentication, CSP, audit context) and the
login check, so a page's ratio to it is what the page itself adds.

Not a benchmark: `make bench` runs every bench/*.py, and run directly this does nothing.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

handler403 = "capa.views.permission_denied"
handler404 = "capa.views.page_not_found"
handler500 = "capa.views.server_error"


@login_required
@require_GET
def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/noop/", noop, name="bench-noop")]
if __name__ != "__main__":  # capa.urls loads the admin, which needs configured settings
    urlpatterns.append(path("", include("capa.urls")))
