"""ONNX policies built with the onnx package (no torch): Rust's decisions
equal NumPy's forward pass; models without our metadata, or whose metadata
does not fit, are refused with what differs."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import dfaas


def tiny_mlp(d, k, hidden=16, seed=0, softmax=True):
    """obs [1, d] -> Gemm -> Relu -> Gemm (-> Softmax): an ONNX model and its weights."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 0.5, (hidden, d)).astype(np.float32)
    b1 = rng.normal(0, 0.1, hidden).astype(np.float32)
    w2 = rng.normal(0, 0.5, (k, hidden)).astype(np.float32)
    b2 = rng.normal(0, 0.1, k).astype(np.float32)
    nodes = [
        helper.make_node("Gemm", ["obs", "w1", "b1"], ["z1"], transB=1),
        helper.make_node("Relu", ["z1"], ["h1"]),
        helper.make_node("Gemm", ["h1", "w2", "b2"], ["z2" if softmax else "action"], transB=1),
    ]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["z2"], ["action"], axis=-1))
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("obs", TensorProto.FLOAT, [1, d])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, k])],
        [numpy_helper.from_array(a, n) for a, n in [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model, (w1, b1, w2, b2)


def forward(x, weights, softmax):
    w1, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    z = w2 @ np.maximum(w1 @ x.astype(np.float64) + b1, 0) + b2
    return z if not softmax else np.exp(z - z.max()) / np.exp(z - z.max()).sum()


@pytest.mark.parametrize("output", ["fractions", "logits"])
def test_rust_decisions_equal_numpys_forward_pass(tmp_path, output):
    scenario = "marl-master-5"
    v = dfaas.VectorEnv(scenario, 1, seed=3)
    d, k = v.single_observation_space.shape[1], v.action_mask.shape[1]
    softmax = output == "fractions"
    model, weights = tiny_mlp(d, k, softmax=softmax)
    path = tmp_path / "tiny.onnx"
    dfaas.onnx.annotate(model, scenario, output=output, path=path)
    policy = dfaas.policy(path)
    env = dfaas.parallel_env(scenario)
    obs, _ = env.reset(seed=5)
    worst = 0.0
    for _ in range(40):
        actions = policy.act(env)
        for i, a in enumerate(env.possible_agents):
            y = forward(obs[a], weights, softmax)
            real = y[v.action_mask[i]]
            if output == "logits":
                want = np.exp(real - real.max()) / np.exp(real - real.max()).sum()
            else:
                want = real / real.sum()
            worst = max(worst, float(np.abs(actions[a] - want).max()))
        obs, *_ = env.step(actions)
    assert worst < 1e-5, worst


def test_models_without_or_with_wrong_metadata_are_refused(tmp_path):
    v = dfaas.VectorEnv("marl-master-5", 1)
    d, k = v.single_observation_space.shape[1], v.action_mask.shape[1]
    model, _ = tiny_mlp(d, k)
    bare = tmp_path / "bare.onnx"
    onnx.save(model, bare)
    with pytest.raises(dfaas.PolicyError, match="no `dfaas` metadata property"):
        dfaas.policy(bare)
    # Written for a scenario of another shape: marl-master-2 (1 neighbour).
    other = tmp_path / "other.onnx"
    dfaas.onnx.annotate(model, "marl-master-2", output="fractions", path=other)
    with pytest.raises(dfaas.PolicyError, match=r"input `obs` has 32 values; the metadata's encoding \(normalized v2, max_degree 1\) has 16"):
        dfaas.policy(other)
    # Metadata that fits the graph but not the scenario a policy runs on.
    small, _ = tiny_mlp(16, 3)
    two = tmp_path / "two.onnx"
    dfaas.onnx.annotate(small, "marl-master-2", output="fractions", path=two)
    env = dfaas.parallel_env("marl-master-5")
    env.reset(seed=0)
    with pytest.raises(dfaas.PolicyError, match="at most 1"):
        dfaas.policy(two).act(env)
    with pytest.raises(dfaas.PolicyError, match='output = "probabilities": unknown'):
        dfaas.onnx.metadata("marl-master-5", output="probabilities")


def test_annotate_rewrites_a_file_in_place(tmp_path):
    v = dfaas.VectorEnv("capacity-5", 1)
    model, _ = tiny_mlp(v.single_observation_space.shape[1], v.action_mask.shape[1])
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    dfaas.onnx.annotate(path, "capacity-5", output="fractions")
    dfaas.onnx.annotate(path, "capacity-5", output="fractions")
    props = [p.key for p in onnx.load(path).metadata_props]
    assert props == ["dfaas"]
    doc = dfaas.compare("capacity-5", policies=["all-local"], models=[path], episodes=2)
    assert any(r["policy"] == "learned:m" for r in doc["results"])
