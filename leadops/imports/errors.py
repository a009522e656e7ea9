"""Refusals of the import flow; every message is written to be shown to the user as it is.

``ImportRejected`` (from the reader) means the file itself cannot be imported and nothing
is stored. The errors below refuse a step on a batch that was accepted.
"""

from leadops.imports.readers import ImportRejected, RejectCode

__all__ = ["BatchStateError", "ImportRejected", "ImportStepError", "MappingInvalid", "RejectCode"]


class ImportStepError(Exception):
    """Base for refusals of an import step; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MappingInvalid(ImportStepError):
    """The chosen mapping cannot feed the chosen job (a required column is not mapped…)."""


class BatchStateError(ImportStepError):
    """The batch is not in a state where this step is allowed."""
