"""The PettingZoo parallel environment: PettingZoo's own API and seed tests,
spaces, seeding, rewards and the slot outcome in infos."""

import warnings

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

import dfaas

API_SCENARIOS = ["marl-master-5", "marl-paper-5", "dfaas-cloudnet21"]


@pytest.mark.parametrize("scenario", API_SCENARIOS)
def test_parallel_api_test_passes_without_warnings(scenario):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel_api_test(dfaas.parallel_env(scenario), num_cycles=1000)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("scenario", API_SCENARIOS)
def test_parallel_seed_test_passes(scenario):
    parallel_seed_test(lambda: dfaas.parallel_env(scenario))


@pytest.mark.parametrize("scenario", dfaas.shipped_scenarios())
def test_every_shipped_scenario_plays_a_slot_inside_its_spaces(scenario):
    env = dfaas.parallel_env(scenario)
    obs, infos = env.reset(seed=3)
    assert set(obs) == set(env.possible_agents) == set(infos)
    for a in env.agents:
        assert env.observation_space(a) is env.observation_space(a)
        assert env.action_space(a) is env.action_space(a)
        assert obs[a].dtype == np.float32
        assert env.observation_space(a).contains(obs[a]), (a, obs[a])
        n = env.action_space(a).shape[0]
        layout = env.action_layouts[a]
        assert layout.startswith("[local, ") and layout.endswith(", reject]")
        if "evenly" not in layout:
            assert layout.count(",") + 1 == n
    obs, rew, term, trunc, infos = env.step({a: env.action_space(a).sample() for a in env.agents})
    for a in env.possible_agents:
        assert env.observation_space(a).contains(obs[a])
        assert term[a] is False
        info = infos[a]
        assert info["slot"] == 0
        rejected = info["rejected"] + info["local_rejects"] + sum(info["forward_rejects"]) + info["forward_lost"]
        assert info["local"] + sum(info["forwarded"]) + info["rejected"] == info["input"]
        assert rejected <= info["input"]
    assert env.state().shape == env.state_space.shape


def test_reset_seed_restarts_the_sequence_and_episode_seed_plays_one_episode():
    env = dfaas.parallel_env("marl-master-5")
    env.reset(seed=11)
    first = env.episode_seed
    env.reset()
    second = env.episode_seed
    assert first != second
    env.reset(seed=11)
    assert env.episode_seed == first
    env.reset()
    assert env.episode_seed == second
    obs, _ = env.reset(options={"episode_seed": 1234})
    assert env.episode_seed == 1234
    other = dfaas.parallel_env("marl-master-5")
    obs2, _ = other.reset(options={"episode_seed": 1234})
    for a in env.agents:
        np.testing.assert_array_equal(obs[a], obs2[a])


def test_episode_is_truncated_at_max_steps_and_then_refused():
    env = dfaas.parallel_env("capacity-5", max_steps=4)
    env.reset(seed=0)
    for t in range(4):
        assert env.agents
        _, _, term, trunc, _ = env.step({a: env.action_space(a).sample() for a in env.agents})
        assert all(v is (t == 3) for v in trunc.values())
        assert not any(term.values())
    assert env.agents == []
    with pytest.raises(dfaas.DfaasError, match="ended after 4 slots"):
        env.step({a: np.ones(env.action_space(a).shape) for a in env.possible_agents})


def test_team_reward_sums_to_max_steps_times_the_processed_ratio():
    env = dfaas.parallel_env("marl-master-5", reward="team")
    env.reset(seed=5)
    total, processed, arrived = 0.0, 0, 0
    pol = dfaas.policy("slack-proportional")
    while env.agents:
        _, rew, _, _, infos = env.step(pol.act(env))
        assert len(set(rew.values())) == 1
        total += rew["node_0"]
        processed += sum(i["processed"] for i in infos.values())
        arrived += sum(i["input"] for i in infos.values())
    assert total == pytest.approx(env.max_steps * processed / arrived, rel=1e-9)


def test_env_reward_is_the_models_own_and_logits_are_softmaxed():
    env = dfaas.parallel_env("marl-master-5")
    logits = dfaas.parallel_env("marl-master-5", action="logits")
    env.reset(seed=9)
    logits.reset(seed=9)
    w = {a: np.arange(1, env.action_space(a).shape[0] + 1, dtype=np.float64) for a in env.agents}
    obs1, r1, _, _, i1 = env.step({a: np.exp(v) for a, v in w.items()})
    obs2, r2, _, _, i2 = logits.step(w)
    assert r1 == r2
    assert i1 == i2
    assert all(i1[a]["env_reward"] == r1[a] for a in r1)


def test_render_shows_the_slot():
    env = dfaas.parallel_env("capacity-5", render_mode="ansi")
    env.reset(seed=1)
    _, _, _, _, infos = env.step({a: env.action_space(a).sample() for a in env.agents})
    text = env.render()
    assert "capacity-5 slot 1/" in text
    first = env.possible_agents[0]
    line = next(l for l in text.splitlines() if l.startswith(first))
    assert int(line.split()[1]) == infos[first]["input"]


def test_several_functions_per_node_pass_the_api_and_seed_tests(root):
    """Agents of a multi-function scenario are node-function pairs."""
    path = str(root / "experiments/scenarios/functions/dfaas-image-text.toml")
    env = dfaas.parallel_env(path)
    assert env.possible_agents == [
        "node_1/image", "node_1/text", "node_2/image", "node_2/text", "node_3/image", "node_3/text",
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel_api_test(dfaas.parallel_env(path), num_cycles=200)
    assert [str(w.message) for w in caught] == []
    parallel_seed_test(lambda: dfaas.parallel_env(path))
    obs, _ = env.reset(seed=5)
    # node_1/image forwards only to the image agents of node_2 and node_3.
    assert env.action_layouts["node_1/image"] == "[local, fwd:node_2/image, fwd:node_3/image, reject]"
