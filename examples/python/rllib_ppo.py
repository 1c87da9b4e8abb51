"""Multi-agent PPO with one shared policy on Ray RLlib's new API stack
(RLModule, Learner, EnvRunner), over the DFaaS PettingZoo environment.

Every node maps to the policy ``"shared"`` (parameter sharing). The
environment is ``dfaas.parallel_env(scenario, reward="team",
action="logits")`` as an RLlib ``MultiAgentEnv`` with one padded action
space for every node (see ``make_env``): the team
reward's episode sum is ``max_steps`` times the processed ratio every DFaaS
report gives, so the learning curve below is in the unit the evaluation
reports. RLlib's default continuous policy is a diagonal Gaussian; actions
are clipped to the logits' box and the environment takes their softmax.

After training, the shared RLModule's deterministic action (the Gaussian's
mean) is exported to ONNX with the DFaaS metadata and evaluated by
``dfaas.evaluate`` on held-out episodes against every heuristic and the
oracle, as ``dfaas evaluate --model policy.onnx`` does.

    python examples/python/rllib_ppo.py --scenario marl-master-5 --out out/examples/rllib

Needs ray[rllib], torch, onnx and the dfaas package (``scripts/examples.sh``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time

import torch

import dfaas


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", default="marl-master-5")
    p.add_argument("--out", default="out/examples/rllib")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--iterations", type=int, default=60)
    p.add_argument("--batch", type=int, default=8640, help="env steps per iteration (6 episodes of 288 slots x 5 nodes)")
    p.add_argument("--env-runners", type=int, default=1)
    p.add_argument("--gamma", type=float, default=0.0, help="0: no slot-to-slot state in the serverless model")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--eval-episodes", type=int, default=50)
    p.add_argument("--eval-seed", type=int, default=900_000, help="first held-out evaluation episode")
    return p.parse_args()


def make_env(config: dict):
    """The PettingZoo environment as an RLlib ``MultiAgentEnv`` whose agents
    all share one action space: nodes of lower degree get the widest layout
    ``[local, fwd_1 ... fwd_max_degree, reject]`` and ignore the forwards they
    do not have, as ``dfaas.VectorEnv``'s ``action_mask`` and the ONNX policy
    in Rust do. (RLlib's ``ParallelPettingZooEnv`` passes the per-node spaces
    through, and one RLModule cannot serve agents of different spaces.)"""
    import gymnasium as gym
    import numpy as np
    from ray.rllib.env.multi_agent_env import MultiAgentEnv

    class SharedSpaces(MultiAgentEnv):
        def __init__(self) -> None:
            super().__init__()
            self.env = dfaas.parallel_env(config["scenario"], reward="team", action="logits", seed=config.get("seed"))
            self.possible_agents = list(self.env.possible_agents)
            self.agents = list(self.possible_agents)
            self.widths = {a: self.env.action_space(a).shape[0] for a in self.possible_agents}
            low, high = self.env.action_space(self.possible_agents[0]).low[0], self.env.action_space(self.possible_agents[0]).high[0]
            box = gym.spaces.Box(low, high, (max(self.widths.values()),), np.float32)
            self.observation_spaces = {a: self.env.observation_space(a) for a in self.possible_agents}
            self.action_spaces = {a: box for a in self.possible_agents}

        def reset(self, *, seed=None, options=None):
            obs, infos = self.env.reset(seed=seed, options=options)
            self.agents = list(self.env.agents)
            return obs, infos

        def step(self, actions):
            own = {a: np.concatenate([x[: self.widths[a] - 1], x[-1:]]) for a, x in actions.items()}
            obs, rewards, terms, truncs, infos = self.env.step(own)
            terms["__all__"] = all(terms.values())
            truncs["__all__"] = all(truncs.values())
            self.agents = list(self.env.agents)
            return obs, rewards, terms, truncs, infos

    return SharedSpaces()


def build(args: argparse.Namespace):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.tune.registry import register_env

    register_env("dfaas", make_env)
    config = (
        PPOConfig()
        .environment("dfaas", env_config={"scenario": args.scenario, "seed": args.seed}, normalize_actions=False, clip_actions=True)
        .framework("torch")
        .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=1)
        .learners(num_learners=0)
        .multi_agent(policies={"shared"}, policy_mapping_fn=lambda agent_id, episode, **kw: "shared")
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64, 64], fcnet_activation="tanh", vf_share_layers=False))
        .training(
            lr=args.lr,
            gamma=args.gamma,
            lambda_=0.95,
            train_batch_size_per_learner=args.batch,
            minibatch_size=args.batch // 8,
            num_epochs=4,
            clip_param=0.2,
            vf_clip_param=10.0,
            entropy_coeff=0.0,
        )
        .debugging(seed=args.seed)
    )
    return config.build_algo()


class Deterministic(torch.nn.Module):
    """Observation [1, D] -> the Gaussian's mean [1, K] (logits)."""

    def __init__(self, module, act_dim: int) -> None:
        super().__init__()
        self.module = module
        self.act_dim = act_dim

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.module.forward_inference({"obs": obs})["action_dist_inputs"][:, : self.act_dim]


def main() -> None:
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    import ray

    ray.init(num_cpus=max(2, args.env_runners + 1), include_dashboard=False, log_to_driver=False)
    probe = dfaas.parallel_env(args.scenario)
    agents, steps_per_episode = len(probe.possible_agents), probe.max_steps
    obs_dim = probe.observation_space(probe.possible_agents[0]).shape[0]
    act_dim = max(probe.action_space(a).shape[0] for a in probe.possible_agents)

    algo = build(args)
    curve_path = os.path.join(args.out, "curve.csv")
    start = time.time()
    with open(curve_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["iteration", "env_steps", "wall_s", "episode_return_mean", "processed_ratio"])
        for it in range(1, args.iterations + 1):
            r = algo.train()
            runners = r.get("env_runners", {})
            ret = runners.get("episode_return_mean", float("nan"))
            # Team reward: every agent gets the same slot reward, summed over agents and slots.
            ratio = ret / (agents * steps_per_episode)
            steps = runners.get("num_env_steps_sampled_lifetime", it * args.batch)
            w.writerow([it, steps, round(time.time() - start, 1), ret, ratio])
            f.flush()
            print(f"iteration {it}/{args.iterations}  env-steps {steps}  episode processed ratio {ratio:.4f}", flush=True)

    module = algo.get_module("shared")
    module.eval()
    onnx_path = os.path.join(args.out, "policy.onnx")
    net = Deterministic(module, act_dim).eval()
    example = torch.zeros(1, obs_dim)
    torch.onnx.export(net, (example,), onnx_path, input_names=["obs"], output_names=["logits"], opset_version=13, dynamo=False)
    dfaas.onnx.annotate(onnx_path, args.scenario, output="logits")
    algo.stop()
    ray.shutdown()

    report = dfaas.evaluate(onnx_path, args.scenario, episodes=args.eval_episodes, seed=args.eval_seed)
    with open(os.path.join(args.out, "evaluation.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {curve_path}, {onnx_path} and evaluation.json")


if __name__ == "__main__":
    main()
