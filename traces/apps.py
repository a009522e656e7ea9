from django.apps import AppConfig


class TracesConfig(AppConfig):
    name = "traces"
    verbose_name = "Skip Trace"

    def ready(self):
        from leadops.jobs.registry import register
        from traces import parcel, reapi
        from traces.models import TraceJob, TraceProvider
        from traces.steps import TracerfySteps, TraceSteps

        register(
            TraceJob,
            TraceSteps(
                {
                    TraceProvider.TRACERFY: TracerfySteps(),
                    TraceProvider.REAPI: reapi.ReapiSteps(),
                },
                parcel=parcel.ParcelSteps(),
            ),
        )
        reapi.register()

        from leadops.imports.registry import register_kind
        from traces.import_kinds import KINDS

        for kind in KINDS:
            register_kind(kind)
