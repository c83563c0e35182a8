"""identify(G) and isomorphism(G, H): names recovered from relabelled tables, proved by explicit maps."""

import numpy as np
import pytest

from grokcheck.checks.cli import main
from grokcheck.errors import GroupInputError
from grokcheck.theory import FiniteGroup, abelian_invariants, group, identify, isomorphism
from grokcheck.theory._names import named_factors


def _shuffled(G, seed=0):
    return FiniteGroup(G.relabel(np.random.default_rng(seed).permutation(G.order)).table)


def _is_isomorphism(phi, G, H):
    return (
        phi is not None
        and np.unique(phi).size == G.order
        and np.array_equal(phi[G.table], H.table[phi[:, None], phi[None, :]])
    )


@pytest.mark.parametrize("name", [n for n, o, _, _ in named_factors(64)][::3] + ["A5", "S5", "SL(2,5)", "PSL(2,7)"])
def test_every_named_factor_is_recognised_from_a_shuffled_table(name):
    G = _shuffled(group(name), seed=len(name))
    found = identify(G)
    assert found is not None
    H = group(found)
    assert _is_isomorphism(isomorphism(G, H), G, H)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("D3", "S3"), ("PSL(2,3)", "A4"), ("PSL(2,5)", "A5"), ("Dic2", "Q8"), ("C2xS3", "D6"),
        ("C7:C3", "F21"), ("C2xC3xC2", "C2xC6"), ("C3xS3", "S3xC3"), ("S3xS3", "S3xS3"),
        ("Q8xC2", "Q8xC2"), ("C9:C6", "C9:C6"), ("D1", "C2"), ("C1", "C1"), ("S4xC2xC2", "S4xC2xC2"),
    ],
)
def test_canonical_names(name, expected):
    assert identify(_shuffled(group(name))) == expected


def test_abelian_invariants():
    assert abelian_invariants(group("C2xC3xC2")) == (2, 6)
    assert abelian_invariants(group("C4xC2xC8")) == (2, 4, 8)
    assert abelian_invariants(group("C1")) == ()


def _c4_semidirect_c4():
    """C4 ⋊ C4 with the generator of the right factor inverting (GAP's SmallGroup(16,4)): no family, no product."""
    idx = [(a, b) for b in range(4) for a in range(4)]
    pos = {x: i for i, x in enumerate(idx)}
    t = [[pos[((a + (-1) ** b * c) % 4, (b + d) % 4)] for (c, d) in idx] for (a, b) in idx]
    return FiniteGroup.from_table(t)


def test_unnamed_groups_are_not_identified():
    G = _c4_semidirect_c4()
    assert G.order == 16 and not G.is_abelian
    assert identify(G) is None
    # two non-isomorphic groups with the same order and class signature: no isomorphism
    assert isomorphism(group("D4"), group("Q8")) is None


def test_semidirect_names():
    assert np.array_equal(group("C7:C3").table, group("F21").table)
    assert isomorphism(group("C5:C4"), group("F20")) is not None
    assert str(group("C7:C3")) == "C7:C3" and group("C3:C2").num_classes == 3
    with pytest.raises(GroupInputError, match="ambiguous"):
        group("C8:C2")
    with pytest.raises(GroupInputError, match="no element of order 4"):
        group("C7:C4")


def test_identify_cli(tmp_path, capsys):
    import json

    G = _shuffled(group("S4"), seed=3)
    path = tmp_path / "s4.json"
    path.write_text(json.dumps(G.table.tolist()))
    assert main(["identify", "--cayley", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "S4"
    phi = np.array(data["isomorphism"])
    assert _is_isomorphism(phi, G, group("S4"))
    assert main(["identify", "--perms", "(1,2,3,4,5,6,7)", "(2,3,5)(4,7,6)"]) == 0
    assert capsys.readouterr().out.startswith("F21")
    path2 = tmp_path / "c4c4.json"
    path2.write_text(json.dumps(_c4_semidirect_c4().table.tolist()))
    assert main(["identify", "--cayley", str(path2)]) == 1


def test_large_permutation_groups_by_order():
    from grokcheck.theory import PermutationGroup, large_group

    assert identify(large_group("S8")) == "S8" and identify(large_group("A8")) == "A8"
    assert identify(PermutationGroup.from_permutations(["(1,2,3,4,5,6,7,8,9,10,11)", "(3,7,11,8)(4,10,5,6)"])) is None
