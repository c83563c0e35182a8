"""Chughtai et al.'s attribution (checks/training/_attribution.py): character cubes, the character-sum
fit, embedding shares, ablations; and on the released checkpoints, the published key irreps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grokcheck.checks.training._attribution import (
    KEY_TRACE_SIMILARITY,
    AdditiveNet,
    ablation_losses,
    attribute_model,
    character_fit,
    embedding_shares,
    logits_chunks_of_array,
    orbit_characters,
)
from grokcheck.theory._names import group


def _cube(G, chi):
    """``χ(a b c⁻¹)`` on all triples, by brute force: (n, n, n)."""
    T = np.asarray(G.table)
    inv = np.asarray(G.inverses)
    n = G.order
    a, b, c = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
    return chi[T[T[a, b], inv[c]]]


@pytest.mark.parametrize("name", ["S3", "D5", "C7", "Q8"])
def test_character_sum_is_recovered_exactly(name):
    G = group(name)
    orbits, chi, dims, triv = orbit_characters(G)
    rng = np.random.default_rng(0)
    nontriv = [k for k in range(len(orbits)) if k != triv]
    key = nontriv[: max(1, len(nontriv) // 2)]
    w = {k: float(rng.uniform(1, 3)) for k in key}
    L = sum(w[k] * _cube(G, chi[k]) for k in key) + rng.standard_normal((G.order, G.order, 1))  # + a per-pair constant
    fit = character_fit(G, logits_chunks_of_array(L, G.order))
    # exact orthogonal decomposition in float64: the residuals are rounding (~1e-15)
    assert fit.fve_of(key) == pytest.approx(1.0, abs=1e-9)
    for k in key:
        assert fit.weight[k] == pytest.approx(w[k], rel=1e-9)
    assert sorted(fit.key().tolist()) == sorted(key)
    assert int(dims.sum()) == G.order  # Σ_O dim V_O = |G| (the isotypic decomposition of the regular rep)


def test_trace_similarity_is_the_global_cosine_and_pair_cosine_the_mean():
    G = group("S3")
    _, chi, _, _ = orbit_characters(G)
    rng = np.random.default_rng(1)
    L = rng.standard_normal((6, 6, 6)) + 2 * _cube(G, chi[1])
    fit = character_fit(G, logits_chunks_of_array(L, 6))
    Lc = L - L.mean(axis=-1, keepdims=True)
    for k in range(len(chi)):
        T = _cube(G, chi[k])
        if not T.any() or np.allclose(T, T[..., :1]):
            continue  # the trivial character: constant over c, orthogonal to centred logits
        glob = (Lc * T).sum() / np.linalg.norm(Lc) / np.linalg.norm(T)
        per = np.mean((Lc * T).sum(-1) / np.linalg.norm(Lc, axis=-1) / np.linalg.norm(T, axis=-1))
        assert fit.trace_similarity[k] == pytest.approx(glob, abs=1e-12)
        assert fit.pair_cosine[k] == pytest.approx(per, abs=1e-12)
        assert fit.fve[k] == pytest.approx(glob**2, abs=1e-12)


def test_character_fit_refuses_missing_pairs():
    from grokcheck.errors import InvalidInputError

    G = group("S3")
    L = np.zeros((6, 6, 6))
    with pytest.raises(InvalidInputError, match="pairs"):
        character_fit(G, [(np.arange(3), L[:3])])


def test_embedding_shares_of_an_isotypic_function():
    from grokcheck.checks.training._analyze import group_spectrum

    G = group("D5")
    B, starts = group_spectrum(G).basis
    k = 2
    f = B[:, starts[k]:starts[k + 1]] @ np.random.default_rng(2).standard_normal(starts[k + 1] - starts[k])
    sh = embedding_shares(G, f[None])
    assert sh[k] == pytest.approx(1.0, abs=1e-10) and sh.sum() == pytest.approx(1.0)


def test_ablations_bracket_the_loss():
    G = group("S3")
    rng = np.random.default_rng(3)
    n, N = 6, 24
    net = AdditiveNet(rng.standard_normal((N, n)), rng.standard_normal((N, n)), rng.standard_normal((N, n)),
                      rng.standard_normal(N), None)
    orbits, _, _, _ = orbit_characters(G)
    none = ablation_losses(G, net, [])
    assert none["excluded"] == pytest.approx(none["loss"], rel=1e-12)  # nothing removed
    allk = ablation_losses(G, net, range(len(orbits)), per_orbit=range(len(orbits)))
    # removing every isotypic part of the fibre means leaves what is not a function of a·b
    assert allk["restricted"] > 0 and np.isfinite(allk["excluded"])
    assert set(allk["excluded_each"]) == set(range(len(orbits)))


def test_attribute_model_json_names_every_nontrivial_orbit():
    G = group("D5")
    orbits, chi, _, triv = orbit_characters(G)
    L = _cube(G, chi[(triv + 1) % len(orbits)])
    att = attribute_model(G, chunks=logits_chunks_of_array(L, G.order), left=np.eye(G.order), losses=False)
    js = att.to_json()
    assert len(js["irreps"]) == len(orbits) - 1 and js["fve_key"] == pytest.approx(1.0)
    assert KEY_TRACE_SIMILARITY > 0 and json.dumps(js)


# --------------------------------------------------------------------------- released checkpoints


from _released import RELEASED, needs_released  # noqa: E402


def _attribution(name):
    from grokcheck.checks.training._attribution import attribution_of_report
    from grokcheck.checks.training._external import analyze_model, load_model

    rep = analyze_model(load_model(RELEASED / name, "onelayer-mlp"))
    return rep, attribution_of_report(rep, losses=False)


@needs_released
def test_released_s5_seed1_key_irreps_are_the_published_ones():
    rep, att = _attribution("S5_seed1.pt")
    js = att.to_json()
    # the authors' key_reps.txt for S5 seed 1: sign, standard, standard_sign, s5_5d_a (the [2,2,1] Specht module)
    assert sorted(k["name"] for k in js["key"]) == sorted(
        ["[1,1,1,1,1] sign", "[4,1] standard", "[2,1,1,1] sign⊗standard", "[2,2,1]"])
    sims = {r["name"]: r["trace_similarity"] for r in js["irreps"]}
    # their summary_metrics.json (float32 on a GPU): 0.3090, 0.4109, 0.2944, 0.1990; ours in float64
    for nm, pub in (("[1,1,1,1,1] sign", 0.3090), ("[4,1] standard", 0.4109), ("[2,1,1,1] sign⊗standard", 0.2944),
                    ("[2,2,1]", 0.1990)):
        assert sims[nm] == pytest.approx(pub, abs=2e-3)
    assert js["fve_key"] == pytest.approx(0.3905, abs=2e-3)  # their percent_logits_explained


@needs_released
def test_released_c113_seed1_has_the_13_published_frequencies():
    rep, att = _attribution("C113_seed1.pt")
    freqs = sorted(int(k["name"].split()[-1]) for k in att.to_json()["key"])
    assert freqs == [1, 4, 8, 11, 13, 16, 17, 22, 25, 32, 34, 44, 50]  # the authors' key_reps.txt


@needs_released
def test_analyze_attribution_paper_cli(capsys):
    from grokcheck.checks.cli import main

    assert main(["analyze", str(RELEASED / "S5_seed2.pt"), "--format", "onelayer-mlp", "--attribution", "paper",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    att = out["files"][0]["attribution"]
    assert [k["name"] for k in att["key"]] == ["[4,1] standard", "[1,1,1,1,1] sign"]
    assert att["losses"]["restricted"] < 1e-3 < att["losses"]["excluded"]
    assert att["status"] == "OK" and att["inconclusive"] == []
    assert att["fve_key"] > 1e4 * att["null_baseline"]["fve_all_irreps"]  # 0.85 against 6 irreps/(120²·119) = 3.5e-6


def test_additive_net_reads_biases_and_matches_the_models_logits(tmp_path):
    """A concat-MLP file with both biases, in a shuffled labelling: the reconstruction equals the model's
    logits mapped into the group's labelling (the readout bias read off the logits)."""
    import torch

    from grokcheck.checks.training._attribution import additive_net
    from grokcheck.checks.training._external import load_model

    G = group("D5")
    n, h = G.order, 12
    g = torch.Generator().manual_seed(0)
    state = {"0.weight": torch.randn(h, 2 * n, generator=g), "0.bias": torch.randn(h, generator=g),
             "2.weight": torch.randn(n, h, generator=g), "2.bias": torch.randn(n, generator=g)}
    torch.save(state, tmp_path / "m.pt")
    model = load_model(tmp_path / "m.pt", "concat-mlp", G)
    perm = np.random.default_rng(4).permutation(n)  # label x is element perm[x]
    net = additive_net(model, perm)
    assert net.out_bias is not None
    inv = np.empty_like(perm)
    inv[perm] = np.arange(n)
    want = model.logits()[np.ix_(inv, inv, inv)]  # [a, b, c] in the group's labelling
    got = np.concatenate([L for _, L in net.logit_chunks()])
    assert np.abs(got - want).max() < 1e-4  # the file's float32 evaluation against float64


# --------------------------------------------------------------------------- models that learned nothing


def _random_onelayer(path, n, seed=0, e=16, h=8):
    """A state dict of the released architecture at its random initialisation (N(0, 1/fan-in))."""
    import math

    import torch

    g = torch.Generator().manual_seed(seed)
    torch.save({"W_x": torch.randn(n, e, generator=g) / math.sqrt(e), "W_y": torch.randn(n, e, generator=g) / math.sqrt(e),
                "W": torch.randn(2 * e, h, generator=g) / math.sqrt(2 * e),
                "W_U": torch.randn(h, n, generator=g) / math.sqrt(h)}, path)


def test_random_init_model_is_inconclusive_in_json_and_text(tmp_path, capsys):
    """A random-init network: accuracy near chance, and the character terms no larger than in its own
    logits with the outputs relabelled at random — flagged, whatever the 0.005 threshold marks key."""
    from grokcheck.checks.cli import main

    _random_onelayer(tmp_path / "r.pt", 6)
    assert main(["analyze", str(tmp_path / "r.pt"), "S3", "--format", "onelayer-mlp", "--attribution", "paper",
                 "--json"]) == 0
    att = json.loads(capsys.readouterr().out)["files"][0]["attribution"]
    assert att["status"] == "INCONCLUSIVE" and len(att["inconclusive"]) == 2
    assert "not learned the table" in att["inconclusive"][0] and "does not separate" in att["inconclusive"][1]
    assert att["null_baseline"]["trace_similarity_sd"] == pytest.approx(1 / np.sqrt(36 * 5))  # 1/√(n²(n−1))
    assert main(["analyze", str(tmp_path / "r.pt"), "S3", "--format", "onelayer-mlp", "--attribution", "paper"]) == 0
    text = capsys.readouterr().out
    assert text.count("INCONCLUSIVE:") == 2 and "by chance" in text


@pytest.mark.parametrize("name,seed", [("S3", 2), ("D5", 2)])
def test_random_network_marked_key_is_not_separated(name, seed):
    """Random networks whose chance cosines cross the 0.005 threshold (S3 seed 2: one of two irreps;
    D5 seed 2: two of three) explain no more than the null baseline: flagged even without an accuracy."""
    G = group(name)
    rng = np.random.default_rng(seed)
    n, N = G.order, 64
    net = AdditiveNet(rng.standard_normal((N, n)), rng.standard_normal((N, n)), rng.standard_normal((N, n)), None, None)
    att = attribute_model(G, net=net, losses=False)
    assert att.key.size > 0
    (why,) = att.inconclusive()
    assert "does not separate" in why


def test_a_character_sum_model_is_not_flagged():
    G = group("D5")
    orbits, chi, _, triv = orbit_characters(G)
    k = (triv + 1) % len(orbits)
    L = 3 * _cube(G, chi[k]) + 0.1 * np.random.default_rng(5).standard_normal((G.order,) * 3)
    att = attribute_model(G, chunks=logits_chunks_of_array(L, G.order), losses=False, accuracy=1.0)
    assert att.key.tolist() == [k] and att.inconclusive() == []
    assert att.null["fve_all_irreps"] == pytest.approx(3 / (100 * 9))  # D5: 3 non-trivial real irreps / (n²(n−1))


def test_null_baseline_is_the_expected_share_of_randomly_permuted_outputs():
    """Permuting each pair's outputs at random: the mean explained fraction per irrep over many draws is
    the closed form 1/(n²(n−1)), whatever the logits."""
    from grokcheck.checks.training._attribution import null_baseline

    G = group("S3")
    n = G.order
    orbits, chi, _, triv = orbit_characters(G)
    rng = np.random.default_rng(6)
    L = 2 * _cube(G, chi[(triv + 1) % len(orbits)]) + rng.standard_normal((n, n, n))
    idx = np.argsort(rng.random((400, n, n, n)), axis=-1)  # 400 independent draws, one permutation per pair
    fve = np.array([character_fit(G, logits_chunks_of_array(np.take_along_axis(L, p, -1), n)).fve for p in idx])
    per = null_baseline(n, len(orbits) - 1)["fve_per_irrep"]
    nt = [k for k in range(len(orbits)) if k != triv]
    # mean of 400 χ²₁-like draws: relative standard error √(2/400) = 7%; 25% is > 3 standard errors
    assert fve[:, nt].mean(axis=0) == pytest.approx([per] * len(nt), rel=0.25)


@pytest.mark.slow
@needs_released
def test_released_s6_seed2_exact_names_with_sympys_elements(tmp_path, capsys):
    """S6 with the files' own labels (sympy's SymmetricGroup(6) in generation order, given with --elements):
    the partitions are exact, not up to the outer automorphism; ~40 s of CPU."""
    from sympy.combinatorics import SymmetricGroup

    from grokcheck.checks.cli import main

    (tmp_path / "s6.json").write_text(json.dumps([[int(i) for i in p.array_form] for p in SymmetricGroup(6).generate()]))
    assert main(["analyze", str(RELEASED / "S6_seed2.pt"), "--format", "onelayer-mlp", "--elements",
                 str(tmp_path / "s6.json"), "--attribution", "paper", "--json"]) == 0
    att = json.loads(capsys.readouterr().out)["files"][0]["attribution"]
    # the authors' summary_metrics.json: standard 0.6819, sign 0.4162, s6_5d_b 0.0572 (float32 on a GPU)
    sims = {r["name"]: r["trace_similarity"] for r in att["irreps"]}
    assert [k["name"] for k in att["key"]] == ["[5,1] standard", "[1,1,1,1,1,1] sign", "[2,2,2]"]
    for nm, pub in (("[5,1] standard", 0.6819), ("[1,1,1,1,1,1] sign", 0.4162), ("[2,2,2]", 0.0572)):
        assert sims[nm] == pytest.approx(pub, abs=2e-3)
    assert att["status"] == "OK" and att["losses"]["restricted"] < 1e-4 < 10 < att["losses"]["excluded"]
