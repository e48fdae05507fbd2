"""What crosses the sandbox boundary: plain data only, encoded as JSON and checked strictly.

The sandboxed kernel (:mod:`course_utils.instructor._sandbox_kernel`) and the grader exchange one JSON
object per line. Values are built from ``None``, ``bool``, ``int``, ``float``, ``str``, lists,
tuples, dicts with string keys and NumPy arrays of a numeric or boolean dtype (raw bytes in
base64). A tensor travels as its array and becomes a tensor again on the other side; a
dataclass result (e.g. a score record) arrives as a read-only :class:`types.SimpleNamespace` of
plain fields. Nothing is unpickled and nothing that arrives has methods of its own: a submission
cannot hand the grader an object whose ``==`` always agrees. Something that cannot be encoded
(a Keras model the student built, a generator…) stays in the sandbox and the grader gets a
:class:`Remote` reference that it can only pass back.
"""
from __future__ import annotations

import base64
import dataclasses
import math
import types

import numpy as np

__all__ = ["encode", "decode", "Remote", "ProtocolError", "MAX_MESSAGE"]

#: Largest message accepted from the sandbox (bytes of JSON).
MAX_MESSAGE = 256 * 2**20
_MAX_DEPTH = 20
_MAX_ITEMS = 1_000_000
_MAX_STR = 1_000_000
_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128"}


class ProtocolError(ValueError):
    """The other side sent something that is not plain data of the allowed kinds."""


class Remote:
    """A reference to a value that stays in the sandbox (a student's function or model)."""
    __slots__ = ("name", "callable")

    def __init__(self, name: str, is_callable: bool):
        self.name, self.callable = name, is_callable

    def __repr__(self) -> str:
        return f"<the submission's {self.name!r}>"


def _is_tensor(x) -> bool:
    mod = type(x).__module__ or ""
    return mod.startswith(("tensorflow", "keras", "jax", "torch")) and hasattr(x, "shape") and hasattr(x, "dtype")


def encode(x, *, refs=None, known=None, depth: int = 0):
    """Turn ``x`` into JSON-ready data; raise :class:`TypeError` for anything else.

    Parameters
    ----------
    x : object
        The value to send.
    refs : dict, optional
        Sandbox side: maps objects that cannot be encoded to a name under which they are kept;
        such an object is sent as a reference instead of failing.
    known : callable, optional
        Grader side: returns the reference name of an object the other side already holds (or can
        rebuild), else ``None``; it is asked first.
    depth : int
        Nesting depth so far (values nested deeper than a limit are refused).

    Returns
    -------
    object
        JSON-ready data.
    """
    if depth > _MAX_DEPTH:
        raise TypeError("value nested too deeply")
    if known is not None and (name := known(x)) is not None:
        return {"ref": name}
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, np.bool_):
        return {"int": str(int(x))}
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else {"float": repr(v)}
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, Remote):
        return {"ref": x.name}
    if isinstance(x, np.ndarray) or _is_tensor(x):
        tag = "tensor" if not isinstance(x, np.ndarray) else "nd"
        arr = np.asarray(x) if isinstance(x, np.ndarray) else np.asarray(getattr(x, "numpy", lambda: x)())
        if arr.dtype.name not in _DTYPES:
            raise TypeError(f"arrays of dtype {arr.dtype} cannot be sent (numeric or boolean only)")
        arr = np.asarray(arr, order="C")
        return {tag: arr.dtype.name, "shape": list(arr.shape), "b64": base64.b64encode(arr.tobytes()).decode()}
    if isinstance(x, (list, tuple)):
        items = [encode(v, refs=refs, known=known, depth=depth + 1) for v in x]
        return items if type(x) is list else {"tuple": items}
    if type(x) is dict and all(isinstance(k, str) for k in x):
        return {"dict": [[k, encode(v, refs=refs, known=known, depth=depth + 1)] for k, v in x.items()]}
    if type(x) is dict:                         # other keys: numbers, tuples, frozensets of those
        return {"items": [[encode(k, depth=depth + 1), encode(v, refs=refs, known=known, depth=depth + 1)]
                          for k, v in x.items()]}
    if type(x) in (set, frozenset):
        return {type(x).__name__: [encode(v, depth=depth + 1) for v in x]}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        fields = {f.name: encode(getattr(x, f.name), refs=refs, known=known, depth=depth + 1)
                  for f in dataclasses.fields(x)}
        return {"record": type(x).__name__, "fields": [[k, v] for k, v in fields.items()]}
    if refs is not None:
        return {"ref": refs(x)}
    raise TypeError(f"a {type(x).__name__} cannot cross the sandbox boundary (plain data only)")


def decode(obj, *, tensor=None, resolve=None, depth: int = 0, budget: list | None = None):
    """Rebuild a value from :func:`encode`'s output, checking every node strictly.

    Parameters
    ----------
    obj : object
        Data as :func:`encode` produced it (parsed JSON).
    tensor : callable, optional
        Turns an array back into a tensor (``keras.ops.convert_to_tensor``).
    resolve : callable, optional
        Turns a reference name into the object it names (sandbox side); grader side it is a
        :class:`Remote`.
    depth : int
        Nesting depth so far.
    budget : list, optional
        A one-item counter of the nodes decoded so far (values with too many nodes are refused).

    Returns
    -------
    object
    """
    budget = [0] if budget is None else budget
    budget[0] += 1
    if depth > _MAX_DEPTH or budget[0] > _MAX_ITEMS:
        raise ProtocolError("value too large or nested too deeply")
    if obj is None or type(obj) in (bool, float):
        return obj
    if type(obj) is str:
        if len(obj) > _MAX_STR:
            raise ProtocolError("string too long")
        return obj
    if type(obj) is list:
        return [decode(v, tensor=tensor, resolve=resolve, depth=depth + 1, budget=budget) for v in obj]
    if type(obj) is not dict or len(obj) not in (1, 2, 3):
        raise ProtocolError(f"unexpected value of type {type(obj).__name__}")
    keys = set(obj)
    if keys == {"int"} and type(obj["int"]) is str and len(obj["int"]) < 400:
        return int(obj["int"])
    if keys == {"float"} and obj["float"] in ("nan", "inf", "-inf"):
        return float(obj["float"])
    if keys == {"ref"} and type(obj["ref"]) is str:
        return resolve(obj["ref"]) if resolve else Remote(obj["ref"], True)
    if keys == {"tuple"} and type(obj["tuple"]) is list:
        return tuple(decode(v, tensor=tensor, resolve=resolve, depth=depth + 1, budget=budget) for v in obj["tuple"])
    if keys == {"dict"} and type(obj["dict"]) is list:
        return {_key(k): decode(v, tensor=tensor, resolve=resolve, depth=depth + 1, budget=budget)
                for k, v in _pairs(obj["dict"])}
    if keys == {"items"} and type(obj["items"]) is list:
        out = {}
        for k, v in _pairs(obj["items"]):
            key = decode(k, depth=depth + 1, budget=budget)
            if not _hashable_plain(key):
                raise ProtocolError("mapping keys must be numbers, strings, tuples or frozensets")
            out[key] = decode(v, tensor=tensor, resolve=resolve, depth=depth + 1, budget=budget)
        return out
    if keys in ({"set"}, {"frozenset"}) and type(obj[next(iter(keys))]) is list:
        items = [decode(v, depth=depth + 1, budget=budget) for v in obj[next(iter(keys))]]
        if not all(_hashable_plain(v) for v in items):
            raise ProtocolError("set items must be numbers, strings, tuples or frozensets")
        return set(items) if keys == {"set"} else frozenset(items)
    if keys == {"record", "fields"} and type(obj["record"]) is str and type(obj["fields"]) is list:
        fields = {_key(k): decode(v, tensor=tensor, resolve=resolve, depth=depth + 1, budget=budget)
                  for k, v in _pairs(obj["fields"])}
        if not all(k.isidentifier() for k in fields):
            raise ProtocolError("record fields must be identifiers")
        return types.SimpleNamespace(**fields)
    tag = "nd" if "nd" in keys else "tensor" if "tensor" in keys else None
    if tag and keys == {tag, "shape", "b64"}:
        arr = _array(obj[tag], obj["shape"], obj["b64"])
        return tensor(arr) if tag == "tensor" and tensor else arr
    raise ProtocolError(f"unexpected object with keys {sorted(keys)[:5]}")


def _hashable_plain(v) -> bool:
    if v is None or type(v) in (bool, int, float, str):
        return True
    return type(v) in (tuple, frozenset) and all(_hashable_plain(x) for x in v)


def _pairs(items):
    for pair in items:
        if type(pair) is not list or len(pair) != 2:
            raise ProtocolError("malformed mapping")
        yield pair


def _key(k):
    if type(k) is not str or len(k) > 200:
        raise ProtocolError("mapping keys must be short strings")
    return k


def _array(dtype, shape, b64) -> np.ndarray:
    if type(dtype) is not str or dtype not in _DTYPES:
        raise ProtocolError(f"array dtype {dtype!r} is not allowed")
    if type(shape) is not list or len(shape) > 32 or not all(type(n) is int and 0 <= n for n in shape):
        raise ProtocolError("malformed array shape")
    if type(b64) is not str:
        raise ProtocolError("malformed array data")
    raw = base64.b64decode(b64, validate=True)
    dt = np.dtype(dtype)
    if len(raw) != dt.itemsize * math.prod(shape):
        raise ProtocolError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
