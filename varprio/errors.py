"""The VarprioError family: every user-facing failure, each with its exit code.

Exit codes (see docs/errors.md): 0 success, 1 some batch rows failed, 2 usage or input error,
3 knowledge-base or model error, 4 output error, 70 internal error (a bug: traceback printed),
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

#: Exit code of an unexpected exception (a bug in varprio; BSD ``EX_SOFTWARE``).
INTERNAL_ERROR_EXIT = 70
#: Exit code after Ctrl-C (128 + SIGINT).
INTERRUPTED_EXIT = 130


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


class BatchFailure(VarprioError):
    """Some rows of a batch failed (each is reported in ``summary.tsv``); the others succeeded."""

    exit_code = 1
