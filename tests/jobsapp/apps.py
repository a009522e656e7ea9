from django.apps import AppConfig


class JobsappConfig(AppConfig):
    name = "tests.jobsapp"
    label = "jobsapp"

    def ready(self):
        from leadops.jobs.registry import register
        from tests.jobsapp.models import ProbeJob
        from tests.jobsapp.steps import ProbeSteps

        register(ProbeJob, ProbeSteps())
