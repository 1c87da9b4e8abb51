"""Agent-steps per second of the Python environments, random actions.

    python python/bench/throughput.py [--scenario marl-master-5] [--seconds 5]
        [--marl-dfaas DIR]

Measures, in one run: the vector environment at several batch sizes, the
PettingZoo dict API, and, with ``--marl-dfaas`` pointing at a checkout of
unimib-datAI/marl-dfaas (master), its Python ``DFaaS`` environment on its
``five_agents`` network with the same random actions. Build the module in
release first (``maturin develop --release``): a debug build is ~10x slower.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# NumPy's OpenBLAS threads spin after use and take a core from the
# environment's threads on a small machine; nothing here needs BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import dfaas  # noqa: E402


REPEATS = 3


def timed(step, seconds: float, warm: int = 288) -> tuple[int, float]:
    """Calls ``step`` ``warm`` times (one episode: both simulators memoise
    their queueing model's solutions), then times ``REPEATS`` windows of
    ``seconds`` each; returns (calls, elapsed) of the median window (this
    machine's speed varies from one second to the next)."""
    for _ in range(warm):
        step()
    windows = []
    for _ in range(REPEATS):
        n, t0 = 0, time.perf_counter()
        while True:
            for _ in range(64):
                step()
            n += 64
            dt = time.perf_counter() - t0
            if dt >= seconds:
                break
        windows.append((n / dt, n, dt))
    windows.sort()
    _, n, dt = windows[len(windows) // 2]
    return n, dt


def vector(scenario: str, num_envs: int, seconds: float, threads: int) -> float:
    v = dfaas.VectorEnv(scenario, num_envs, seed=0, num_threads=threads)
    v.reset()
    rng = np.random.default_rng(0)
    shape = (num_envs, v.num_agents, v.action_mask.shape[1])

    def step():
        v.step(rng.random(shape, dtype=np.float32))

    n, dt = timed(step, seconds)
    return n * num_envs * v.num_agents / dt


def pettingzoo(scenario: str, seconds: float) -> float:
    env = dfaas.parallel_env(scenario)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    agents = env.possible_agents
    lens = [env.action_space(a).shape[0] for a in agents]
    width = max(lens)

    def step():
        if not env.agents:
            env.reset()
        x = rng.random((len(agents), width))
        env.step({a: x[i, :n] for i, (a, n) in enumerate(zip(agents, lens))})

    n, dt = timed(step, seconds)
    return n * len(agents) / dt


def marl_dfaas(path: str, seconds: float) -> float:
    sys.path.insert(0, path)
    from dfaas_env_config import DFaaSConfig  # their module, from their checkout

    # configs/env/five_agents.yaml of marl-dfaas master.
    five_agents = {
        "network": ["node_0 node_1 node_2", "node_3 node_2 node_0", "node_1 node_4"],
        "input_rate_method": "synthetic-sinusoidal",
    }
    env = DFaaSConfig.from_dict(five_agents).build()
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    agents = list(env.agents)
    lens = [env.action_space[a].shape[0] for a in agents]
    width = max(lens)
    done = [False]

    def step():
        if done[0]:
            env.reset()
        x = rng.random((len(agents), width))
        x = {a: x[i, :n] / x[i, :n].sum() for i, (a, n) in enumerate(zip(agents, lens))}
        _, _, term, _, _ = env.step(x)
        done[0] = term["__all__"]

    n, dt = timed(step, seconds)
    return n * len(agents) / dt


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", default="marl-master-5")
    p.add_argument("--seconds", type=float, default=3.0, help="length of each of the 3 timed windows")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--marl-dfaas", default=None)
    a = p.parse_args()
    rows = {}
    for e in (1, 64, 256, 1024):
        rows[f"VectorEnv E={e}"] = vector(a.scenario, e, a.seconds, a.threads)
    rows["ParallelEnv (PettingZoo dict API)"] = pettingzoo(a.scenario, a.seconds)
    if a.marl_dfaas:
        rows["marl-dfaas DFaaS (five_agents)"] = marl_dfaas(a.marl_dfaas, a.seconds)
    width = max(len(k) for k in rows)
    print(f"scenario {a.scenario}, random actions, median of {REPEATS} windows of {a.seconds:g} s per row")
    for k, v in rows.items():
        print(f"{k:<{width}}  {v:>12,.0f} agent-steps/s")
    if a.marl_dfaas:
        base = rows["marl-dfaas DFaaS (five_agents)"]
        print(f"ParallelEnv / marl-dfaas: {rows['ParallelEnv (PettingZoo dict API)'] / base:.1f}x")
        best = max((k for k in rows if k.startswith("VectorEnv")), key=rows.get)
        print(f"{best} / marl-dfaas: {rows[best] / base:.0f}x")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
