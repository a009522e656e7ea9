"""RQ entry points for imports: ids in, one service call."""

from leadops.imports import services


def store(batch_id: int) -> None:
    services.import_store_job(batch_id=batch_id)
