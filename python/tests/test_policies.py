"""Policies from Python act as `dfaas compare` plays them; compare and
evaluate return the CLI's documents."""

import json
import subprocess

import numpy as np
import pytest

import dfaas


def play(env, policy, episode_seed):
    env.reset(options={"episode_seed": episode_seed})
    processed = arrived = 0
    while env.agents:
        _, _, _, _, infos = env.step(policy.act(env))
        processed += sum(i["processed"] for i in infos.values())
        arrived += sum(i["input"] for i in infos.values())
    return processed / arrived


@pytest.mark.parametrize(
    "scenario,spec",
    [
        ("marl-master-5", "slack-proportional"),
        ("marl-master-5", "random"),
        ("capacity-5", "oracle"),
        ("capacity-5", "stale-oracle"),
        ("marl-paper-5", "node-margin"),
    ],
)
def test_policy_act_reproduces_compare_episode_by_episode(scenario, spec):
    doc = dfaas.compare(scenario, policies=[spec], episodes=2)
    result = next(r for r in doc["results"] if r["policy"] == spec)
    env = dfaas.parallel_env(scenario)
    pol = dfaas.policy(spec)
    ratios = [play(env, pol, s) for s in doc["seeds"]]
    assert ratios == pytest.approx(result["episode_processed_ratios"], abs=1e-12)


def test_learned_file_acts_and_evaluate_pairs_it(root):
    model = root / "models" / "marl-master-5.dfpolicy"
    doc = dfaas.evaluate(model, "marl-master-5", episodes=2)
    learned = next(r for r in doc["results"] if r["policy"].startswith("learned:"))
    env = dfaas.parallel_env("marl-master-5")
    ratios = [play(env, dfaas.policy(model), s) for s in doc["seeds"]]
    assert ratios == pytest.approx(learned["episode_processed_ratios"], abs=1e-12)
    assert {p["other"] for p in doc["paired"]} >= {"oracle", "stale-oracle"}
    assert {r["policy"] for r in doc["results"]} >= set(dfaas.heuristic_names())


def test_compare_document_is_the_clis(root):
    cli = root / "target" / "debug" / "dfaas"
    if not cli.exists():
        pytest.skip("the dfaas binary is built by cargo test; run the suite through scripts/test.sh")
    scenario = root / "experiments" / "scenarios" / "marl-master-2.toml"
    out = subprocess.run(
        [cli, "compare", "--scenario", scenario, "--policies", "all-local,slack-proportional", "--episodes", "3", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    from_cli = json.loads(out)
    from_py = dfaas.compare(scenario, policies=["all-local", "slack-proportional"], episodes=3)
    for doc in (from_cli, from_py):
        for r in doc["results"]:
            r.pop("agent_steps_per_second")
    assert from_py == from_cli
    assert (from_py["kind"], from_py["schema_version"]) == ("compare", 1)


def test_vector_policy_actions_match_the_parallel_env_copy_by_copy():
    v = dfaas.VectorEnv("capacity-5", 3, seed=4)
    obs, _ = v.reset()
    pol = dfaas.policy("slack-proportional")
    single = dfaas.parallel_env("capacity-5")
    single_pol = dfaas.policy("slack-proportional")
    single_obs, _ = single.reset(options={"episode_seed": v.episode_seeds[1]})
    for _ in range(5):
        acts = pol.act(v)
        assert acts.shape == (3, 5, v.action_mask.shape[1])
        assert np.all(acts[:, ~v.action_mask] == 0)
        one = single_pol.act(single)
        for i, a in enumerate(v.agents):
            np.testing.assert_array_equal(obs[1, i], single_obs[a])
            real = acts[1, i][v.action_mask[i]]
            np.testing.assert_allclose(real, one[a], rtol=1e-6)
        obs, rew, _, _, _ = v.step(acts)
        single_obs, srew, _, _, _ = single.step(one)
        np.testing.assert_allclose(rew[1], [srew[a] for a in v.agents], rtol=1e-6)
