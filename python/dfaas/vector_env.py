"""Many copies of a federation stepped together, on NumPy arrays."""

from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
from gymnasium.spaces import Box

from . import _core

try:  # Gymnasium >= 1.1
    from gymnasium.vector import AutoresetMode

    _SAME_STEP: Any = AutoresetMode.SAME_STEP
except ImportError:  # pragma: no cover
    _SAME_STEP = "SameStep"


class VectorEnv:
    """``num_envs`` copies of a scenario's federation, stepped in Rust with
    the GIL released and the copies spread over ``num_threads`` threads
    (0: every core). No Python loop runs per copy or per agent.

    Shapes (E copies, A agents, D observation length, K the widest action):

    * ``reset(seed)`` -> observations ``[E, A, D]`` float32, infos
    * ``step(actions [E, A, K])`` -> observations, rewards ``[E, A]`` float32,
      terminations and truncations ``[E, A]`` bool, infos: per-slot counts
      ``input``, ``processed``, ``forwarded``, ``rejected`` (on purpose),
      ``lost`` (rejected by a platform or lost forwarding), each ``[E, A]``.

    Actions are padded to ``[local, fwd_1 ... fwd_maxdeg, reject]``;
    ``action_mask`` ``[A, K]`` says which entries are real for each agent
    (padded ones are ignored). Action formats and rewards are those of
    :class:`dfaas.ParallelEnv`.

    Autoreset is same-step (``metadata["autoreset_mode"]``): on the step an
    episode ends (every copy at once, episodes have the same length),
    truncations are True, the returned observation starts the next episode,
    and infos carry ``final_obs`` ``[E, A, D]``, ``episode_processed_ratio``
    ``[E]`` and the new ``episode_seed``s. Copy ``e`` draws its episodes from a
    seed sequence of its own, derived from ``seed`` and ``e``; results do not
    depend on the thread count.
    """

    metadata = {"autoreset_mode": _SAME_STEP}

    def __init__(
        self,
        scenario: str | os.PathLike,
        num_envs: int,
        seed: Optional[int] = None,
        *,
        max_steps: Optional[int] = None,
        reward: str = "env",
        action: str = "simplex",
        num_threads: int = 0,
    ) -> None:
        self._core = _core.VectorEnv(
            os.fspath(scenario),
            num_envs,
            seed=seed,
            max_steps=max_steps,
            reward=reward,
            action=action,
            num_threads=num_threads,
        )
        self.num_envs: int = self._core.num_envs
        self.agents: list[str] = list(self._core.agents)
        self.num_agents: int = len(self.agents)
        self.max_steps: int = self._core.max_steps
        self.action_mask: np.ndarray = self._core.action_mask
        a, d, k = self.num_agents, self._core.obs_dim, self._core.action_dim
        low, high = self._core.action_bounds
        self.single_observation_space = Box(-10.0, 10.0, shape=(a, d), dtype=np.float32)
        self.single_action_space = Box(low, high, shape=(a, k), dtype=np.float32)
        self.observation_space = Box(-10.0, 10.0, shape=(self.num_envs, a, d), dtype=np.float32)
        self.action_space = Box(low, high, shape=(self.num_envs, a, k), dtype=np.float32)
        # The hot path is the Rust method itself.
        self.step = self._core.step

    def reset(self, seed: Optional[int] = None, options: Optional[dict] = None):
        """Starts an episode in every copy; ``seed`` restarts their seed sequences."""
        return self._core.reset(seed)

    @property
    def episode_seeds(self) -> list[Optional[int]]:
        """The episode each copy is playing."""
        return self._core.episode_seeds

    def close(self) -> None:
        pass
