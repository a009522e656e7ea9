"""The DNC pages: sources, cost preview, submit, the scrub page and its downloads."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dnc import services
from dnc.models import DncPhone, DncScrub, PhoneOrigin, PhoneOutcome
from leadops.jobs.models import JobStatus as S
from tests.dnc.conftest import e164, phone
from tests.support.forms import submit_token
from tests.support.jobs import run_until_done

pytestmark = pytest.mark.django_db(transaction=True)


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_index_opens_clean_and_lists_the_teams_scrubs(client, funded, outsider, team_b):
    services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(1), name="Mine")
    services.dnc_draft_from_list(team=team_b, user=outsider, text=phone(2), name="Theirs")
    client.force_login(funded)
    page = client.get(reverse("dnc:index")).content.decode()
    assert "Mine" in page and "Theirs" not in page
    assert "is-invalid" not in page and 'data-testid="paste-error"' not in page
    assert "No finished trace with hits yet" in page


def test_index_query_count_does_not_grow_with_scrubs(client, funded, django_assert_max_num_queries):
    client.force_login(funded)
    for n in range(3):
        services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(n))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("dnc:index"))
    for n in range(3, 23):
        services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dnc:index"))


def test_an_empty_or_invalid_paste_is_shown_back_with_the_reason(client, funded):
    client.force_login(funded)
    page = client.post(reverse("dnc:from_list"), {"phones": ""}).content.decode()
    assert "Paste at least one phone number." in page
    page = client.post(reverse("dnc:from_list"), {"phones": "12\nabc"}).content.decode()
    assert "The list holds no valid phone number. (2 invalid.) Nothing was charged." in page
    assert not DncScrub.objects.exists()


def test_paste_preview_submit_and_results_page(live_sandbox, client, funded, run_worker):
    client.force_login(funded)
    text = f"{phone(1)}\n{phone(2)}\n{phone(1)}\nnope"
    response = client.post(reverse("dnc:from_list"), {"phones": text, "name": "Calls"})
    job = DncScrub.objects.get()
    assert response.url == reverse("dnc:detail", args=[job.pk])
    preview = client.get(response.url).content.decode()
    assert 'data-testid="est-unique">2<' in preview
    assert 'data-testid="est-duplicate">1<' in preview
    assert 'data-testid="est-invalid">1<' in preview
    assert "nope" in preview and 'data-testid="estimate-total">2<' in preview
    token = submit_token(preview)
    form = {"expected_credits": 2, "submit_token": token}
    response = client.post(reverse("dnc:submit", args=[job.pk]), form)
    assert response.url == reverse("dnc:detail", args=[job.pk])
    # The same form again (a double click) makes nothing new.
    client.post(reverse("dnc:submit", args=[job.pk]), form)
    assert DncScrub.objects.count() == 1
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE
    page = client.get(reverse("dnc:detail", args=[job.pk])).content.decode()
    assert 'id="dnc-mix-data"' in page and 'data-testid="download-clean"' in page
    assert page.count('data-testid="outcome"') == 3  # two phones and the invalid entry


def test_a_changed_cost_is_shown_again(client, funded):
    client.force_login(funded)
    job = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(3))
    token = submit_token(client.get(reverse("dnc:detail", args=[job.pk])).content.decode())
    response = client.post(
        reverse("dnc:submit", args=[job.pk]),
        {"expected_credits": 5, "submit_token": token},
        follow=True,
    )
    assert "The cost changed since you looked" in response.content.decode()
    job.refresh_from_db()
    assert job.status == S.DRAFT


def test_discarding_a_draft_removes_it(client, funded):
    client.force_login(funded)
    job = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(4))
    response = client.post(reverse("dnc:cancel", args=[job.pk]), follow=True)
    assert "nothing was charged" in response.content.decode()
    assert not DncScrub.objects.exists() and not DncPhone.objects.exists()


def test_upload_continues_to_the_cost_preview(client, funded, phone_batch):
    batch = phone_batch([["Pat", phone(5), "", "", "x"], ["Sam", "", phone(6), "", "y"]])
    client.force_login(funded)
    preview = client.get(reverse("imports:preview", args=[batch.pk])).content.decode()
    assert reverse("dnc:from_import", args=[batch.pk]) in preview
    response = client.get(reverse("dnc:from_import", args=[batch.pk]))
    job = DncScrub.objects.get()
    assert response.url == reverse("dnc:detail", args=[job.pk])
    # Opening it again finds the same draft.
    client.get(reverse("dnc:from_import", args=[batch.pk]))
    assert DncScrub.objects.count() == 1 and job.phones_unique == 2


def test_downloads_clean_list_results_and_the_annotated_upload(
    live_sandbox, client, funded, phone_batch, run_worker, settings
):
    batch = phone_batch(
        [[f"=Owner {n}", phone(n), phone(n + 40), "bad", "note"] for n in range(10, 20)]
    )
    job = services.dnc_draft_from_import(batch=batch, user=funded)
    done = run_until_done(
        services.dnc_scrub_submit(job=job, user=funded, seen_credits=20), run_worker
    )
    client.force_login(funded)
    clean = _csv(client.get(reverse("dnc:export", args=[done.pk, "clean", "csv"])))
    want = DncPhone.objects.filter(job=done, outcome=PhoneOutcome.CLEAN)
    assert clean[0][:2] == ["Phone", "Label"]
    assert sorted(r[0] for r in clean[1:]) == sorted(
        p[2:] for p in want.values_list("phone", flat=True)
    )
    assert 0 < len(clean) - 1 < 20
    assert all(r[1].startswith("'=") for r in clean[1:])  # injection-safe labels
    # A stale result leaves the clean list.
    old = timezone.now() - timedelta(days=settings.DNC_FRESH_DAYS + 1)
    stale = want.first()
    DncPhone.objects.filter(pk=stale.pk).update(checked_at=old)
    clean = _csv(client.get(reverse("dnc:export", args=[done.pk, "clean", "csv"])))
    assert stale.phone[2:] not in {r[0] for r in clean[1:]}
    filtered = _csv(
        client.get(reverse("dnc:export", args=[done.pk, "phones", "csv"]) + "?show=stale")
    )
    assert [r[0] for r in filtered[1:]] == [stale.phone[2:]]
    assert filtered[1][4].startswith("Stale: Clean")

    rows = _csv(client.get(reverse("dnc:export", args=[done.pk, "rows", "csv"])))
    assert rows[0][-4:] == ["Phone Mobile DNC", "Phone Home DNC", "Phone Work DNC", "LeadOps line"]
    assert len(rows) == 11
    first = DncPhone.objects.get(job=done, phone=e164(11))
    assert rows[2][-4].startswith(first.get_outcome_display())
    assert rows[2][-2].startswith("Invalid: ")
    assert rows[1][0].startswith("'=")


def test_results_filter_by_flag(live_sandbox, client, funded, run_worker):
    job = services.dnc_draft_from_list(
        team=funded.wallet.team, user=funded, text="\n".join(phone(n) for n in range(100, 130))
    )
    done = run_until_done(
        services.dnc_scrub_submit(job=job, user=funded, seen_credits=30), run_worker
    )
    client.force_login(funded)
    federal = DncPhone.objects.filter(job=done, national_dnc=True).count()
    assert 0 < federal < 30
    page = client.get(reverse("dnc:detail", args=[done.pk]) + "?show=federal").content.decode()
    assert page.count('data-testid="outcome"') == federal
    sent = DncPhone.objects.filter(job=done, origin=PhoneOrigin.SENT).count()
    assert sent == 30


def test_an_upload_without_a_valid_phone_is_refused_on_its_preview(client, funded, phone_batch):
    batch = phone_batch([["Pat", "12", "555", "", "x"], ["Sam", "", "abc-defg", "", "y"]])
    client.force_login(funded)
    response = client.get(reverse("dnc:from_import", args=[batch.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("imports:preview", args=[batch.pk])
    assert "has no valid phone number to scrub. (3 invalid.) Nothing was charged." in page
    assert not DncScrub.objects.exists()


def test_a_download_in_an_unknown_format_or_kind_is_not_found(client, funded):
    client.force_login(funded)
    job = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(8))
    assert client.get(reverse("dnc:export", args=[job.pk, "phones", "pdf"])).status_code == 404
    assert client.get(reverse("dnc:export", args=[job.pk, "rows", "csv"])).status_code == 404
    assert client.get(reverse("dnc:export", args=[job.pk, "phones", "xlsx"])).status_code == 200
