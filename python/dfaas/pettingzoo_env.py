"""The simulator behind PettingZoo's parallel API."""

from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
from gymnasium.spaces import Box
from pettingzoo import ParallelEnv as _PettingZooParallelEnv

from . import _core


class ParallelEnv(_PettingZooParallelEnv):
    """A simulated DFaaS federation; every agent is a node.

    Observations are the project's normalised encoding (version 2): float32
    vectors of the same length for every agent, in ``Box(-10, 10)``.
    An agent's action is ``[local, forward to each neighbour..., reject]``
    (``action_layouts`` names the neighbours; the published 3-way even-floor
    scenarios use ``[local, forward, reject]``):

    * ``action="simplex"`` (default): ``Box(0, 1)``; the entries are
      non-negative weights the environment divides by their sum.
    * ``action="logits"``: ``Box(-10, 10)``; the environment takes their
      softmax (any finite value is accepted).

    A wrong length, a non-finite value, a negative weight or all-zero weights
    raise :class:`dfaas.ActionError` naming the agent; the slot is not played.

    Rewards: ``reward="env"`` the scenario model's own (marl-dfaas formulas),
    ``"rejections"`` the marl-dfaas master penalty for every model, or
    ``"team"``: the federation's processed requests of the slot over the
    episode's mean federation input, the same for every agent, whose episode
    sum is ``max_steps`` times the processed ratio every report gives.

    Episodes end by truncation after ``max_steps`` slots (no state is
    terminal). ``infos[agent]`` carries the slot's outcome (counts per slot).
    ``reset(seed=s)`` restarts the episode-seed sequence from ``s``;
    ``reset(options={"episode_seed": s})`` plays exactly episode ``s``, as
    ``dfaas.compare`` numbers them.
    """

    metadata = {"name": "dfaas_v0", "render_modes": ["ansi", "human"], "is_parallelizable": True}

    def __init__(
        self,
        scenario: str | os.PathLike,
        render_mode: Optional[str] = None,
        *,
        max_steps: Optional[int] = None,
        seed: Optional[int] = None,
        reward: str = "env",
        action: str = "simplex",
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise _core.ScenarioError(
                f"render_mode={render_mode!r}: unknown; known: {', '.join(self.metadata['render_modes'])}"
            )
        self._core = _core.Federation(
            os.fspath(scenario), max_steps=max_steps, seed=seed, reward=reward, action=action
        )
        self.render_mode = render_mode
        self.possible_agents: list[str] = list(self._core.agents)
        self.agents: list[str] = []
        self.max_steps: int = self._core.max_steps
        self.action_layouts: dict[str, str] = dict(zip(self.possible_agents, self._core.action_layouts))
        dim = self._core.obs_dim
        low, high = self._core.action_bounds
        self.observation_spaces = {
            a: Box(low=-10.0, high=10.0, shape=(dim,), dtype=np.float32) for a in self.possible_agents
        }
        self.action_spaces = {
            a: Box(low=low, high=high, shape=(n,), dtype=np.float32)
            for a, n in zip(self.possible_agents, self._core.action_lens)
        }
        self.state_space = Box(low=-10.0, high=10.0, shape=(dim * len(self.possible_agents),), dtype=np.float32)
        self._last_obs: dict[str, np.ndarray] = {}

    def observation_space(self, agent: str) -> Box:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> Box:
        return self.action_spaces[agent]

    def reset(self, seed: Optional[int] = None, options: Optional[dict] = None):
        episode_seed = (options or {}).get("episode_seed")
        obs, infos = self._core.reset(seed, episode_seed)
        self.agents = self.possible_agents[:]
        self._last_obs = obs
        if self.render_mode == "human":
            self.render()
        return obs, infos

    def step(self, actions: dict[str, Any]):
        obs, rewards, terminations, truncations, infos = self._core.step(actions)
        if self._core.slot >= self.max_steps:
            self.agents = []
        self._last_obs = obs
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """Every agent's observation of the slot, concatenated in agent order."""
        return np.concatenate([self._last_obs[a] for a in self.possible_agents]).astype(np.float32)

    def render(self) -> Optional[str]:
        """The slot just played as a text table (printed in ``human`` mode)."""
        text = self._core.render()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass

    @property
    def episode_seed(self) -> Optional[int]:
        """Seed of the episode being played."""
        return self._core.episode_seed


def parallel_env(scenario: str | os.PathLike, render_mode: Optional[str] = None, **overrides: Any) -> ParallelEnv:
    """A :class:`ParallelEnv` for ``scenario`` (a shipped name such as
    ``"marl-master-5"`` or a scenario TOML file). Overrides: ``max_steps``,
    ``seed`` (the first episode-seed sequence), ``reward``, ``action``."""
    return ParallelEnv(scenario, render_mode, **overrides)
