"""Independent PPO with one shared network, in the style of CleanRL's
``ppo_continuous_action.py``, over :class:`dfaas.VectorEnv`.

Every node of every copy of the federation is one sample of the same
actor-critic (parameter sharing, as in IPPO/MAPPO papers): the batch of a
rollout is ``[steps, copies, agents]`` flattened. The actor outputs logits of
the action ``[local, forward to each neighbour..., reject]``; a diagonal
Gaussian around them explores, and the environment (``action="logits"``)
takes their softmax. The reward is ``"team"``: the federation's processed
requests of the slot over the episode's mean input, whose episode mean is the
processed ratio every DFaaS report gives, so the policy is trained on the
metric it is judged by.

The discount defaults to 0: the serverless and capacity models carry no
state from one slot to the next that a decision changes, so each slot is a
contextual bandit (set ``--gamma`` for models with queues). Truncated
episodes bootstrap from the value of ``final_obs``.

After training, the deterministic actor (the Gaussian's mean) is exported to
ONNX with the DFaaS metadata (``dfaas.onnx.annotate(output="logits")``) and
evaluated by ``dfaas.evaluate`` on held-out episodes against every heuristic
and the oracle, exactly as ``dfaas evaluate --model policy.onnx`` does.

    python examples/python/cleanrl_ippo.py --scenario marl-master-5 --out out/examples/cleanrl

Needs torch, onnx and the dfaas package (``scripts/examples.sh`` installs
them into ``.venv-examples`` and runs this file).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Normal

import dfaas


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", default="marl-master-5", help="shipped scenario name or TOML file")
    p.add_argument("--out", default="out/examples/cleanrl", help="folder for the curve, the ONNX policy and the evaluation")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-agent-steps", type=int, default=20_000_000, help="node decisions to train on")
    p.add_argument("--num-envs", type=int, default=32, help="federation copies stepped together")
    p.add_argument("--num-steps", type=int, default=64, help="slots per rollout")
    p.add_argument("--learning-rate", type=float, default=3e-4)
    p.add_argument("--anneal-lr", type=int, default=1)
    p.add_argument("--gamma", type=float, default=0.0)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=8)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.0)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--init-log-std", type=float, default=0.0)
    p.add_argument("--eval-episodes", type=int, default=50)
    p.add_argument("--eval-seed", type=int, default=900_000, help="first held-out evaluation episode")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    return p.parse_args()


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias)
    return layer


class Agent(nn.Module):
    """CleanRL's continuous-action actor-critic: two 64-unit tanh layers each."""

    def __init__(self, obs_dim: int, act_dim: int, init_log_std: float) -> None:
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor_mean = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, act_dim), std=0.01),
        )
        self.actor_logstd = nn.Parameter(torch.full((1, act_dim), init_log_std))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x, mask, action=None):
        mean = self.actor_mean(x)
        dist = Normal(mean, self.actor_logstd.expand_as(mean).exp())
        if action is None:
            action = dist.sample()
        # Padded entries of low-degree nodes are ignored by the env: no log-prob, no entropy.
        logprob = (dist.log_prob(action) * mask).sum(-1)
        entropy = (dist.entropy() * mask).sum(-1)
        return action, logprob, entropy, self.critic(x).squeeze(-1)


class Deterministic(nn.Module):
    """What is deployed: observation [1, D] -> logits [1, K] (the Gaussian's mean)."""

    def __init__(self, agent: Agent) -> None:
        super().__init__()
        self.actor_mean = agent.actor_mean

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.actor_mean(obs)


def export_onnx(agent: Agent, obs_dim: int, scenario: str, path: str) -> None:
    net = Deterministic(agent).eval()
    example = torch.zeros(1, obs_dim)
    try:  # the TorchScript exporter: no extra dependency
        torch.onnx.export(net, (example,), path, input_names=["obs"], output_names=["logits"], opset_version=13, dynamo=False)
    except TypeError:  # a torch without the `dynamo` switch
        torch.onnx.export(net, (example,), path, input_names=["obs"], output_names=["logits"], opset_version=13)
    dfaas.onnx.annotate(path, scenario, output="logits")


def main() -> None:
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)

    env = dfaas.VectorEnv(args.scenario, args.num_envs, seed=args.seed, reward="team", action="logits")
    E, A = env.num_envs, env.num_agents
    D = env.single_observation_space.shape[-1]
    K = env.single_action_space.shape[-1]
    mask = torch.tensor(env.action_mask, dtype=torch.float32)  # [A, K]
    agent = Agent(D, K, args.init_log_std)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    T = args.num_steps
    batch = T * E * A
    minibatch = batch // args.num_minibatches
    iterations = max(1, args.total_agent_steps // batch)
    obs_buf = torch.zeros((T, E, A, D))
    act_buf = torch.zeros((T, E, A, K))
    logp_buf = torch.zeros((T, E, A))
    rew_buf = torch.zeros((T, E, A))
    done_buf = torch.zeros((T, E, A))
    val_buf = torch.zeros((T, E, A))

    curve_path = os.path.join(args.out, "curve.csv")
    curve = open(curve_path, "w", newline="")
    writer = csv.writer(curve)
    writer.writerow(["iteration", "agent_steps", "wall_s", "episodes", "processed_ratio", "value_loss", "policy_loss", "approx_kl", "log_std"])

    obs_np, _ = env.reset(seed=args.seed)
    next_obs = torch.from_numpy(obs_np)
    trained_on = set(env.episode_seeds)
    start = time.time()
    for iteration in range(1, iterations + 1):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = (1.0 - (iteration - 1.0) / iterations) * args.learning_rate
        ratios = []
        for t in range(T):
            obs_buf[t] = next_obs
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs, mask)
            act_buf[t], logp_buf[t], val_buf[t] = action, logprob, value
            obs_np, reward, term, trunc, infos = env.step(action.numpy())
            reward = torch.from_numpy(reward)
            trunc_t = torch.from_numpy(trunc & ~term)
            if trunc_t.any() and args.gamma > 0:
                # Time-limit truncation is not termination: bootstrap from the final observation.
                with torch.no_grad():
                    final_v = agent.get_value(torch.from_numpy(infos["final_obs"]))
                reward = reward + args.gamma * final_v * trunc_t
            rew_buf[t] = reward
            done_buf[t] = torch.from_numpy(term | trunc).float()
            if "episode_processed_ratio" in infos:
                ratios.extend(np.asarray(infos["episode_processed_ratio"]).tolist())
                trained_on.update(env.episode_seeds)
            next_obs = torch.from_numpy(obs_np)

        with torch.no_grad():
            next_value = agent.get_value(next_obs)
            advantages = torch.zeros_like(rew_buf)
            lastgaelam = torch.zeros((E, A))
            for t in reversed(range(T)):
                nextvalues = next_value if t == T - 1 else val_buf[t + 1]
                nonterminal = 1.0 - done_buf[t]
                delta = rew_buf[t] + args.gamma * nextvalues * nonterminal - val_buf[t]
                lastgaelam = delta + args.gamma * args.gae_lambda * nonterminal * lastgaelam
                advantages[t] = lastgaelam
            returns = advantages + val_buf

        b_obs = obs_buf.reshape(-1, D)
        b_act = act_buf.reshape(-1, K)
        b_logp = logp_buf.reshape(-1)
        b_adv = advantages.reshape(-1)
        b_ret = returns.reshape(-1)
        b_mask = mask.expand(T, E, A, K).reshape(-1, K)
        idx = np.arange(batch)
        for _ in range(args.update_epochs):
            np.random.shuffle(idx)
            for s in range(0, batch, minibatch):
                mb = idx[s : s + minibatch]
                _, newlogp, entropy, newvalue = agent.get_action_and_value(b_obs[mb], b_mask[mb], b_act[mb])
                logratio = newlogp - b_logp[mb]
                ratio = logratio.exp()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - logratio).mean()
                adv = b_adv[mb]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                pg_loss = torch.max(-adv * ratio, -adv * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)).mean()
                v_loss = 0.5 * ((newvalue - b_ret[mb]) ** 2).mean()
                loss = pg_loss - args.ent_coef * entropy.mean() + v_loss * args.vf_coef
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        steps = iteration * batch
        mean_ratio = float(np.mean(ratios)) if ratios else float("nan")
        writer.writerow([iteration, steps, round(time.time() - start, 2), len(ratios), mean_ratio,
                         v_loss.item(), pg_loss.item(), approx_kl.item(), agent.actor_logstd.mean().item()])
        curve.flush()
        if ratios:
            print(f"iteration {iteration}/{iterations}  agent-steps {steps}  episode processed ratio {mean_ratio:.4f}  "
                  f"{steps / (time.time() - start):.0f} agent-steps/s", flush=True)
    curve.close()

    onnx_path = os.path.join(args.out, "policy.onnx")
    export_onnx(agent, D, args.scenario, onnx_path)
    # Held-out episodes (never the training seeds), every heuristic and the oracle, paired.
    report = dfaas.evaluate(onnx_path, args.scenario, episodes=args.eval_episodes, seed=args.eval_seed)
    overlap = trained_on.intersection(report["seeds"])
    assert not overlap, f"evaluation episodes {sorted(overlap)} were trained on"
    report["training_episodes"] = len(trained_on)
    with open(os.path.join(args.out, "evaluation.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {curve_path}, {onnx_path} and evaluation.json")


if __name__ == "__main__":
    main()
