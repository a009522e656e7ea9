"""An import's stored upload goes with it.

Deleting an ImportBatch (its team deleted, an admin cleaning up) used to leave the uploaded
file behind: on disk before, as database chunks since uploads moved there. The file is
removed once the deletion commits, so a rolled-back delete keeps it.
"""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from leadops.imports.models import ImportBatch


@receiver(post_delete, sender=ImportBatch, dispatch_uid="imports.delete_stored_upload")
def delete_stored_upload(sender, instance: ImportBatch, **kwargs) -> None:
    if not instance.file.name:
        return
    storage, name = instance.file.storage, instance.file.name
    transaction.on_commit(lambda: storage.delete(name))
