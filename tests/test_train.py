"""Training runs: bit-identical resume after a kill, NaN in one seed, metrics and files,
callbacks, Stage I on the spheres, batched = per-seed, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from grokcheck.checks.training._data import digits_task, group_task, sparse_parity_task
from grokcheck.checks.training._models import Li2Config, MLPConfig, QuadraticConfig, TransformerConfig
from grokcheck.checks.training._optimizers import OptimizerConfig
from grokcheck.checks.training._train import GROKKED_TEST_ACC, MEMORIZED_TRAIN_ACC, TrainConfig, load_run, train
from grokcheck.errors import NumericalFailure
from grokcheck.theory import FiniteGroup

C7 = FiniteGroup.from_table((np.arange(7)[:, None] + np.arange(7)) % 7, name="C7")
S3 = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"], name="S3")


class Kill(Exception):
    pass


def _kill_at(step_to_die):
    def cb(step, model, info):
        if step == step_to_die:
            raise Kill(step)

    return cb


@pytest.mark.parametrize(
    "opt,batch",
    [
        (OptimizerConfig("adamw", lr=3e-3, weight_decay=0.5), 16),
        (OptimizerConfig("egd", lr=0.05, egd_method="rsvd", egd_rank=3, grokfast_alpha=0.9), None),
    ],
    ids=["adamw-minibatch", "egd-rsvd-grokfast"],
)
def test_resume_after_kill_is_bit_identical(tmp_path, opt, batch):
    task = group_task(C7, train_fraction=0.6, n_seeds=3, seed=5)
    cfg = TrainConfig(model=MLPConfig(widths=(16,)), optimizer=opt, steps=40, n_seeds=3, seed=5,
                      batch_size=batch, eval_every=5, checkpoint_every=20, plot=False)
    straight = train(cfg, task, out_dir=tmp_path / "a", progress=False)
    with pytest.raises(Kill):  # killed at step 30, ten steps after the last checkpoint
        train(cfg, task, out_dir=tmp_path / "b", progress=False, callbacks=[_kill_at(30)])
    assert load_run(tmp_path / "b").step == 20
    resumed = train(cfg, task, out_dir=tmp_path / "b", progress=False, resume=True)
    for (n, p), (_, q) in zip(straight.model.named_parameters(), resumed.model.named_parameters()):
        assert torch.equal(p, q), n  # bit-identical, not merely close
    a = (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()
    b = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert a == b  # the lines the killed run wrote after its checkpoint were replaced
    with pytest.raises(ValueError):  # resuming with another configuration is refused
        train(TrainConfig(**{**cfg.__dict__, "seed": 6}), task, out_dir=tmp_path / "b", progress=False, resume=True)


def test_nan_in_one_seed_is_reported_and_the_others_are_untouched(tmp_path):
    task = group_task(C7, train_fraction=0.6, n_seeds=3, seed=1)
    # seed 1's learning rate overflows float32 at its first update
    bad = TrainConfig(model=MLPConfig(widths=(16,)), optimizer=OptimizerConfig("sgd", lr=(0.1, 1e38, 0.1)),
                      steps=12, n_seeds=3, seed=1, eval_every=4, plot=False)
    res = train(bad, task, out_dir=tmp_path, progress=False)
    assert res.status == "nan_encountered"
    assert res.alive.tolist() == [True, False, True]
    (f,) = res.failures
    assert f.where["seed"] == 1 and f.where["step"] == 1 and "lr=1e+38" in str(f) and "Hint" in str(f)
    good = train(TrainConfig(**{**bad.__dict__, "optimizer": OptimizerConfig("sgd", lr=(0.1, 0.1, 0.1))}), task, progress=False)
    for p, q in zip(res.model.parameters(), good.model.parameters()):
        assert torch.equal(p[0], q[0]) and torch.equal(p[2], q[2])  # the other seeds are bit-identical
    last = res.history[-1]
    assert last["train_acc"][1] is None and last["alive"] == [True, False, True]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["failures"][0]["seed"] == 1 and summary["status"] == "nan_encountered"
    with pytest.raises(NumericalFailure) as exc:
        train(TrainConfig(**{**bad.__dict__, "on_nan": "raise"}), task, progress=False)
    assert exc.value.where == {"seed": 1, "step": 1, "quantity": "loss"}


def test_metrics_files_and_time_to_grok(tmp_path):
    task = group_task(C7, train_fraction=0.8, n_seeds=2, seed=0)
    seen = []

    def cb(step, model, info):
        seen.append(step)
        assert info["x_train"].shape == (2, task.n_train, 14)
        return {"my_norm": [float(v) for v in model.weight_norms()["w1"]]}

    cfg = TrainConfig(model=MLPConfig(widths=(64,)), optimizer=OptimizerConfig("adamw", lr=1e-2, weight_decay=0.1),
                      steps=60, n_seeds=2, eval_every=10, checkpoint_every=30)
    res = train(cfg, task, out_dir=tmp_path, progress=False, callbacks=[cb])
    assert seen == [0, 10, 20, 30, 40, 50, 60]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == seen and "my_norm" in rows[-1]
    for s in range(2):  # t_mem / t_grok are the first logged steps over the thresholds (docs/conventions.md, training time)
        tm = next((r["step"] for r in rows if r["train_acc"][s] >= MEMORIZED_TRAIN_ACC), -1)
        tg = next((r["step"] for r in rows if r["test_acc"][s] >= GROKKED_TEST_ACC), -1)
        assert res.t_mem[s] == tm and res.t_grok[s] == tg
    assert rows[-1]["weight_norm"]["w1"] == pytest.approx(rows[-1]["my_norm"])
    for name in ("config.json", "task.pt", "checkpoint.pt", "summary.json", "curves.png"):
        assert (tmp_path / name).exists()
    run = load_run(tmp_path)
    assert run.step == 60 and run.task.n_train == task.n_train
    for p, q in zip(run.model.parameters(), res.model.parameters()):
        assert torch.equal(p, q)
    with pytest.raises(ValueError):
        train(cfg, task, progress=False, callbacks=[lambda s, m, i: {"step": 1}])  # clashing key


def test_ensemble_seed_equals_single_seed_run():
    cfg3 = TrainConfig(model=MLPConfig(widths=(16,)), optimizer=OptimizerConfig("adam", lr=1e-2), steps=15, n_seeds=3,
                       seed=2, eval_every=15, plot=False)
    r3 = train(cfg3, group_task(S3, train_fraction=0.5, n_seeds=3, seed=2), progress=False)
    r1 = train(TrainConfig(**{**cfg3.__dict__, "n_seeds": 1}), group_task(S3, train_fraction=0.5, n_seeds=1, seed=2), progress=False)
    # seed 0 of the ensemble is seed 0 alone; batched vs single matmul only reorders float sums
    assert torch.allclose(r3.model.w1[0], r1.model.w1[0], atol=1e-5)


def test_stage_one_stays_on_spheres_and_stage_two_moves_only_the_scale(tmp_path):
    task = group_task(S3, n_seeds=2)
    cfg = TrainConfig(model=QuadraticConfig(width=12, scale=0.5), optimizer=OptimizerConfig("adam", lr=1e-2), steps=30,
                      n_seeds=2, eval_every=10, dtype="float64", plot=False)
    res = train(cfg, task, out_dir=tmp_path / "one", progress=False)
    th1, th2, xi = res.model.neuron_weights()
    for v in (th1, th2, xi):
        assert np.allclose(np.linalg.norm(v, axis=-1), 1, atol=1e-13)  # renormalised every step
    cfg2 = TrainConfig(**{**cfg.__dict__, "model": QuadraticConfig(width=12, scale=0.5, stage="II", per_neuron_scale=True),
                          "init_from": str(tmp_path / "one"), "optimizer": OptimizerConfig("sgd", lr=10.0)})
    res2 = train(cfg2, task, progress=False)
    assert torch.equal(res2.model.theta, res.model.theta)
    assert res2.model.a.shape == (2, 12) and not torch.allclose(res2.model.a, torch.full((2, 12), 0.5, dtype=torch.float64))


@pytest.mark.parametrize(
    "make,model",
    [
        (lambda: group_task(C7, train_fraction=0.5, n_seeds=2, encoding="sequence"), TransformerConfig(d_model=16, n_heads=2, d_mlp=16)),
        (lambda: group_task(C7, train_fraction=0.5, n_seeds=2), Li2Config(width=16, ridge_v=1e-2)),
        (lambda: sparse_parity_task(8, 2, n_train=32, n_test=16, n_seeds=2), MLPConfig(widths=(8,))),
        (lambda: digits_task(n_train=100, n_seeds=2), MLPConfig(widths=(16, 16))),
    ],
    ids=["transformer", "li2-ridge", "parity-sq", "digits"],
)
def test_every_model_and_task_trains(make, model):
    task = make()
    res = train(TrainConfig(model=model, optimizer=OptimizerConfig("adamw", lr=1e-2), steps=20, n_seeds=2, eval_every=10,
                            plot=False), task, progress=False)
    first, last = res.history[0], res.history[-1]
    assert res.status == "completed"
    assert np.mean(last["train_loss"]) < np.mean(first["train_loss"])  # 20 steps of Adam make progress


def test_cli_train_then_analyze(tmp_path, capsys):
    from grokcheck.checks.cli import main

    out = tmp_path / "run"
    rc = main(["train", "--perms", "(1,2)", "(1,2,3)", "--model", "mlp", "--width", "24", "--seeds", "2", "--steps", "20",
               "--eval-every", "10", "--lr", "1e-2", "--weight-decay", "0.1", "--out", str(out), "--no-progress"])
    assert rc == 0 and "run directory" in capsys.readouterr().out
    rc = main(["train", "--perms", "(1,2)", "(1,2,3)", "--model", "mlp", "--width", "24", "--seeds", "2", "--steps", "30",
               "--eval-every", "10", "--lr", "1e-2", "--weight-decay", "0.1", "--out", str(out), "--no-progress", "--resume"])
    assert rc == 0 and load_run(out).step == 30
    rc = main(["analyze", str(out)])
    assert rc == 0 and "purity" in capsys.readouterr().out
    assert (out / "analysis.json").exists() and (out / "neuron_energy_heatmap.png").exists()


def test_cli_train_bias_none_builds_a_homogeneous_mlp(tmp_path):
    """``--bias none``: no b₁, so doubling every weight scales the output by 4 (2-homogeneous)."""
    from grokcheck.checks.cli import main

    out = tmp_path / "run"
    rc = main(["train", "C5", "--model", "mlp", "--width", "8", "--bias", "none", "--seeds", "1", "--steps", "3",
               "--eval-every", "3", "--out", str(out), "--no-progress", "--no-plot"])
    assert rc == 0
    run = load_run(out)
    assert run.config.model.bias == "none" and not hasattr(run.model, "b1")
    x = run.task.split("train")[0]
    with torch.no_grad():
        y1 = run.model(x)
        for p in run.model.parameters():
            p.mul_(2)
        assert torch.allclose(run.model(x), 4 * y1, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Paper-sized runs. Minutes on a 2-core CPU: `pytest -m slow tests/test_train.py`.


def _named(name):
    from grokcheck.theory import group

    return group(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["F21", "C3xC5"])
def test_quadratic_stage_one_learns_single_irrep_neurons(tmp_path, name):
    """He et al., arXiv 2606.02993, experiments: Stage I reaches 100% on the full table with one irrep per neuron."""
    from grokcheck.checks.training._analyze import analyze_run

    G = _named(name)
    cfg = TrainConfig(model=QuadraticConfig(width=512, scale=0.125), optimizer=OptimizerConfig("adam", lr=1e-3),
                      steps=1000, n_seeds=1, eval_every=100, dtype="float64", plot=False)
    res = train(cfg, group_task(G, n_seeds=1), out_dir=tmp_path, progress=False)
    assert res.final["train_acc"] == [1.0]  # all |G|² pairs
    rep = analyze_run(tmp_path, plots=False)["neurons"]
    assert rep["purity_fraction_ge_0.95"] >= 0.95
    assert rep["align_re"]["median"] > 0.99
    if rep["rank_ratio_multidim"]["neurons"]:
        assert rep["rank_ratio_multidim"]["fraction_below_0.1"] >= 0.95  # the authors' rank-one threshold
    if name == "C3xC5":
        counts = [o["count"] for o in rep["occupancy"]]
        assert len(counts) == 7 and min(counts) > 0  # every conjugate pair is used
        assert rep["occupancy_chi2_uniform_pvalue"] > 1e-3  # roughly uniform (blog's histogram)


@pytest.mark.slow
def test_relu_mlp_groks_a_cyclic_group(tmp_path):
    """AdamW + weight decay on C59, τ = 0.5, width 128: memorise first, generalise later."""
    G = _named("C59")
    cfg = TrainConfig(model=MLPConfig(widths=(128,)), optimizer=OptimizerConfig("adamw", lr=1e-2, weight_decay=(0.5, 1.0, 2.0, 3.0)),
                      steps=3000, n_seeds=4, eval_every=50, plot=False)
    res = train(cfg, group_task(G, train_fraction=0.5, n_seeds=4), out_dir=tmp_path, progress=False)
    assert res.t_grok[2] >= 0  # wd = 2 groks (t_mem 100, t_grok 2100 on our CPU)
    assert 0 <= res.t_mem[2] < res.t_grok[2]


@pytest.mark.slow
def test_relu_mlp_groks_s4_with_single_irrep_neurons(tmp_path):
    """A non-Abelian group: S4, τ = 0.8, width 256, AdamW lr 3e-3; weight decay per seed."""
    from grokcheck.checks.training._analyze import analyze_run

    G = _named("S4")
    cfg = TrainConfig(model=MLPConfig(widths=(256,)), optimizer=OptimizerConfig("adamw", lr=3e-3, weight_decay=(0.5, 1.0, 2.0, 3.0)),
                      steps=4000, n_seeds=4, eval_every=50, plot=False)
    res = train(cfg, group_task(G, train_fraction=0.8, n_seeds=4), out_dir=tmp_path, progress=False)
    assert res.t_grok[2] >= 0 and res.t_grok[3] >= 0  # wd 2 and 3 grok (t_grok 1800 and 1950 on our CPU)
    rep = analyze_run(tmp_path, plots=False)["neurons"]
    assert rep["purity_per_vector_median"]["theta1"] > 0.9 and rep["purity_per_vector_median"]["theta2"] > 0.9
    assert rep["purity_fraction_ge_0.9_per_seed"][2] > 0.5
