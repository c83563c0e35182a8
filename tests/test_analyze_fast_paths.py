"""The fast paths of ``grokcheck analyze FILE…`` compute what the plain computations give.

Orbit energies from the character-table basis equal the Parseval sums over the irrep matrices;
the blocked forward pass with numpy's argmax equals torch's argmax of the whole logits (ties
included); a :class:`TableMemo` shared by many models gives each the report a fresh analysis
gives; ``json_text`` writes what ``json.dumps(json_safe(...))`` writes; the evaluation's thread
choice follows its size and the cores the other processes leave.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.checks._io import json_safe, json_text
from grokcheck.checks.training._analyze import GroupSpectrum
from grokcheck.checks.training._external import TableMemo, analyze_model, load_model
from grokcheck.checks.training._threads import MACS_PER_THREAD, _own_load, available_cores, forward_threads
from grokcheck.theory import group
from grokcheck.theory.strategies import small_groups


def _parseval_energies(G, V):
    """``|G| Σ_{ρ∈O} d_ρ ‖f̂[ρ]‖²`` per orbit, from the irrep matrices (the independent route)."""
    ct = G.character_table
    out = np.zeros((V.shape[0], len(ct.orbits)))
    for k, o in enumerate(ct.orbits):
        for i in o:
            r = G.irreps[i]
            M = np.asarray(r.matrices)[G.inverses]  # ρ(g⁻¹), (|G|, d, d)
            fhat = np.einsum("ng,gab->nab", V, M)
            out[:, k] += r.dim * (np.abs(fhat) ** 2).sum(axis=(1, 2)) / G.order
    return out


@settings(max_examples=25, deadline=None)
@given(G=small_groups(max_order=24), seed=st.integers(0, 2**31 - 1))
def test_orbit_energies_equal_the_parseval_sums_over_irrep_matrices(G, seed):
    V = np.random.default_rng(seed).normal(size=(5, G.order))
    E = GroupSpectrum(G).orbit_energies(V)
    ref = _parseval_energies(G, V)
    # two float64 routes to the same quadratic form of O(|G|) size: rounding ~1e-15 relative
    assert np.allclose(E, ref, rtol=1e-10, atol=1e-10 * G.order)
    assert np.allclose(E.sum(axis=1), (V * V).sum(axis=1), rtol=1e-10)  # the orbits split the whole energy


@pytest.mark.parametrize("name", ["C6", "Q8", "A4", "D5"])  # complex pairs, a quaternionic irrep, both
def test_orbit_energies_named_groups(name):
    G = group(name)
    V = np.random.default_rng(1).normal(size=(7, G.order))
    assert np.allclose(GroupSpectrum(G).orbit_energies(V), _parseval_energies(G, V), rtol=1e-10, atol=1e-9)


def _onelayer_file(tmp_path, n, seed, *, ties=False):
    g = torch.Generator().manual_seed(seed)
    e, h = 12, 40
    state = {"W_x": torch.randn(n, e, generator=g), "W_y": torch.randn(n, e, generator=g),
             "W": torch.randn(2 * e, h, generator=g), "W_U": torch.randn(h, n, generator=g)}
    if ties:  # labels 1 and 2 get the same logit on every pair: argmax must pick the first, as torch does
        state["W_U"][:, 2] = state["W_U"][:, 1]
        state["W_U"][:, 1:3] += 10.0
    path = tmp_path / f"m{seed}.pt"
    torch.save(state, path)
    return path, state


@pytest.mark.parametrize("ties", [False, True])
def test_blocked_forward_and_numpy_argmax_equal_torch_argmax_of_all_logits(tmp_path, ties):
    path, state = _onelayer_file(tmp_path, 12, 3, ties=ties)
    model = load_model(path, "onelayer-mlp")
    n = 12
    a, b = torch.arange(n).repeat_interleave(n), torch.arange(n).repeat(n)
    u, v = state["W_x"].double() @ state["W"][:12].double(), state["W_y"].double() @ state["W"][12:].double()
    ref = (torch.relu(u.float()[a] + v.float()[b]) @ state["W_U"]).argmax(-1).reshape(n, n).numpy()
    if ties:
        assert set(np.unique(ref)) <= {1}  # the tie is real and resolved to the first label
    assert np.array_equal(model.predict_table(), ref)
    for chunk in (1, 200, 10**9):  # one row per block, a few rows, all rows at once
        assert np.array_equal(dataclasses.replace(model, chunk_elements=chunk).predict_table(), ref)


def test_a_shared_memo_gives_every_model_the_report_a_fresh_analysis_gives(tmp_path):
    G = group("S3")
    memo = TableMemo()
    rng = np.random.default_rng(0)
    paths = [_onelayer_file(tmp_path, 6, s)[0] for s in range(3)]
    for p in paths * 2:  # each table seen twice: the second time from the memo
        fresh = analyze_model(load_model(p, "onelayer-mlp"), G)
        shared = analyze_model(load_model(p, "onelayer-mlp"), G, memo=memo)
        assert fresh.labels == shared.labels and fresh.accuracy == shared.accuracy
        assert np.array_equal(fresh.element_of_label, shared.element_of_label)
        assert (fresh.repair is None) == (shared.repair is None) and fresh.repair_error == shared.repair_error
        assert np.array_equal(fresh.analysis.shares[0].winner_orbit, shared.analysis.shares[0].winner_orbit)
        assert json_text(fresh.to_json()) == json_text(shared.to_json())
    T = rng.permutation(6)[G.table]  # a table whose rows are not a group's: repaired or refused, once
    assert memo.group(G.table) is memo.group(G.table.copy())  # one group object per distinct table
    assert memo.repair(T, None) is memo.repair(T.copy(), None)
    H = memo.group(G.relabel(rng.permutation(6)).table)
    iso = memo.isomorphism(H, G)
    iso[:] = 0  # a caller's labelling is its own: the memo keeps the isomorphism
    again = memo.isomorphism(H, G)
    assert np.array_equal(G.table[np.ix_(again, again)], again[H.table])  # label x of H is element again[x] of G


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=5),
                     st.floats(allow_nan=True, allow_infinity=True),
                     st.floats(allow_nan=True, width=32).map(np.float32), st.integers(-99, 99).map(np.int64),
                     st.booleans().map(np.bool_))
_arrays = st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4).map(np.array)
_json_like = st.recursive(st.one_of(_scalars, _arrays), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-5, 5)), inner, max_size=4)), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(obj=_json_like, indent=st.sampled_from([None, 2]))
def test_json_text_writes_what_json_safe_then_dumps_writes(obj, indent):
    assert json_text(obj, indent=indent) == json.dumps(json_safe(obj), allow_nan=False, indent=indent)


def test_json_text_maps_non_finite_floats_and_numpy_keys_like_json_safe():
    obj = {"a": [1.0, float("nan")], np.int64(3): np.array([np.inf, 2.0]), "b": (np.float32(0.5),)}
    assert json.loads(json_text(obj)) == {"a": [1.0, None], "3": [None, 2.0], "b": [0.5]}


def test_forward_threads_follow_the_size_and_the_free_cores():
    assert forward_threads("auto", 10, 10, 10, cores=16) == 1  # a tiny evaluation: one thread
    assert forward_threads("auto", 60**2, 128, 60, cores=64) == 60**2 * 128 * 60 // MACS_PER_THREAD  # A5: 3
    assert forward_threads("auto", 720**2, 128, 720, cores=2) == 2  # never more than the free cores
    assert forward_threads(3, 10, 10, 10) == 3 and forward_threads("4", 1, 1, 1) == 4
    assert 1 <= available_cores()
    own = _own_load()
    assert own >= 0.0 and math.isfinite(own)


def test_shared_values_are_spliced_back_to_the_same_text():
    from grokcheck.checks._io import json_text_shared, shared_placeholder

    big = [[1.0, 0.0], [float("nan"), 2.5], {"a": np.float32(0.5)}]
    ph = [shared_placeholder(i) for i in range(2)]
    obj = {"files": [{"x": ph[0]}, {"x": ph[0], "y": ph[1]}, {"x": "a string like a placeholder: grokcheck-shared"}]}
    full = {"files": [{"x": big}, {"x": big, "y": (1, 2)}, obj["files"][2]]}
    assert json_text_shared(obj, {ph[0]: big, ph[1]: (1, 2)}) == json_text(full)
    assert ph[0] != ph[1] and json.dumps(ph[1]) not in json.dumps(ph[0])  # no placeholder is part of another


def test_cli_json_equals_the_plain_encoding_of_the_report(tmp_path, monkeypatch, capsys):
    import grokcheck.checks.cli.analyze as cli_analyze
    from grokcheck.checks.cli import main

    seen = {}
    original = cli_analyze._compact_json

    def spy(out, reports):
        seen["plain"] = json_text(out)
        return original(out, reports)

    monkeypatch.setattr(cli_analyze, "_compact_json", spy)
    paths = [str(_onelayer_file(tmp_path, 6, s)[0]) for s in range(3)]
    assert main(["analyze", *paths, paths[0], "--format", "onelayer-mlp", "S3", "--json"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == seen["plain"]
    files = json.loads(printed)["files"]
    assert files[3]["irreps"] == files[0]["irreps"] and len(files[0]["irreps"]) == 3  # S3's three irreps, each place
