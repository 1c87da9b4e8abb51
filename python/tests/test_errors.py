"""Bad input from Python raises a dfaas exception naming the problem; the
slot is not played and nothing panics."""

import numpy as np
import pytest

import dfaas


@pytest.fixture
def env():
    e = dfaas.parallel_env("marl-master-5")
    e.reset(seed=0)
    return e


def ok_actions(env):
    return {a: np.ones(env.action_space(a).shape, dtype=np.float32) for a in env.agents}


def test_wrong_action_length_names_the_agent_and_the_layout(env):
    actions = ok_actions(env)
    actions["node_4"] = np.ones(5)
    with pytest.raises(dfaas.ActionError, match=r"agent node_4: action has 5 entries, expected 3: \[local, fwd:node_1, reject\]"):
        env.step(actions)
    assert env._core.slot == 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_action_names_the_agent_and_entry(env, bad):
    actions = ok_actions(env)
    actions["node_2"] = np.array([1.0, bad, 1.0, 1.0])
    with pytest.raises(dfaas.ActionError, match=r"agent node_2: action entry 1 is not finite"):
        env.step(actions)
    assert env._core.slot == 0


def test_negative_and_all_zero_weights_are_refused(env):
    actions = ok_actions(env)
    actions["node_1"] = np.array([1.0, -0.5, 0.0, 0.0])
    with pytest.raises(dfaas.ActionError, match=r"agent node_1: action entry 1 is negative"):
        env.step(actions)
    actions["node_1"] = np.zeros(4)
    with pytest.raises(dfaas.ActionError, match=r"agent node_1: action entries are all zero"):
        env.step(actions)


def test_missing_unknown_and_non_numeric_actions(env):
    actions = ok_actions(env)
    del actions["node_3"]
    with pytest.raises(dfaas.ActionError, match="no action for agent node_3"):
        env.step(actions)
    actions = ok_actions(env)
    actions["node_9"] = np.ones(3)
    with pytest.raises(dfaas.ActionError, match="unknown agents: node_9"):
        env.step(actions)
    actions = ok_actions(env)
    actions["node_0"] = "local"
    with pytest.raises(dfaas.ActionError, match="agent node_0"):
        env.step(actions)
    # After every refusal the environment still plays the slot.
    env.step(ok_actions(env))
    assert env._core.slot == 1


def test_step_before_reset():
    env = dfaas.parallel_env("marl-master-2")
    with pytest.raises(dfaas.DfaasError, match="before reset"):
        env.step({})


def test_vector_env_shape_and_values_name_env_and_agent():
    v = dfaas.VectorEnv("marl-master-5", 3, seed=0)
    v.reset()
    k = v.action_mask.shape[1]
    with pytest.raises(dfaas.ActionError, match=r"shape \[3, 5, 4\], expected \[num_envs=3, agents=5, action_dim=5\]"):
        v.step(np.ones((3, 5, 4)))
    a = np.ones((3, 5, k), dtype=np.float32)
    a[2, 4, 0] = np.nan
    with pytest.raises(dfaas.ActionError, match=r"env 2: agent node_4: action entry 0 is not finite"):
        v.step(a)
    # Padded entries are ignored, whatever they hold.
    a = np.ones((3, 5, k), dtype=np.float32)
    a[:, ~v.action_mask] = np.nan
    v.step(a)
    assert all(s is not None for s in v.episode_seeds)


def test_bad_scenario_and_overrides_are_named(tmp_path):
    with pytest.raises(dfaas.ScenarioError, match=r'scenario "nope": no such file, and not a shipped scenario'):
        dfaas.parallel_env("nope")
    with pytest.raises(dfaas.ScenarioError, match='reward = "selfish": unknown; known: env, rejections, team'):
        dfaas.parallel_env("marl-master-2", reward="selfish")
    with pytest.raises(dfaas.ScenarioError, match='action = "dirichlet": unknown'):
        dfaas.parallel_env("marl-master-2", action="dirichlet")
    with pytest.raises(dfaas.ScenarioError, match="max_steps = 0"):
        dfaas.parallel_env("marl-master-2", max_steps=0)
    with pytest.raises(dfaas.ScenarioError, match="num_envs = 0"):
        dfaas.VectorEnv("marl-master-2", 0)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[episode]\nmax_steps = "many"\n')
    with pytest.raises(dfaas.ScenarioError, match=str(bad)):
        dfaas.parallel_env(bad)
    with pytest.raises(OverflowError):
        dfaas.parallel_env("marl-master-2", seed=-1)


def test_bad_policies_are_named(tmp_path):
    with pytest.raises(dfaas.PolicyError, match="greedy"):
        dfaas.policy("greedy")
    with pytest.raises(dfaas.PolicyError, match="global-node is a whole-episode reference"):
        dfaas.policy("global-node")
    junk = tmp_path / "junk.dfpolicy"
    junk.write_bytes(b"not a policy")
    with pytest.raises(dfaas.PolicyError, match="junk.dfpolicy"):
        dfaas.policy(junk)
    with pytest.raises(dfaas.PolicyError, match="not a dfaas ParallelEnv or VectorEnv"):
        dfaas.policy("all-local").act(object())
