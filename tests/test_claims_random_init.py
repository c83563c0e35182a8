"""No trained-network check PASSes on a network that has learned nothing.

Trains nothing: every trained-network check is given random-init weights (the training
layer's own initialisation, zero steps) as "the trained network", and another random
initialisation as its baseline; the diagonal-net checks get a run of one step. None may PASS.
The same holds for ``grokcheck verify --model`` on a random-weight model file.
"""

from __future__ import annotations

import json

import pytest

from grokcheck.checks import Verdict, VerifyContext, all_checks, run_check
from grokcheck.theory import group


def _init_artifacts(G):
    import torch

    from grokcheck.checks import MLPConfig, OptimizerConfig, QuadraticConfig, TrainConfig, group_task, train

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        arts = {}
        for seed, suffix in ((0, ""), (1, ".init")):
            arts["trained.quadratic" + suffix] = train(
                TrainConfig(model=QuadraticConfig(width=128, scale=0.125), optimizer=OptimizerConfig("adam", lr=1e-3),
                            steps=0, n_seeds=1, seed=seed, eval_every=1, dtype="float64", plot=False),
                group_task(G, n_seeds=1, seed=seed), progress=False)
            arts["trained.mlp" + suffix] = train(
                TrainConfig(model=MLPConfig(widths=(256,)), optimizer=OptimizerConfig("adamw", lr=3e-3, weight_decay=2.0),
                            steps=0, n_seeds=3, seed=seed, eval_every=50, plot=False),
                group_task(G, train_fraction=0.8, n_seeds=3, seed=seed), progress=False)
        from grokcheck.checks import sparse_sign_data, train_diagonal_nets

        data = sparse_sign_data(n=32, d=100, k=3, n_test=200, seeds=[0, 1, 2])
        arts["lyu.diag"] = train_diagonal_nets(data, alphas=[1e2, 1e3, 1e4], lambdas=[0.1] * 3, lrs=0.05, steps=1,
                                               eval_every=1, snapshot_fractions=(0.5, 1.5, 2.0))
        ntk = sparse_sign_data(n=16, d=40, k=3, n_test=200, seeds=[0])
        arts["lyu.ntk"] = train_diagonal_nets(ntk, alphas=[1e1, 1e2, 1e3], lambdas=[0.1] * 3, lrs=0.02, steps=1,
                                              eval_every=1, snapshot_fractions=(0.5,), reference=False)
        from grokcheck.checks.experiments._matrix_completion import matrix_completion_data, train_matrix_completion

        mc = matrix_completion_data(d=10, fraction=0.4, seeds=[0])
        arts["lyu.mc"] = train_matrix_completion(mc, alphas=[3.0, 3.0, 6.0], lambdas=[0.004, 0.002, 0.004], lrs=0.05,
                                                 steps=1, eval_every=1, snapshot_fractions=(0.5, 2.0, 3.0))
        arts["lyu.wd"] = train_matrix_completion(mc, alphas=[3.0] * 4, lambdas=[0.04, 0.07, 0.09, 0.16], lrs=0.05,
                                                 steps=1, eval_every=1, snapshot_fractions=())
        arts["lyu.nowd"] = train_matrix_completion(mc, alphas=[3.0, 3.0], lambdas=[0.004, 0.0], lrs=0.05, steps=1,
                                                   eval_every=1, snapshot_fractions=())
    finally:
        torch.set_num_threads(old)
    return arts


@pytest.mark.parametrize("name", ["C3xC4", "F21"])
def test_no_trained_network_check_passes_on_random_init(name):
    G = group(name)
    ctx = VerifyContext(G, budget="full", artifacts=_init_artifacts(G))
    checks = [c for c in all_checks() if c.layer == "training"]
    assert {c.id for c in checks} >= {"trained.quadratic-stage1-accuracy", "trained.quadratic-single-irrep",
                                      "trained.quadratic-alignment", "trained.quadratic-majority-vote",
                                      "trained.mlp-groks", "trained.mlp-single-irrep", "lyu.diag-late-kkt"}
    for check in checks:
        res = run_check(check, ctx)
        if check.id == "trained.quadratic-majority-vote" and not G.is_abelian:
            assert res.verdict == Verdict.NOT_APPLICABLE, res.reason  # He et al. state it for Abelian groups
            continue
        assert res.verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE), (name, check.id, res.verdict, res.reason,
                                                                    res.details.get("traceback"))
        if check.uses_model:
            assert res.baseline is not None, check.id  # the report shows both numbers


def test_verify_model_on_random_weights_passes_nothing(tmp_path):
    """Acceptance: ``grokcheck verify S4 --model FILE --format onelayer-mlp`` on random-init weights."""
    import torch

    from grokcheck.checks.cli import main

    n, e, h = 24, 16, 32
    g = torch.Generator().manual_seed(0)
    state = {"W_x": torch.randn(n, e, generator=g) / e**0.5, "W_y": torch.randn(n, e, generator=g) / e**0.5,
             "W": torch.randn(2 * e, h, generator=g) / (2 * e) ** 0.5, "W_U": torch.randn(h, n, generator=g) / h**0.5}
    torch.save(state, tmp_path / "random.pt")
    out = tmp_path / "v"
    rc = main(["verify", "S4", "--model", str(tmp_path / "random.pt"), "--format", "onelayer-mlp", "--out", str(out),
               "--quiet", "--strict"])
    assert rc == 0  # nothing unexpected: no FAIL inside a claim's regime, no ERROR
    report = json.loads((out / "report.json").read_text())
    on_model = [c for c in report["checks"] if c.get("on_model")]
    assert {c["id"] for c in on_model} >= {"trained.mlp-groks", "trained.mlp-single-irrep"}
    assert all(c["verdict"] != "PASS" for c in report["checks"])
    single = next(c for c in on_model if c["id"] == "trained.mlp-single-irrep")
    assert single["verdict"] == "INCONCLUSIVE" and "not grokked" in single["reason"]
    assert "|G| ≤ 64" not in json.dumps(report)  # the budget hypothesis does not apply to a given model
    assert report["model"] == "random.pt"
