from django.conf import settings


def leadops(request):
    """What every page needs: the sandbox flag and the user's wallet for the header."""
    wallet = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from leadops.credits.models import Wallet

        wallet = Wallet.objects.filter(user=user).only("available", "held").first()
    return {
        "sandbox_mode": settings.PROVIDER_MODE == "sandbox",
        "header_wallet": wallet,
    }
