"""nbgrader's own workflow (generate_assignment, autograde, export) on a master, from the documented command."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.instructor import nbgrader_cli

ROOT = Path(__file__).resolve().parent.parent
L06 = "06_kohonen.ipynb"


def test_environment_bin_comes_first_once():
    here = os.path.dirname(sys.executable)
    got = nbgrader_cli.environment_path(os.pathsep.join(["/usr/bin", here, "/bin"])).split(os.pathsep)
    assert got == [here, "/usr/bin", "/bin"]
    with pytest.raises(ValueError, match="path must be a string"):
        nbgrader_cli.environment_path(3)


def test_generate_autograde_export_without_an_activated_environment(tmp_path):
    (tmp_path / "source" / "ex06").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / L06, tmp_path / "source" / "ex06" / L06)
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_assignments = [dict(name='ex06')]\n"
        "c.CourseDirectory.db_students = [dict(id='alice')]\n")
    # PATH without the environment's bin: nbgrader alone fails here, as it cannot find `alembic`
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}

    def nbgrader(*args):
        done = subprocess.run([sys.executable, "-m", "course_utils.instructor.nbgrader_cli", *args],
                              cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]

    nbgrader("generate_assignment", "ex06", "--force")
    release = (tmp_path / "release" / "ex06" / L06).read_text()
    assert "BEGIN SOLUTION" not in release and "HIDDEN TESTS" not in release
    (tmp_path / "submitted" / "alice" / "ex06").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / L06, tmp_path / "submitted" / "alice" / "ex06" / L06)  # a correct answer
    nbgrader("autograde", "ex06", "--force")
    nbgrader("export")
    with open(tmp_path / "grades.csv") as fh:
        row = next(csv.DictReader(fh))
    assert (row["student_id"], float(row["score"]), float(row["max_score"])) == ("alice", 9.0, 9.0)
