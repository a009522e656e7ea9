import factory
from django.contrib.auth import get_user_model

from leadops.accounts.models import Membership, Role, Team
from leadops.credits.models import Wallet


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.STAFF


class WalletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wallet

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)


class MappingPresetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "imports.MappingPreset"

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Preset {n}")
    headers = factory.LazyAttribute(lambda p: list(p.mapping))
    mapping = factory.LazyFunction(
        lambda: {"Address": "property_address", "City": "property_city", "State": "property_state"}
    )
