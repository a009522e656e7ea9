"""URL patterns of the lean webhook handler (leadops.webhooks.intake): the intake view only.

Its error answers are small JSON bodies: Django's defaults render templates whose context
processors look for a user and a session, which this handler never loads.
"""

from django.http import JsonResponse
from django.urls import path

from leadops.webhooks import views


def _error(status: int, message: str):
    def answer(request, exception=None):
        return JsonResponse({"error": message}, status=status)

    return answer


handler400 = _error(400, "bad request")
handler403 = _error(403, "forbidden")
handler404 = _error(404, "not found")
handler500 = _error(500, "server error")

urlpatterns = [path("webhooks/<slug:provider>/<str:token>/", views.receive)]
