"""The one model path: a model read from a file is measured as it computes.

* invariances (hypothesis, over groups and models): every measurement and the single-irrep
  verdict inputs are unchanged when (a) the group's elements are relabelled and the model's
  embeddings and unembedding permuted to match, (b) hidden neurons are permuted, (c) a ReLU
  neuron's input weights are scaled by c > 0 and its output weights by 1/c;
* grokcheck's evaluation equals the framework's own forward pass (plain torch modules);
* a model trained in another labelling is read in its own labelling (accuracy 1.0) and a
  labelling that contradicts it is refused;
* ``verify`` and ``analyze`` report the same single-irrep fraction for the same model;
* the released Chughtai et al. checkpoints, when present beside the project (found by folder
  name; skipped otherwise).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.checks.claims._given_model import model_artifacts, read_given_model
from grokcheck.checks.properties import assert_same_statistics, invariant_statistics
from grokcheck.checks.training._external import analyze_model, load_model
from grokcheck.errors import InvalidInputError, LabellingError
from grokcheck.theory import FiniteGroup, group
from grokcheck.theory.strategies import groups

# float32 evaluation of the same products in another order: agreement to a few ulps of the
# largest logit (float32 eps 1.2e-7, sums over ≤ 2·128 terms) — 1e-5 relative is ample
LOGIT_RTOL = 1e-5


def _exact_onelayer(G: FiniteGroup, rng: np.random.Generator, extra: int = 8) -> dict:
    """A Chughtai-style OneLayerMLP state dict that computes ``G`` exactly (float32).

    One hidden neuron per pair (a, b) fires only on that pair (one-hot embeddings,
    ``relu(x_a + y_b − 1)`` via a bias-free trick: the embedding carries a constant −½ on every
    other element), plus ``extra`` random neurons with small output weights so the model is not
    a pure lookup table.
    """
    n = G.order
    e = n
    Wx = np.eye(n) - 0.5 * (1 - np.eye(n))  # x_a = +1 on a, −½ elsewhere
    Wy = Wx.copy()
    h = n * n + extra
    W = np.zeros((2 * e, h))
    WU = np.zeros((h, n))
    for a in range(n):
        for b in range(n):
            i = a * n + b
            W[a, i] = 1.0  # left operand: +1 if a, −½ otherwise
            W[e + b, i] = 1.0
            # pre-activation: 2 on (a, b), 0.5 when one matches, −1 when none: subtract via readout
            WU[i, G.table[a, b]] = 1.0
    W[:, n * n:] = rng.normal(scale=0.1, size=(2 * e, extra))
    WU[n * n:] = rng.normal(scale=0.01, size=(extra, n))
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in {"W_x": Wx, "W_y": Wy, "W": W, "W_U": WU}.items()}


def _random_onelayer(n: int, rng: np.random.Generator, e: int = 16, h: int = 24) -> dict:
    return {"W_x": torch.tensor(rng.normal(size=(n, e)), dtype=torch.float32),
            "W_y": torch.tensor(rng.normal(size=(n, e)), dtype=torch.float32),
            "W": torch.tensor(rng.normal(size=(2 * e, h)) / np.sqrt(2 * e), dtype=torch.float32),
            "W_U": torch.tensor(rng.normal(size=(h, n)) / np.sqrt(h), dtype=torch.float32)}


def _save(tmp_path, name, state) -> Path:
    p = tmp_path / name
    torch.save(state, p)
    return p


def _relabel_state(state: dict, sigma: np.ndarray) -> dict:
    """The same model with label ``a`` renamed ``sigma[a]`` (embeddings and unembedding permuted)."""
    inv = np.argsort(sigma)  # new label b was old label inv[b]
    out = dict(state)
    out["W_x"], out["W_y"] = state["W_x"][inv], state["W_y"][inv]
    out["W_U"] = state["W_U"][:, inv]
    return out


def _stats(rep) -> dict:
    """The measurements a report shows, in a labelling-free form (shared with the properties of
    trained networks: :func:`grokcheck.checks.properties.invariant_statistics`)."""
    return invariant_statistics(rep.analysis, accuracy=rep.accuracy)


# shares are ratios of energies computed in float64 from float32 weights: equal to 1e-7
_same = assert_same_statistics


# --------------------------------------------------------------------------- invariances


@settings(max_examples=8)
@given(G=groups(max_order=12), seed=st.integers(0, 2**16), exact=st.booleans())
def test_measurements_invariant_under_relabelling(tmp_path_factory, G, seed, exact):
    rng = np.random.default_rng(seed)
    tmp = tmp_path_factory.mktemp("relabel")
    state = _exact_onelayer(G, rng) if exact else _random_onelayer(G.order, rng)
    sigma = rng.permutation(G.order)
    H = G.relabel(sigma)
    a = analyze_model(load_model(_save(tmp, "a.pt", state), "onelayer-mlp", G), G, labels="identity")
    b = analyze_model(load_model(_save(tmp, "b.pt", _relabel_state(state, sigma)), "onelayer-mlp", H), H,
                      labels="identity")
    _same(_stats(a), _stats(b))
    if exact:
        assert a.accuracy == 1.0
        # auto: the relabelled model against the original group is read through an isomorphism
        c = analyze_model(load_model(_save(tmp, "c.pt", _relabel_state(state, sigma)), "onelayer-mlp", G), G)
        assert c.accuracy == 1.0
        _same(_stats(a), _stats(c))


@settings(max_examples=8)
@given(G=groups(max_order=12), seed=st.integers(0, 2**16), c=st.floats(0.05, 20.0))
def test_measurements_invariant_under_neuron_permutation_and_relu_rescaling(tmp_path_factory, G, seed, c):
    rng = np.random.default_rng(seed)
    tmp = tmp_path_factory.mktemp("perm")
    state = _exact_onelayer(G, rng) if seed % 2 else _random_onelayer(G.order, rng)
    h = state["W"].shape[1]
    pi = torch.as_tensor(rng.permutation(h))
    permuted = dict(state, W=state["W"][:, pi], W_U=state["W_U"][pi])
    scale = torch.ones(h)
    scale[rng.integers(0, h, size=max(1, h // 3))] = float(c)  # rescale a third of the neurons by c
    rescaled = dict(state, W=state["W"] * scale[None], W_U=state["W_U"] / scale[:, None])
    reps = [analyze_model(load_model(_save(tmp, f"{k}.pt", s), "onelayer-mlp", G), G, labels="identity")
            for k, s in (("o", state), ("p", permuted), ("r", rescaled))]
    _same(_stats(reps[0]), _stats(reps[1]))
    _same(_stats(reps[0]), _stats(reps[2]))
    L0 = reps[0].model.logits()
    # ReLU is positively homogeneous: c·w and w/c give the same logits up to float32 rounding
    np.testing.assert_allclose(reps[2].model.logits(), L0, rtol=LOGIT_RTOL, atol=LOGIT_RTOL * np.abs(L0).max())


# --------------------------------------------------------------------------- the framework's own forward


class _OneLayerMLP(torch.nn.Module):
    """Chughtai et al.'s architecture, written as they describe it (the framework side of the test)."""

    def __init__(self, n, e, h, g):
        super().__init__()
        self.W_x = torch.nn.Parameter(torch.randn(n, e, generator=g))
        self.W_y = torch.nn.Parameter(torch.randn(n, e, generator=g))
        self.W = torch.nn.Parameter(torch.randn(2 * e, h, generator=g) / (2 * e) ** 0.5)
        self.W_U = torch.nn.Parameter(torch.randn(h, n, generator=g) / h ** 0.5)

    def forward(self, a, b):
        return torch.relu(torch.cat([self.W_x[a], self.W_y[b]], dim=-1) @ self.W) @ self.W_U


@pytest.mark.parametrize("n", [5, 12])
def test_logits_equal_the_torch_modules_own(tmp_path, n):
    g = torch.Generator().manual_seed(n)
    a, b = torch.arange(n).repeat_interleave(n), torch.arange(n).repeat(n)
    m = _OneLayerMLP(n, 8, 16, g)
    got = load_model(_save(tmp_path, "one.pt", m.state_dict()), "onelayer-mlp").logits().reshape(n * n, n)
    want = m(a, b).detach().double().numpy()
    np.testing.assert_allclose(got, want, rtol=LOGIT_RTOL, atol=LOGIT_RTOL * np.abs(want).max())
    seq = torch.nn.Sequential(torch.nn.Linear(2 * n, 20), torch.nn.ReLU(), torch.nn.Linear(20, n))
    x = torch.cat([torch.nn.functional.one_hot(a, n), torch.nn.functional.one_hot(b, n)], dim=1).float()
    got = load_model(_save(tmp_path, "seq.pt", seq.state_dict()), "concat-mlp").logits().reshape(n * n, n)
    want = seq(x).detach().double().numpy()
    np.testing.assert_allclose(got, want, rtol=LOGIT_RTOL, atol=LOGIT_RTOL * np.abs(want).max())


# --------------------------------------------------------------------------- another labelling


def _s4_in_itertools_order():
    """S4 in a user's own labelling: the permutations of range(4) in a seeded shuffle of
    itertools order (itertools order itself is grokcheck's), product (p·q)[x] = q[p[x]]."""
    perms = [tuple(p) for p in itertools.permutations(range(4))]
    perms = [perms[i] for i in np.random.default_rng(4).permutation(24)]
    idx = {p: k for k, p in enumerate(perms)}
    table = np.array([[idx[tuple(q[p[x]] for x in range(4))] for q in perms] for p in perms])
    return perms, table


@pytest.fixture(scope="module")
def s4_model_other_labelling(tmp_path_factory):
    """A plain torch MLP trained to 100% on S4 in itertools order (seeded, about a second)."""
    perms, table = _s4_in_itertools_order()
    n = 24
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(2 * n, 128), torch.nn.ReLU(), torch.nn.Linear(128, n))
    a, b = torch.arange(n).repeat_interleave(n), torch.arange(n).repeat(n)
    x = torch.cat([torch.nn.functional.one_hot(a, n), torch.nn.functional.one_hot(b, n)], dim=1).float()
    y = torch.as_tensor(table.reshape(-1))
    opt = torch.optim.AdamW(seq.parameters(), lr=3e-3, weight_decay=1.0)
    for _ in range(1500):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(seq(x), y).backward()
        opt.step()
    assert (seq(x).argmax(1) == y).all()
    p = tmp_path_factory.mktemp("s4") / "s4_itertools.pt"
    torch.save(seq.state_dict(), p)
    return p, perms, table


def test_model_in_another_labelling_is_read_in_its_own(s4_model_other_labelling, tmp_path):
    path, perms, table = s4_model_other_labelling
    G = group("S4")  # grokcheck's own labelling of S4, not the model's
    art = model_artifacts(G, path, "concat-mlp")
    net = art["trained.mlp"]
    assert net.train_acc[0] == 1.0 and "isomorphism" in net.extra["labels"]
    from grokcheck.checks._registry import VerifyContext, get_check, run_check

    r = run_check(get_check("trained.mlp-single-irrep"), VerifyContext(G, budget="small", artifacts=art, on_model=True))
    assert r.verdict.value in ("PASS", "FAIL")  # decided: the model generalises in its own labelling
    # analyze reports the same fraction for the same model (one definition, one path)
    rep = read_given_model(G, path, "concat-mlp")
    assert rep.accuracy == 1.0
    assert r.details["single_irrep_fraction"] == pytest.approx(rep.analysis.single_irrep_fraction(), abs=1e-12)
    # the model's own labelling, given as elements, is accepted; a wrong one is refused
    from grokcheck.theory._irrep_names import group_of_permutations

    H, _ = group_of_permutations([list(p) for p in perms])
    assert np.array_equal(H.table, table)
    assert analyze_model(load_model(path, "concat-mlp", H), H, labels="identity").accuracy == 1.0
    with pytest.raises(LabellingError, match="contradicts the model"):
        analyze_model(load_model(path, "concat-mlp", G), G, labels="identity")


def test_cli_verify_and_analyze_agree_and_refuse_a_contradicting_labelling(s4_model_other_labelling, tmp_path, capsys):
    from grokcheck.checks.cli import main

    path = s4_model_other_labelling[0]
    assert main(["verify", "S4", "--model", str(path), "--format", "concat-mlp", "--out", str(tmp_path / "v"),
                 "--quiet", "--only", "trained.mlp-single-irrep"]) == 0
    rep = json.loads((tmp_path / "v" / "report.json").read_text())
    res = next(c for c in rep["checks"] if c["id"] == "trained.mlp-single-irrep")
    assert res["verdict"] in ("PASS", "FAIL")
    capsys.readouterr()
    assert main(["analyze", str(path), "--format", "concat-mlp", "S4", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)["files"][0]
    assert js["table"]["accuracy"] == 1.0
    assert js["summary"]["fraction_single_irrep"] == pytest.approx(res["measurement"], abs=1e-12)
    assert js["summary"]["definition"] == res["details"]["definition"]["definition"]
    # elements in another order than the model's: refused, exit 2, with the fix
    els = tmp_path / "els.json"
    els.write_text(json.dumps([list(p) for p in itertools.permutations(range(4))]))  # not the model's order
    assert main(["analyze", str(path), "--format", "concat-mlp", "--elements", str(els)]) == 2
    assert "contradicts the model" in capsys.readouterr().err


def test_gap_cycle_strings_are_one_based(tmp_path):
    from grokcheck.errors import GroupInputError
    from grokcheck.theory._irrep_names import group_of_permutations

    with pytest.raises(GroupInputError, match="same way"):  # mixed conventions are refused by name
        group_of_permutations(["()", [1, 0, 2]])

    G, rec = group_of_permutations(["()", "(1,2)", "(2,3)", "(1,2,3)", "(1,3,2)", "(1,3)"])
    assert rec is not None and rec.name == "S3" and G.elements[1] == "(1,2)"
    assert "points from 1" in G.source


def test_recovered_groups_are_named(tmp_path):
    rng = np.random.default_rng(1)
    C = group("C11")
    state = _relabel_state(_exact_onelayer(C, rng), rng.permutation(11))
    rep = analyze_model(load_model(_save(tmp_path, "c.pt", state), "onelayer-mlp"))
    assert rep.accuracy == 1.0 and rep.to_json()["group"]["known_as"] == "C11"


def test_non_finite_weights_are_refused(tmp_path):
    state = _random_onelayer(5, np.random.default_rng(0))
    state["W"][0, 0] = float("nan")
    with pytest.raises(InvalidInputError, match="non-finite weights"):
        load_model(_save(tmp_path, "nan.pt", state), "onelayer-mlp")


# --------------------------------------------------------------------------- released checkpoints


from _released import RELEASED, needs_released  # noqa: E402


@needs_released
def test_released_s5_checkpoint_is_read_at_full_accuracy_and_decided(tmp_path):
    from grokcheck.checks.cli import main

    assert main(["verify", "S5", "--model", str(RELEASED / "S5_seed1.pt"), "--format", "onelayer-mlp",
                 "--out", str(tmp_path / "v"), "--quiet"]) == 0
    rep = json.loads((tmp_path / "v" / "report.json").read_text())
    res = next(c for c in rep["checks"] if c["id"] == "trained.mlp-single-irrep")
    assert res["verdict"] == "PASS" and res["measurement"] == pytest.approx(1.0)
    art = model_artifacts(group("S5"), RELEASED / "S5_seed1.pt", "onelayer-mlp")
    assert art["trained.mlp"].train_acc[0] == 1.0


def test_verify_model_reads_runs_with_history_and_init_from(tmp_path, monkeypatch):
    """A run with --checkpoint-history is read; a run made with --init-from (a relative path, read
    from another directory) gets a random-init baseline, not the source run's trained weights."""
    from grokcheck.checks.cli import main

    base = ["--model", "mlp", "--steps", "30", "--width", "16", "--seeds", "1", "--no-progress", "--no-plot"]
    assert main(["train", "C13", *base, "--out", str(tmp_path / "src"), "--checkpoint-history", "2",
                 "--checkpoint-every", "10"]) == 0
    monkeypatch.chdir(tmp_path)
    assert main(["train", "C13", *base, "--out", "dst", "--init-from", "src"]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    G = group("C13")
    src = model_artifacts(G, tmp_path / "src", "grokcheck")
    dst = model_artifacts(G, tmp_path / "dst", "grokcheck")
    trained_src = src["trained.mlp"].theta1
    assert not np.allclose(dst["trained.mlp.init"].theta1, trained_src)  # not the source's trained weights
    np.testing.assert_allclose(dst["trained.mlp.init"].theta1, src["trained.mlp.init"].theta1)  # the same random init


def test_pytest_fixture_reads_a_model_file_by_the_same_path(s4_model_other_labelling, pytester):
    path = s4_model_other_labelling[0]
    from grokcheck.checks.claims._given_model import model_artifacts
    from grokcheck.checks._registry import VerifyContext, get_check, run_check

    G = group("S4")
    v = run_check(get_check("trained.mlp-single-irrep"),
                  VerifyContext(G, artifacts=model_artifacts(G, path, "concat-mlp"), on_model=True)).verdict.value
    pytester.makepyfile(f'''
        def test_mine(grokcheck_check):
            r = grokcheck_check("trained.mlp-single-irrep", "S4", model={str(path)!r}, model_format="concat-mlp",
                                expect={v!r})
            assert r.verdict.value == {v!r}
    ''')
    pytester.runpytest("-p", "grokcheck", "-q").assert_outcomes(passed=1)


def test_the_experiments_attribution_is_the_same_statistic(s4_model_other_labelling):
    """The universality experiment measures its trained members with the same definition."""
    from grokcheck.checks.experiments._universality_mlp import _attribution

    G = group("S4")
    rep = read_given_model(G, s4_model_other_labelling[0], "concat-mlp")
    d = rep.model.neuron_data()
    inv = np.argsort(rep.element_of_label)
    att = _attribution(G, d["left"][:, inv], d["right"][:, inv], d["out"][:, inv])
    assert att["single_fraction"] == pytest.approx(rep.analysis.single_irrep_fraction(), abs=1e-12)


def test_a_pickled_module_is_refused_with_the_fix(tmp_path):
    seq = torch.nn.Sequential(torch.nn.Linear(10, 4), torch.nn.ReLU(), torch.nn.Linear(4, 5))
    p = tmp_path / "whole.pt"
    torch.save(seq, p)  # the whole module, not its state dict
    with pytest.raises(InvalidInputError, match=r"pickled Python object .*model\.state_dict\(\)"):
        load_model(p, "concat-mlp")


def _assert_identical(a, b, where: str = "analysis") -> None:
    """Every field of two analyses (dataclasses, tuples, arrays) equal to the bit (NaN equal to NaN)."""
    import dataclasses

    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            if f.name != "group":  # the same group object; compared by identity below
                _assert_identical(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == np.asarray(b).dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def test_verify_model_analyses_the_model_once_with_identical_numbers(s4_model_other_labelling, tmp_path, monkeypatch):
    """The analysis read_given_model made is the one the checks use (``verify --model`` analysed it twice):
    identical to a fresh analyze_neurons of the TrainedNet, analysed once, and the report unchanged."""
    import grokcheck.checks.claims._given_model as given
    import grokcheck.checks.training._analyze as an
    from grokcheck.checks.cli import main

    path = s4_model_other_labelling[0]
    G = group("S4")
    art = model_artifacts(G, path, "concat-mlp")
    net = art["trained.mlp"]
    fresh = an.analyze_neurons(G, net, alive=np.array([True]), fires=net.fires)
    assert art["trained.mlp.analysis.grokked"] is art["trained.mlp.analysis"]
    _assert_identical(art["trained.mlp.analysis.grokked"], fresh)
    assert art["trained.mlp.analysis"].group is fresh.group is G

    calls = []
    real = an.analyze_neurons
    monkeypatch.setattr(an, "analyze_neurons", lambda G, model, **kw: calls.append(model.source) or real(G, model, **kw))

    def report(out: str) -> dict:
        assert main(["verify", "S4", "--model", str(path), "--format", "concat-mlp", "--out", str(tmp_path / out),
                     "--quiet"]) == 0
        return json.loads((tmp_path / out / "report.json").read_text())

    once = report("once")
    assert calls and all("random weights" in c for c in calls), calls  # only the random-init baseline is analysed
    calls.clear()
    monkeypatch.setattr(given, "analysis_artifacts", lambda *a: {})  # the checks analyse the model themselves
    twice = report("twice")
    assert any("random weights" not in c for c in calls), calls
    assert once == twice


def test_no_analysis_is_passed_on_for_a_model_that_did_not_grok(tmp_path):
    from grokcheck.checks.training._analyze import analyze_neurons

    G = group("C5")
    path = _save(tmp_path, "random.pt", _random_onelayer(5, np.random.default_rng(2)))
    art = model_artifacts(G, path, "onelayer-mlp")
    assert art["trained.mlp"].test_acc[0] < 0.95 and "trained.mlp.analysis.grokked" not in art
    _assert_identical(art["trained.mlp.analysis"], analyze_neurons(G, art["trained.mlp"], fires=art["trained.mlp"].fires))
