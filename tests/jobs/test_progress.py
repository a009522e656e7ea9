"""What the job page says about progress: percent, elapsed and estimated time left."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadops.jobs.models import JobStatus as S
from leadops.jobs.templatetags.job_tags import duration

pytestmark = pytest.mark.django_db


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_rows_reported_give_percent_and_a_rate_based_estimate(make_job):
    job = make_job(status=S.SUBMITTED, rows_total=1000, rows_done=250, submitted_at=ago(60))
    assert job.progress_percent == 25
    # 250 rows took 60 s, so 750 more take about 180 s.
    assert 175 <= job.remaining.total_seconds() <= 185


def test_without_rows_the_providers_own_estimate_drives_time_and_percent(make_job):
    job = make_job(
        status=S.SUBMITTED,
        rows_total=500,
        rows_done=0,
        queued_at=ago(50),
        submitted_at=ago(40),
        expected_done_at=later(40),
    )
    assert job.progress_percent == 50
    assert 35 <= job.remaining.total_seconds() <= 40
    assert 50 <= job.elapsed.total_seconds() <= 55


def test_an_overdue_job_never_looks_finished(make_job):
    job = make_job(status=S.SUBMITTED, rows_done=0, submitted_at=ago(100), expected_done_at=ago(10))
    assert job.progress_percent == 95
    assert job.remaining == timedelta(0)


def test_no_basis_no_guess_and_finished_jobs_show_how_long_they_took(make_job):
    assert make_job(status=S.QUEUED, queued_at=ago(5)).remaining is None
    start = ago(300)
    done = make_job(status=S.COMPLETE, queued_at=start, completed_at=start + timedelta(seconds=95))
    assert done.remaining is None
    assert done.elapsed == timedelta(seconds=95)
    assert done.progress_percent == 100


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (45, "45 s"), (60, "1 min"), (185, "3 min 5 s"), (725, "12 min"),
     (3600, "1 h"), (3900, "1 h 5 min")],
)  # fmt: skip
def test_duration_reads_like_a_person_would_say_it(seconds, text):
    assert duration(timedelta(seconds=seconds)) == text
    assert duration(None) == ""
