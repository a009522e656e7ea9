import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadops.webhooks import registry
from leadops.webhooks.bodies import BodyRefused, load_object
from leadops.webhooks.services import webhook_receive

MAX_BODY = 1024 * 1024


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@csrf_exempt
@require_POST
def receive(request, provider: str, token: str):
    """Authenticate, store raw, answer 200 fast. Processing happens in a worker.

    Served by the lean intake handler (leadops.webhooks.intake), without sessions or CSRF.
    A wrong token or provider is a 404 that stores nothing (it reveals nothing either); it is
    answered here, not raised, so that no error page (templates, context processors) is
    rendered for it on either stack.
    """
    spec = registry.provider(provider)
    if spec is None or not _same(token, settings.WEBHOOK_TOKEN):
        return JsonResponse({"error": "not found"}, status=404)
    if not spec.authenticate(request.headers):
        return JsonResponse({"error": "webhook authentication failed"}, status=401)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return JsonResponse({"error": "body too large"}, status=413)
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        payload = load_object(body)
    except BodyRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "x-api-key"}
    webhook_receive(
        provider=provider, body=body, payload=payload, query=request.GET.dict(), headers=headers
    )
    return HttpResponse(status=200)
