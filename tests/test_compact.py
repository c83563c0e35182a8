"""SO(2), O(2), SO(3): real irreps, exact Haar quadrature, Fourier inversion, branching to finite subgroups."""

import numpy as np
import pytest

from grokcheck.theory import identify
from grokcheck.theory.compact import (
    O2,
    SO2,
    SO3,
    branching,
    finite_subgroup,
    orthogonality_residual,
    representation_residuals,
)

# float64 matrix products and exponentials of size ≤ 21: rounding is ~1e-14; the bound is 1e-12
TOL = 1e-12


@pytest.mark.parametrize("G, L", [(SO2, 8), (O2, 8), (SO3, 4)])
def test_schur_orthogonality_on_the_haar_grid(G, L):
    assert orthogonality_residual(G, L) <= TOL


@pytest.mark.parametrize("G, L", [(SO2, 10), (O2, 10), (SO3, 10)])
def test_homomorphism_and_unitarity_residuals(G, L):
    mats, _ = G.haar_grid(3 if G is SO3 else L)
    for label in G.labels(L):
        res = representation_residuals(G, label, mats)
        assert max(res.values()) <= TOL, (label, res)


def test_wigner_d1_is_the_rotation_itself():
    mats, _ = SO3.haar_grid(3)
    Q = np.array([[0, 1, 0], [0, 0, -1], [-1, 0, 0]])
    assert np.max(np.abs(SO3.representation(1, mats) - Q @ mats @ Q.T)) <= TOL


def test_fourier_inversion_on_so3():
    L = 3
    mats, w = SO3.haar_grid(L)
    rng = np.random.default_rng(0)
    coeffs = {l: rng.standard_normal((2 * l + 1, 2 * l + 1)) for l in range(L + 1)}
    f = SO3.inverse_fourier_transform(coeffs, mats)  # a band-limited function on the grid
    back = SO3.fourier_transform(f, mats, w, L)
    assert max(np.max(np.abs(back[l] - coeffs[l])) for l in coeffs) <= 1e-11  # sums of ~10⁴ terms


def test_icosahedral_branching_up_to_l10():
    I = finite_subgroup("I")
    H = None
    trivial_at = []
    for l in range(11):
        b = branching(SO3, l, I, H=H)
        H = b.group
        assert max(b.residuals.values()) <= 1e-9  # the certificate's integrality bound
        degrees = H.character_table.degrees
        assert int(b.multiplicities @ degrees) == 2 * l + 1
        if b.multiplicities[0]:
            trivial_at.append(l)
    assert identify(H) == "A5"
    # icosahedral invariants among the harmonics of degree ≤ 10 exist for l = 0, 6, 10 only (Molien series)
    assert trivial_at == [0, 6, 10]
    # l = 1 restricts to an irreducible 3-dimensional representation, l = 2 to the 5-dimensional one
    assert branching(SO3, 1, I, H=H).multiplicities.tolist().count(1) == 1
    assert H.character_table.degrees[np.argmax(branching(SO3, 2, I, H=H).multiplicities)] == 5


@pytest.mark.parametrize("kind, name", [("T", "A4"), ("O", "S4"), ("D", "S3")])
def test_other_rotation_groups(kind, name):
    M = finite_subgroup(kind, 3) if kind == "D" else finite_subgroup(kind)
    b = branching(SO3, 2, M)
    assert identify(b.group) == name and int(b.multiplicities @ b.group.character_table.degrees) == 5


@pytest.mark.parametrize("n", [5, 6])
def test_o2_to_dihedral(n):
    M = finite_subgroup("D2d", n)
    H = None
    for k in range(1, 13):
        b = branching(O2, k, M, H=H)
        H = b.group
        degs = H.character_table.degrees
        assert int(b.multiplicities @ degs) == 2
        irreducible = k % n != 0 and (n % 2 or k % n != n // 2)
        assert (b.multiplicities[degs == 2].sum() == 1) == irreducible
    assert identify(H) == f"D{n}"
    det = branching(O2, "det", M, H=H)  # the sign of the reflections: a non-trivial linear character
    assert det.multiplicities[0] == 0 and int(det.multiplicities @ H.character_table.degrees) == 1


def test_so2_to_cyclic():
    n = 6
    M = finite_subgroup("C2d", n)
    for k in range(0, 13):
        b = branching(SO2, k, M)
        assert int(b.multiplicities.sum()) == (1 if k == 0 else 2)
        if k % n == 0:
            assert b.multiplicities[0] == (1 if k == 0 else 2)


@pytest.mark.parametrize("beta", [0.0, 1e-12, 1e-9, 1e-7, 1e-5])
def test_wigner_d_is_accurate_at_the_euler_singularity(beta):
    # within ~1e-7 of β = 0 or π scipy's z-y-z Euler angles drop a rotation of size β; D^l must not
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(3)
    a, g = rng.uniform(0, 2 * np.pi, 40), rng.uniform(0, 2 * np.pi, 40)
    S = Rotation.random(40, random_state=4).as_matrix()
    Q = np.array([[0.0, 1, 0], [0, 0, -1], [-1, 0, 0]])  # D^1(R) = Q R Qᵀ (module docstring)
    for b in (beta, np.pi - beta):
        R = Rotation.from_euler("ZYZ", np.stack([a, np.full(40, b), g], 1)).as_matrix()
        assert np.max(np.abs(SO3.representation(1, R) - Q @ R @ Q.T)) < 1e-13  # rounding of 3×3 products
        for l in (2, 4):
            hom = SO3.representation(l, R) @ SO3.representation(l, S) - SO3.representation(l, R @ S)
            assert np.max(np.abs(hom)) < 1e-12, l  # rounding of d×d eigendecompositions, d ≤ 9
