"""The OS sandbox a submission runs in: bubblewrap (``bwrap``) with resource limits.

:func:`command` builds the ``bwrap`` command line for one submission:

* new user, PID, network, IPC, UTS and cgroup namespaces (``--unshare-all``): no network, the
  grader's processes are not visible and cannot be signalled; ``--die-with-parent`` and
  ``--new-session`` (no terminal to inject keystrokes into); the user is ``nobody`` inside;
* a filesystem made of empty tmpfs folders plus, **read-only**: the system libraries
  (``/usr``, ``/lib*``, a few files of ``/etc``), the Python installation and its environment
  and the ``course_utils`` package — not the course folder, so the masters, the other
  submissions and the results are not in view at all;
* a private home (``HOME``, ``IPYTHONDIR``, ``MPLCONFIGDIR`` inside it), ``/tmp`` and
  ``/dev/shm``, all size-capped tmpfs (filling them hits the cap, not the machine's memory);
* a clean environment (``--clearenv`` and a short list of variables);
* limits set in the child before ``bwrap`` starts (inherited by everything inside): address
  space (``RLIMIT_AS``), CPU seconds, processes (``RLIMIT_NPROC``), file size, open files, no
  core dumps.

:func:`available` says whether the sandbox works on this machine, and why not.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ..validation import check_int

__all__ = ["SandboxLimits", "available", "command", "preexec", "HOME"]

#: The submission's home folder inside the sandbox (its working directory).
HOME = "/home/student"
_PACKAGE = Path(__file__).resolve().parent.parent          # the course_utils package
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf", "localtime",
        "alternatives", "fonts", "mime.types")
#: Variables the submission sees (nothing is inherited from the grader).
ENV = {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
       "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
       "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
       "TF_NUM_INTRAOP_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "USER": "student", "LOGNAME": "student"}


@dataclass(frozen=True)
class SandboxLimits:
    """Limits for one sandboxed run.

    Parameters
    ----------
    memory_mb : int
        Address space of each process (``RLIMIT_AS``), in MiB. TensorFlow maps ~1.5 GiB of
        address space at import, so below ~2500 a Keras notebook cannot start.
    cpu_s : int
        CPU seconds of each process (``RLIMIT_CPU``); the kernel kills it past that.
    nproc : int
        Processes and threads of the sandbox's user (``RLIMIT_NPROC``).
    file_mb : int
        Largest file it may write (``RLIMIT_FSIZE``), and the size of each of its tmpfs folders.
    """
    memory_mb: int = 4000
    cpu_s: int = 600
    nproc: int = 256
    file_mb: int = 64

    def __post_init__(self):
        for name in ("memory_mb", "cpu_s", "nproc", "file_mb"):
            check_int(getattr(self, name), name, minimum=1)


def _ro_paths() -> list[str]:
    """Folders the sandbox sees read-only: the system, Python and its environment."""
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
    for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
              sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"]}:
        real = os.path.realpath(p)
        if not any(real == q or real.startswith(q.rstrip("/") + "/") for q in paths):
            paths.append(real)
    return paths


def command(argv: list[str], limits: SandboxLimits, *, uid: int = 65534, files: dict[str, int] | None = None
            ) -> tuple[list[str], list[int]]:
    """The ``bwrap`` command line that runs ``argv`` inside the sandbox, and the descriptors it needs.

    Run as root, ``bwrap`` builds the namespaces and mounts, then becomes the unprivileged host
    user ``uid`` with no capabilities and ``no_new_privs`` before running ``argv``. Give
    concurrent sandboxes different ``uid`` values: the process limit counts per user.

    Parameters
    ----------
    argv : list of str
        The program and its arguments, as seen inside (the Python path is the same as outside).
    limits : SandboxLimits
        Sizes of the private tmpfs folders come from ``limits.file_mb``.
    uid : int
        The host user (and group) the submission runs as, >= 1000.
    files : dict, optional
        ``{path inside the home folder: readable file descriptor}``: files copied in, read-only.

    Returns
    -------
    cmd : list of str
    fds : list of int
        Descriptors to pass to the child (``pass_fds``) and to close once it has started.
    """
    if not argv:
        raise ValueError("argv must name the program to run in the sandbox.")
    _check_uid(uid)
    size = str(limits.file_mb * 2**20)
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--uid", str(uid), "--gid", str(uid),
           "--hostname", "sandbox", "--cap-drop", "ALL"]
    fds: list[int] = []

    def ro(src: str, dest: str) -> None:
        cmd.extend(["--ro-bind", src, dest])

    # private folders first: a read-only bind below one of them (a checkout under /tmp) stays visible
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
            "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", HOME]
    for p in _ro_paths():
        if os.path.islink(p):
            cmd.extend(["--symlink", os.readlink(p), p])
        elif os.path.exists(p):
            ro(p, p)
    for name in _ETC:
        if os.path.exists(f"/etc/{name}"):
            ro(f"/etc/{name}", f"/etc/{name}")
    ro(str(_PACKAGE), "/opt/course/course_utils")
    for rel, fd in (files or {}).items():
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise ValueError(f"files must be relative to the home folder, got {rel!r}.")
        cmd += ["--perms", "0444", "--ro-bind-data", str(fd), f"{HOME}/{rel}"]
        fds.append(fd)
    cmd += ["--remount-ro", "/"]
    env = dict(ENV, HOME=HOME, IPYTHONDIR=f"{HOME}/.ipython", MPLCONFIGDIR=f"{HOME}/.matplotlib",
               PYTHONPATH="/opt/course", PATH=f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", TMPDIR="/tmp")
    cmd += ["--clearenv"] + [a for k, v in env.items() for a in ("--setenv", k, v)]
    return cmd + ["--chdir", HOME, "--"] + list(argv), fds


def _check_uid(uid) -> None:
    check_int(uid, "uid", minimum=1000, maximum=2**31 - 2, hint="an unprivileged user id")


def preexec(limits: SandboxLimits):
    """A ``preexec_fn`` setting the resource limits; they pass through ``bwrap`` to the submission.

    ``RLIMIT_NPROC`` takes effect once ``bwrap`` has switched to the unprivileged user.

    Parameters
    ----------
    limits : SandboxLimits
        The limits to set.

    Returns
    -------
    callable
        The function to pass as ``subprocess.Popen(preexec_fn=...)``.
    """
    def apply():
        mem = limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
        fsize = limits.file_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
    return apply


@functools.lru_cache(maxsize=1)
def available() -> str | None:
    """``None`` if the sandbox works here, otherwise the reason it does not (a sentence)."""
    if os.getuid() != 0:
        return ("the grader must run as root to start bubblewrap with a separate unprivileged user per "
                "submission (as in a container or CI job).")
    if shutil.which("bwrap") is None:
        return ("bubblewrap (`bwrap`) is not installed: install it (`sudo apt-get install bubblewrap`, or "
                "`make sandbox-setup` as root).")
    probe = [sys.executable, "-I", "-c", "import os; print(os.getuid(), os.getpid())"]
    limits = SandboxLimits()
    cmd, fds = command(probe, limits)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                              pass_fds=fds, preexec_fn=preexec(limits))
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not start ({exc})."
    finally:
        for fd in fds:
            os.close(fd)
    if done.returncode != 0 or done.stdout.split() != ["65534", "2"]:
        err = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return (f"bubblewrap cannot create its namespaces here ({err[0][:200]}); a container may need "
                "unprivileged user namespaces or --privileged.")
    return None
