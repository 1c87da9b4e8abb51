"""The scenarios compiled into the module are exactly the shipped ones."""

import dfaas


def test_shipped_names_match_the_experiments_folder(root):
    files = sorted(p.stem for p in (root / "experiments" / "scenarios").glob("*.toml"))
    assert dfaas.shipped_scenarios() == files


def test_shipped_copies_are_identical_and_traces_resolve(root):
    for name in dfaas.shipped_scenarios():
        path = dfaas.scenario_path(name)
        assert open(path).read() == (root / "experiments" / "scenarios" / f"{name}.toml").read_text()
    # trace-5 reads ../traces/edge-day-5.csv beside the written copy.
    env = dfaas.parallel_env("trace-5")
    env.reset(seed=0)


def test_the_stubs_name_everything_the_module_exports(root):
    import ast

    stub = ast.parse((root / "python" / "dfaas" / "_core.pyi").read_text())
    names = {n.name for n in stub.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    names |= {t.id for n in stub.body if isinstance(n, ast.AnnAssign) for t in [n.target]}
    exported = {n for n in dir(dfaas._core) if not n.startswith("_")} | {"__version__"}
    assert exported == names
