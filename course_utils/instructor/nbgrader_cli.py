"""Run nbgrader's own commands with this environment: ``python -m course_utils.instructor.nbgrader_cli ARGS``.

nbgrader starts ``alembic`` (its database migrations) by name, so ``nbgrader generate_assignment``
fails with ``FileNotFoundError: 'alembic'`` unless the environment's ``bin`` folder is on ``PATH``
(an activated virtual environment). This entry point puts the folder of the running Python first
on ``PATH`` and hands the arguments to nbgrader, e.g. from an nbgrader course folder::

    .venv/bin/python -m course_utils.instructor.nbgrader_cli generate_assignment ex06
    .venv/bin/python -m course_utils.instructor.nbgrader_cli autograde ex06
    .venv/bin/python -m course_utils.instructor.nbgrader_cli export

nbgrader's ``autograde`` runs submissions in an ordinary kernel, **not** in the sandbox that
``make grade`` uses; use it for trusted notebooks.
"""
from __future__ import annotations

import os
import sys

__all__ = ["environment_path", "main"]


def environment_path(path: str | None = None) -> str:
    """``path`` (default: ``$PATH``) with the running environment's ``bin`` folder first.

    Parameters
    ----------
    path : str, optional
        A search path like ``$PATH`` (default: the current one).

    Returns
    -------
    str
    """
    path = os.environ.get("PATH", "") if path is None else path
    if not isinstance(path, str):
        raise ValueError(f"path must be a string like $PATH, got {type(path).__name__}.")
    here = os.path.dirname(sys.executable)
    rest = [p for p in path.split(os.pathsep) if p and p != here]
    return os.pathsep.join([here] + rest)


def main(argv: list[str] | None = None) -> int:
    """Run ``nbgrader ARGV`` with this environment's ``bin`` on ``PATH``; return its exit status.

    Parameters
    ----------
    argv : list of str, optional
        nbgrader's arguments (default: ``sys.argv[1:]``).
    """
    os.environ["PATH"] = environment_path()
    from nbgrader.apps.nbgraderapp import NbGraderApp

    sys.argv = ["nbgrader"] + list(sys.argv[1:] if argv is None else argv)
    NbGraderApp.launch_instance()
    return 0


if __name__ == "__main__":
    sys.exit(main())
