"""The vector environment: shapes, masks, seeding, thread independence and
same-step autoreset."""

import numpy as np
import pytest

import dfaas


def random_actions(v, rng):
    return rng.random((v.num_envs, v.num_agents, v.action_mask.shape[1]), dtype=np.float32) + 1e-3


def test_shapes_dtypes_and_mask():
    v = dfaas.VectorEnv("marl-master-5", 4, seed=0)
    obs, infos = v.reset()
    assert obs.shape == (4, 5, v.single_observation_space.shape[1]) and obs.dtype == np.float32
    assert v.observation_space.contains(obs)
    assert v.action_mask.dtype == bool and v.action_mask.shape == (5, 5)
    # node_4 has one neighbour: [local, fwd, pad, pad, reject].
    assert v.action_mask[4].tolist() == [True, True, False, False, True]
    obs, rew, term, trunc, infos = v.step(random_actions(v, np.random.default_rng(0)))
    assert rew.shape == term.shape == trunc.shape == (4, 5)
    assert rew.dtype == np.float32 and term.dtype == bool and not trunc.any()
    for k in ("input", "processed", "forwarded", "rejected", "lost"):
        assert infos[k].shape == (4, 5)
    assert np.all(infos["processed"] >= 0)


def test_results_do_not_depend_on_threads_and_copies_differ():
    runs = []
    for threads in (1, 2):
        v = dfaas.VectorEnv("marl-master-5", 6, seed=3, num_threads=threads)
        v.reset()
        rng = np.random.default_rng(1)
        out = [v.step(random_actions(v, rng))[1] for _ in range(20)]
        runs.append(np.stack(out))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0][:, 0], runs[0][:, 1])


def test_same_step_autoreset_gives_final_obs_and_a_new_episode():
    v = dfaas.VectorEnv("capacity-5", 2, seed=8, max_steps=3)
    v.reset()
    first = v.episode_seeds
    rng = np.random.default_rng(2)
    for t in range(3):
        obs, _, _, trunc, infos = v.step(random_actions(v, rng))
        assert trunc.all() == (t == 2)
    assert infos["final_obs"].shape == obs.shape
    assert not np.array_equal(infos["final_obs"], obs)
    assert infos["episode_seed"] == v.episode_seeds and v.episode_seeds != first
    ratio = infos["episode_processed_ratio"]
    assert ratio.shape == (2,) and np.all((0 <= ratio) & (ratio <= 1))
    # The observation returned starts the new episode: slot 0 of a fresh env.
    single = dfaas.parallel_env("capacity-5", max_steps=3)
    start, _ = single.reset(options={"episode_seed": v.episode_seeds[0]})
    for i, a in enumerate(v.agents):
        np.testing.assert_array_equal(obs[0, i], start[a])


def test_reset_seed_is_reproducible():
    a = dfaas.VectorEnv("marl-paper-5", 3, seed=1)
    b = dfaas.VectorEnv("marl-paper-5", 3)
    oa, _ = a.reset()
    ob, _ = b.reset(seed=1)
    np.testing.assert_array_equal(oa, ob)
    assert a.episode_seeds == b.episode_seeds
