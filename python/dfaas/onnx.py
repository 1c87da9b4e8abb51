"""ONNX policies: annotate a network exported from any framework (PyTorch's
``torch.onnx.export``, ...) with the DFaaS metadata, so that ``dfaas
evaluate``, ``dfaas cluster``, ``dfaas agent`` and :func:`dfaas.policy` run
it (in Rust, with tract).

The network takes one encoded observation (``[1, D]`` or ``[D]`` float32,
what :class:`dfaas.ParallelEnv` gives an agent) and returns the action of the
padded layout ``[local, fwd_1 ... fwd_max_degree, reject]`` (``[local,
forward, reject]`` for the 3-way scenarios) as its first output:

* ``output="logits"``: any real numbers; the node takes their softmax over its
  real entries (what ``action="logits"`` environments take);
* ``output="fractions"``: non-negative weights, normalised over the real entries;
* ``output="concentration"``: Dirichlet concentrations, the node takes their
  mean (as ``dfaas train``'s policies).

A node of smaller degree than ``max_degree`` uses its first forwards and
ignores the rest, as the vector environment's ``action_mask`` says.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

from . import _core


def metadata(
    scenario: str | os.PathLike,
    output: str = "logits",
    obs_mean: Optional[Sequence[float]] = None,
    obs_std: Optional[Sequence[float]] = None,
) -> dict[str, str]:
    """The ``metadata_props`` entries an ONNX policy for ``scenario`` carries."""
    key, value = _core.onnx_metadata(
        os.fspath(scenario),
        output,
        None if obs_mean is None else [float(x) for x in obs_mean],
        None if obs_std is None else [float(x) for x in obs_std],
    )
    return {key: value}


def annotate(
    model,
    scenario: str | os.PathLike,
    output: str = "logits",
    obs_mean: Optional[Sequence[float]] = None,
    obs_std: Optional[Sequence[float]] = None,
    path: Optional[str | os.PathLike] = None,
):
    """Adds the DFaaS metadata to ``model`` (an ``onnx.ModelProto`` or the
    path of an ONNX file) and saves it to ``path`` (default: back to the file
    it was read from). Returns the annotated ``ModelProto``. Needs the
    ``onnx`` package."""
    import onnx

    source = None
    if not isinstance(model, onnx.ModelProto):
        source = os.fspath(model)
        model = onnx.load(source)
    for key, value in metadata(scenario, output, obs_mean, obs_std).items():
        kept = [p for p in model.metadata_props if p.key != key]
        del model.metadata_props[:]
        model.metadata_props.extend(kept)
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    target = path if path is not None else source
    if target is not None:
        onnx.save(model, os.fspath(target))
    return model
