from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadops.webhooks.intake import Refused, accept


@csrf_exempt
@require_POST
def receive(request, provider: str, token: str):
    """Authenticate, store raw, answer 200 fast. Processing happens in a worker.

    gunicorn and runserver never reach this view: leadops.wsgi sends `/webhooks/…` to the
    plain WSGI intake (leadops.webhooks.intake.application). The route stays on the full
    stack so that reverse() names the URL (Settings shows it) and Django's test client and
    plain WSGI application still answer it, through the same checks (`accept`). A refusal is
    answered here, not raised, so that no error page (templates, context processors) is
    rendered for it.
    """
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        accept(
            provider=provider,
            token=token,
            headers=headers,
            read_body=request.read,
            query=request.GET.dict(),
        )
    except Refused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    return HttpResponse(status=200)
