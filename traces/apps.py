from django.apps import AppConfig


class TracesConfig(AppConfig):
    name = "traces"
    verbose_name = "Skip Trace"

    def ready(self):
        from leadops.imports.registry import register_kind
        from leadops.jobs.registry import register
        from leadops.webhooks.registry import register_handler
        from traces import reapi_webhooks
        from traces.import_kinds import KINDS
        from traces.models import TraceJob, TraceProvider
        from traces.parcel_steps import ParcelSteps
        from traces.reapi_steps import ReapiSteps
        from traces.steps import TraceSteps
        from traces.tracerfy_steps import TracerfySteps

        register(
            TraceJob,
            TraceSteps(
                {TraceProvider.TRACERFY: TracerfySteps(), TraceProvider.REAPI: ReapiSteps()},
                parcel=ParcelSteps(),
            ),
        )
        # RealEstateAPI's webhooks carry results, not just "done": this app handles them.
        register_handler(TraceProvider.REAPI, "item", reapi_webhooks.reapi_item_received)
        register_handler(TraceProvider.REAPI, "complete", reapi_webhooks.reapi_batch_completed)
        # The kinds of upload a trace starts from (their preview continues to the cost preview).
        for kind in KINDS:
            register_kind(kind)
        # The ledger's spend report names the instant lookups' credit references.
        from leadops.credits.reports import register_reference_label

        register_reference_label("lookup", "Instant trace lookup")
        # Its finished traces are searchable (leadops.search).
        from leadops.search.registry import register as register_search
        from traces.search import SOURCE

        register_search(SOURCE)
