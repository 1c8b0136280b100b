"""The VarprioError family: every user-facing failure, each with its exit code."""

from __future__ import annotations


class VarprioError(Exception):
    """Base class of errors reported to the user as one line, without a traceback."""

    exit_code = 1


class InputError(VarprioError):
    """Bad input data: a file, line/record or field that is not what was expected."""

    exit_code = 2


class UsageError(VarprioError):
    """Bad combination of command-line options."""

    exit_code = 2


class UnknownTermError(InputError):
    """An HPO ID that the knowledge base's ontology does not know."""


class KnowledgeBaseError(VarprioError):
    """A knowledge base that is missing, corrupt, or of another schema version or assembly."""

    exit_code = 3


class ModelError(VarprioError):
    """A model that is missing, corrupt, or incompatible with the knowledge base."""

    exit_code = 3


class OutputError(VarprioError):
    """An output that cannot be written."""

    exit_code = 4
