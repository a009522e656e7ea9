"""RQ entry points for imports: ids in, one service call.

Services enqueue these by dotted path (``"leadops.imports.tasks.store"``), so services
never import this module.
"""

from leadops.imports import services


def store(batch_id: int) -> None:
    services.import_store_job(batch_id=batch_id)
