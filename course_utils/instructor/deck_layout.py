"""Fit a lecture onto 1280×720 slides: the copy of a notebook that the slides exporter sees.

The lecture notebooks are left as they are; :func:`lay_out` returns a copy in which

* tooling comments (``# NBVAL_CHECK_OUTPUT``, ``# noqa``, ``# pragma: ...``, ``# type: ignore``,
  ``# fmt: off``, ``# pylint: ...``) are gone from the code shown on a slide;
* every cell's height on the slide is estimated (source lines, text-output lines, a PNG's pixel
  size as the template's CSS shows it), and a cell that would push its slide past
  :data:`SLIDE_BUDGET` starts a new sub-slide; a code cell too tall even alone shows its code on one
  sub-slide and its outputs on the next.

What the estimate misses, the template's auto-fit script scales down (``slides/template/``).
"""
from __future__ import annotations

import base64
import copy
import re
import struct

import nbformat

# Slide geometry, in the deck's own pixels: must agree with slides/template/course_reveal (CSS + config).
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
SLIDE_BUDGET = 640            # what content may fill, leaving room for margins and the controls
CODE_LINE, CODE_CHARS = 22, 118      # px per line of code (16 px font), characters per wrapped line
OUT_LINE, OUT_CHARS = 20, 125        # text outputs (15 px font)
TEXT_LINE, TEXT_CHARS = 32, 95       # Markdown body (22 px font)
HEADING = {1: 80, 2: 62, 3: 48}      # px a heading of level 1..3 takes
FIGURE_MAX_HEIGHT, FIGURE_MAX_WIDTH = 520, 1200   # the CSS caps of a figure on a slide
CELL_GAP = 14
DISPLAY_MATH = 56

_TOOL_LINE = re.compile(r"^\s*#\s*(NBVAL_\w+|noqa\b.*|pragma:.*|type:\s*ignore.*|fmt:\s*(on|off|skip)|"
                        r"pylint:.*|isort:.*|nbqa.*)\s*$", re.I)
_TOOL_TAIL = re.compile(r"\s+#\s*(noqa\b[^#]*|type:\s*ignore[^#]*|pragma:[^#]*|pylint:[^#]*|NBVAL_\w+)\s*$", re.I)
_HEADING = re.compile(r"^(#{1,6})\s")


def strip_tool_comments(source: str) -> str:
    """``source`` without the lines or line ends that only speak to test and lint tools.

    Parameters
    ----------
    source : str
        A code cell's source.

    Returns
    -------
    str
        The source as a slide should show it (leading blank lines left by a removed marker dropped).
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    kept = [_TOOL_TAIL.sub("", line) for line in source.split("\n") if not _TOOL_LINE.match(line)]
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def png_size(b64: str) -> tuple[int, int]:
    """Width and height in pixels of a base64-encoded PNG (read from its header).

    Parameters
    ----------
    b64 : str
        The PNG as stored in a notebook output.

    Returns
    -------
    (int, int)
    """
    head = base64.b64decode("".join(b64.split())[:64])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG: the data does not start with the PNG signature")
    return struct.unpack(">II", head[16:24])


def _wrapped(text: str, chars: int) -> int:
    return sum(max(1, -(-len(line) // chars)) for line in text.rstrip("\n").split("\n")) if text.strip() else 0


def output_height(output: dict) -> int:
    """Estimated height in slide pixels of one output as the template shows it.

    Parameters
    ----------
    output : dict
        A code cell's output.

    Returns
    -------
    int
    """
    kind = output.get("output_type")
    if kind == "stream":
        return _wrapped("".join(output.get("text", "")), OUT_CHARS) * OUT_LINE + 8
    if kind == "error":
        return min(len(output.get("traceback", [])), 12) * OUT_LINE * 2
    data = output.get("data", {})
    if "image/png" in data:
        width, height = png_size(data["image/png"])
        meta = output.get("metadata", {}).get("image/png", {})
        width, height = meta.get("width", width), meta.get("height", height)
        shrink = min(1.0, FIGURE_MAX_WIDTH / width, FIGURE_MAX_HEIGHT / height)
        return int(height * shrink) + 8
    if "text/html" in data:
        return _wrapped("".join(data["text/html"]), OUT_CHARS) * OUT_LINE // 2 + 20
    if "text/latex" in data or "text/markdown" in data:
        return DISPLAY_MATH
    if "text/plain" in data:
        return _wrapped("".join(data["text/plain"]), OUT_CHARS) * OUT_LINE + 8
    return 0


def markdown_height(source: str) -> int:
    """Estimated height in slide pixels of a Markdown cell.

    Parameters
    ----------
    source : str
        The cell's Markdown.

    Returns
    -------
    int
    """
    height, in_math = 0, False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped.startswith("$$") or stripped.endswith("$$"):
            single = stripped.startswith("$$") and stripped.endswith("$$") and len(stripped) > 4
            if not in_math:
                height += DISPLAY_MATH
            in_math = in_math if single else not in_math
            continue
        if in_math:
            continue
        if not stripped:
            height += TEXT_LINE // 3
            continue
        heading = _HEADING.match(line)
        height += HEADING.get(len(heading.group(1)), TEXT_LINE) if heading else \
            _wrapped(line, TEXT_CHARS) * TEXT_LINE
    return height


def cell_height(cell: dict) -> int:
    """Estimated height in slide pixels of a cell (code and outputs, or rendered Markdown).

    Parameters
    ----------
    cell : dict
        A notebook cell.

    Returns
    -------
    int
    """
    if cell.get("cell_type") == "markdown":
        return markdown_height("".join(cell.get("source", ""))) + CELL_GAP
    if cell.get("cell_type") != "code":
        return 0
    code = _wrapped("".join(cell.get("source", "")), CODE_CHARS) * CODE_LINE + 16
    return code + sum(output_height(o) for o in cell.get("outputs", [])) + CELL_GAP


def _kind(cell) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def _set_kind(cell, kind: str) -> None:
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind


def lay_out(nb: dict, budget: int = SLIDE_BUDGET) -> dict:
    """A copy of ``nb`` laid out for 1280×720 slides (see the module's description).

    Parameters
    ----------
    nb : dict
        A notebook whose cells carry slideshow metadata (the input is not changed).
    budget : int
        Height in slide pixels that a slide's content may take.

    Returns
    -------
    NotebookNode
        The copy: tool comments stripped, overfull slides continued on new sub-slides.
    """
    if budget < 100:
        raise ValueError(f"budget={budget} px leaves no room for a slide's content; use about {SLIDE_BUDGET}")
    out = copy.deepcopy(nb)
    cells, used = [], 0
    for cell in out.get("cells", []):
        kind = _kind(cell)
        if cell.get("cell_type") == "code":
            cell["source"] = strip_tool_comments("".join(cell.get("source", "")))
        if kind in ("skip", "notes"):
            cells.append(cell)
            continue
        height = cell_height(cell)
        if kind in ("slide", "subslide"):
            used = 0
        elif used > 0 and used + height > budget:
            _set_kind(cell, "subslide")
            used = 0
        if cell.get("cell_type") == "code" and height > budget and cell.get("outputs"):
            outputs = cell["outputs"]
            code_only = copy.deepcopy(cell)
            code_only["outputs"] = []
            cell = copy.deepcopy(cell)
            cell["source"], cell["outputs"] = "", outputs
            cell.setdefault("metadata", {}).setdefault("transient", {})["remove_source"] = True
            _set_kind(cell, "subslide")
            cells.append(code_only)
            height = cell_height(cell)
            used = 0
        cells.append(cell)
        used += height
    out["cells"] = cells
    return nbformat.from_dict(out)
