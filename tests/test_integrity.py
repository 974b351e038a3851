"""The audit's own code is checked before it grades: changed sources and planted bytecode
are refused, with the files named."""

import importlib.util
import marshal
import py_compile
import shutil

import pytest

from coursekit.grading import sandbox
from coursekit.grading.audit import integrity


@pytest.fixture
def package(tmp_path):
    copy = tmp_path / "coursekit"
    shutil.copytree(sandbox.coursekit_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_first_grading_records_the_files_and_later_ones_compare(tmp_path, package):
    course = tmp_path / "course"
    course.mkdir()
    manifest = integrity.verify(course, package=package)
    assert "coursekit/grading/check.py" in manifest
    assert (course / ".coursekit" / "coursekit.manifest.json").exists()
    assert integrity.verify(course, package=package) == manifest
    target = package / "grading" / "compare.py"
    target.write_text(target.read_text() + "\n# changed\n")
    with pytest.raises(integrity.IntegrityError, match=r"changed: coursekit/grading/compare\.py"):
        integrity.verify(course, package=package)


def test_a_planted_compiled_file_is_refused(tmp_path, package):
    source = package / "layers" / "numpy_ref.py"
    pyc = importlib.util.cache_from_source(str(source))
    py_compile.compile(str(source), cfile=pyc)
    assert integrity.stale_bytecode(package) == []
    header = open(pyc, "rb").read()[:16]  # the header Python checks: the source's time and size
    evil = compile(source.read_text().replace("def softmax(z):", "def softmax(z):\n    return 0"), str(source), "exec")
    open(pyc, "wb").write(header + marshal.dumps(evil))
    assert integrity.stale_bytecode(package) == [pyc]
    course = tmp_path / "course"
    course.mkdir()
    with pytest.raises(integrity.IntegrityError, match="compiled files that do not match"):
        integrity.verify(course, package=package)


def test_added_and_missing_files_are_named():
    diff = integrity.differences({"a.py": "1", "b.py": "2"}, {"a.py": "1", "c.py": "3"})
    assert diff == {"changed": [], "missing": ["b.py"], "added": ["c.py"]}
