"""The sandbox boundary lets plain data through and nothing else."""
import json

import numpy as np
import pytest

from course_utils.instructor import probes, sandbox


def _wire(x, **kw):
    return json.loads(json.dumps(probes.encode(x, **kw), allow_nan=False))


def test_plain_data_round_trips_exactly():
    value = {"a": [1, 2.5, None, True, "s"], "t": (np.arange(6, dtype="int32").reshape(2, 3), float("nan")),
             "big": 2**70, "c": np.array([1 + 2j]), "b": np.array([True, False]), "z": np.zeros((0, 3))}
    back = probes.decode(_wire(value))
    assert back["a"] == [1, 2.5, None, True, "s"] and back["big"] == 2**70
    arr, nan = back["t"]
    assert arr.dtype == np.int32 and arr.tolist() == [[0, 1, 2], [3, 4, 5]] and np.isnan(nan)
    assert back["c"].tolist() == [1 + 2j] and back["b"].dtype == bool and back["z"].shape == (0, 3)
    scalar = probes.decode(_wire(np.array(3.0)))  # a 0-d array keeps its shape
    assert scalar.shape == ()


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __array__(self, *a, **k):
        return np.ones(2)


def test_objects_with_methods_do_not_cross():
    for bad in (AlwaysEqual(), np.array([AlwaysEqual()], dtype=object), {(1, lambda: 1): 2}, lambda: 1):
        with pytest.raises(TypeError):
            probes.encode(bad)
    # sandbox side an unencodable object stays there and only a reference crosses
    kept = []
    ref = probes.decode(_wire(AlwaysEqual(), refs=lambda o: kept.append(o) or "k0"))
    assert isinstance(ref, probes.Remote) and ref.name == "k0" and len(kept) == 1
    assert not (ref == 1)


@pytest.mark.parametrize("forged", [
    {"nd": "object", "shape": [1], "b64": "AAAAAAAAAAA="},          # object dtype
    {"nd": "float64", "shape": [2], "b64": "AAAAAAAAAAA="},         # bytes do not match the shape
    {"nd": "float64", "shape": [-1], "b64": ""},
    {"__class__": "os.system", "args": ["id"]},                    # unknown tags
    {"record": "X", "fields": [["__eq__", 1]]},                   # not plain fields
    {"int": "1" * 5000},
    {"float": "1e999999"},
])
def test_forged_messages_are_refused(forged):
    with pytest.raises(probes.ProtocolError):
        probes.decode(forged)


def test_tensors_come_back_as_tensors():
    back = probes.decode(_wire({"x": np.ones(2)}), tensor=lambda a: ("tensor", a))
    assert isinstance(back["x"], np.ndarray)
    msg = {"tensor": "float32", "shape": [], "b64": "AACAPw=="}
    kind, arr = probes.decode(msg, tensor=lambda a: ("tensor", a))
    assert kind == "tensor" and arr.shape == () and float(arr) == 1.0


def test_sandbox_arguments_are_checked():
    with pytest.raises(ValueError, match="memory_mb"):
        sandbox.SandboxLimits(memory_mb=0)
    with pytest.raises(ValueError, match="uid"):
        sandbox.command(["true"], sandbox.SandboxLimits(), uid=0)
    with pytest.raises(ValueError, match="argv"):
        sandbox.command([], sandbox.SandboxLimits())
    cmd, fds = sandbox.command(["true"], sandbox.SandboxLimits(), uid=61000)
    assert not fds and "--unshare-all" in cmd and "--clearenv" in cmd and cmd[-1] == "true"
    root = sandbox._PACKAGE.parent
    sources = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind"]
    assert str(sandbox._PACKAGE) in sources
    for src in sources:  # never the course folder itself, its masters or anything that holds them
        assert not str(root).startswith(src.rstrip("/") + "/") and src != str(root)
        assert not src.startswith(str(root / "solutions"))


def test_sets_and_mappings_with_plain_keys_cross_the_boundary():
    import json

    from course_utils.instructor import probes

    value = {frozenset({0, 1, 2}): 0.75, (1, 2): [1, 2], 3: {"a": frozenset({"x"})}}
    back = probes.decode(json.loads(json.dumps(probes.encode(value))))
    assert back == value and type(next(iter(back))) is frozenset
    for bad in ({"items": [[{"nd": "float64", "shape": [1], "b64": "AAAAAAAA8D8="}, 1]]},   # an array as a key
                {"frozenset": [[1, 2]]}):                                                   # a list in a set
        with pytest.raises(probes.ProtocolError):
            probes.decode(bad)
