"""Widgets in a static deck: each widget output replaced by what it showed (lecture 04's explorer).

A reveal.js deck has no kernel, so a slider cannot move; :func:`flatten_widgets` keeps the figure an
``interact`` cell last drew and names each control with its value. Used by
:mod:`course_utils.instructor.slides`.
"""
from __future__ import annotations

import copy

import nbformat

__all__ = ["flatten_widgets", "WIDGET_VIEW", "WIDGET_STATE"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def flatten_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose widget outputs are replaced by what they showed, and no widget state.

    An Output widget contributes its stored outputs (an ``interact`` figure), a control (slider,
    dropdown, ...) a line ``description: value``; containers are walked in order.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.

    Returns
    -------
    nbformat.NotebookNode
    """
    nb = copy.deepcopy(nb)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
                continue
            found = _merge_controls(_widget_outputs(view.get("model_id", ""), state, set()))
            outputs.extend(found or [nbformat.v4.new_output(
                "display_data", data={"text/plain": "(interactive widget: run the notebook in JupyterLab)"})])
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return nb


def _widget_outputs(model_id: str, state: dict, seen: set) -> list:
    model = state.get(model_id)
    if model is None or model_id in seen:
        return []
    seen.add(model_id)
    name, st = model.get("model_name", ""), model.get("state", {})
    if name == "OutputModel":
        return [nbformat.from_dict(o) for o in st.get("outputs", [])]
    if "children" in st:
        found = []
        for child in st["children"]:
            found += _widget_outputs(str(child).removeprefix("IPY_MODEL_"), state, seen)
        return found
    label = st.get("description") or name.removesuffix("Model")
    labels, index = st.get("_options_labels"), st.get("index")
    if isinstance(labels, list) and isinstance(index, int) and 0 <= index < len(labels):  # Dropdown & co
        return [("control", f"{label} = {labels[index]}")]
    if "value" in st and name != "LabelModel":
        return [("control", f"{label} = {st['value']}")]
    return []


def _merge_controls(found: list) -> list:
    """One stdout line ``A = 3.0 · K = 3`` per run of controls, in place of the controls."""
    merged = []
    for item in found:
        if isinstance(item, tuple):
            if merged and isinstance(merged[-1], list):
                merged[-1].append(item[1])
            else:
                merged.append([item[1]])
        else:
            merged.append(item)
    return [nbformat.v4.new_output("stream", name="stdout", text=" · ".join(m) + "\n") if isinstance(m, list)
            else m for m in merged]
