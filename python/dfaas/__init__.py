"""DFaaS for Python: the federation simulator as a PettingZoo parallel
environment and a batched vector environment, every heuristic, reference and
learned policy of the project, and ``dfaas compare`` / ``dfaas evaluate``
returning the CLI's JSON documents.

The simulator, the policies and the comparisons run in Rust (``dfaas._core``).
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional

from . import _core
from ._core import (
    ActionError,
    DfaasError,
    Policy,
    PolicyError,
    ScenarioError,
    __version__,
    heuristic_names,
    scenario_path,
    shipped_scenarios,
)
from .pettingzoo_env import ParallelEnv, parallel_env
from .vector_env import VectorEnv
from . import onnx

__all__ = [
    "ActionError",
    "DfaasError",
    "ParallelEnv",
    "Policy",
    "PolicyError",
    "ScenarioError",
    "VectorEnv",
    "__version__",
    "compare",
    "evaluate",
    "heuristic_names",
    "onnx",
    "parallel_env",
    "policy",
    "scenario_path",
    "shipped_scenarios",
]


def policy(spec: str | os.PathLike) -> Policy:
    """A policy for every node: a heuristic (``"slack-proportional"``,
    ``"static:local=0.4"``), a reference (``"oracle"``, ``"stale-oracle"``,
    ``"best-fixed"``) or a learned policy file. ``policy.act(env)`` gives the
    actions of the current slot of a :class:`ParallelEnv` or :class:`VectorEnv`.
    """
    return Policy(os.fspath(spec))


def compare(
    scenario: str | os.PathLike,
    policies: Optional[Iterable[str]] = None,
    models: Iterable[str | os.PathLike] = (),
    episodes: Optional[int] = None,
    seed: Optional[int] = None,
) -> dict[str, Any]:
    """``dfaas compare --json``: ``policies`` (default: every heuristic) and
    the learned files ``models`` beside the scenario's references on the same
    evaluation episodes; learned policies paired against the best other
    policy and each reference."""
    return _core.compare(
        os.fspath(scenario),
        list(policies) if policies is not None else None,
        [os.fspath(m) for m in models],
        episodes,
        seed,
    )


def evaluate(
    model: str | os.PathLike,
    scenario: str | os.PathLike,
    episodes: Optional[int] = None,
    seed: Optional[int] = None,
) -> dict[str, Any]:
    """``dfaas evaluate --json``: a learned file beside every heuristic and
    the scenario's references."""
    return _core.evaluate(os.fspath(model), os.fspath(scenario), episodes, seed)
