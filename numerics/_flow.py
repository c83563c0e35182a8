"""The Stage I flow of He et al.: Riemannian ascent of Ω on a product of spheres.

Per neuron and per vector ``ν ∈ {θ¹, θ², ξ}`` on its own unit sphere (He et al., arXiv 2606.02993, the Stage I flow)

    ν̇ = ∇_νΩ − ⟨ν, ∇_νΩ⟩ ν / ‖ν‖²     (= ∇_νΩ − Ω ν on the sphere),

or, with ``sphere="joint"`` (the authors' code, He et al., arXiv 2606.02993, the model), ``w = [θ¹; θ²]`` on one
sphere: ``ẇ = ∇_wΩ − 2Ω w / ‖w‖²``. The field is tangent, so ``‖ν‖`` is conserved
exactly and ``Ω`` is non-decreasing.

Two coordinate systems integrate the same ODE:

* ``domain="parameter"``: the vectors themselves, gradients by gathering over the table
  (cost ``O(n g²)`` per evaluation for ``n`` neurons);
* ``domain="fourier"``: the closed block ODE ``θ̂¹' = |G|⁻¹θ̂²^*ξ̂ − Ωθ̂¹`` etc. on all
  irreps at once (cost ``O(n Σ_ρ d_ρ³)``), with ``⟨u, v⟩ = |G| Σ_ρ d_ρ Re tr(û v̂^*)``.

Integrators (``method=``): ``"RK45"``/``"DOP853"`` adaptive ``scipy.integrate.solve_ivp``
on segments between save times with renormalisation at each save; ``"retraction"``:
fixed-step RK4 followed by the retraction ``ν ↦ ν/‖ν‖`` after every step (for large
populations).

Shapes: ``g`` group order, ``n`` neurons. References: He et al., arXiv 2606.02993 (the model and the Stage I flow);
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from grokcheck.errors import NumericalFailure
from grokcheck.numerics._omega import omega, omega_gradients

__all__ = [
    "StageOneFlow",
    "FlowMonitors",
    "FlowSolution",
    "integrate",
    "spherical_init",
]

_DOMAINS = ("parameter", "fourier")
_SPHERES = ("separate", "joint")
_METHODS = ("RK45", "DOP853", "retraction")


def spherical_init(neurons: int, order: int, *, seed: int, sphere: str = "separate"):
    """Uniform initialisation on the spheres (normalised Gaussians).

    Returns ``(theta1, theta2, xi)``, each ``(neurons, order)`` float64. With
    ``sphere="separate"`` each vector is on ``S^{g-1}``; with ``"joint"``,
    ``[θ¹; θ²]`` is uniform on ``S^{2g-1}`` and ``ξ`` on ``S^{g-1}``.
    """
    if sphere not in _SPHERES:
        raise ValueError(f"sphere must be one of {_SPHERES}, got {sphere!r}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, neurons, order))
    if sphere == "separate":
        x /= np.linalg.norm(x, axis=2, keepdims=True)
    else:
        w = np.concatenate([x[0], x[1]], axis=1)
        w /= np.linalg.norm(w, axis=1, keepdims=True)
        x[0], x[1] = w[:, :order], w[:, order:]
        x[2] /= np.linalg.norm(x[2], axis=1, keepdims=True)
    return x[0].copy(), x[1].copy(), x[2].copy()


# ======================================================================= fields
class _ParameterField:
    def __init__(self, G, sphere):
        self.G, self.sphere, self.g = G, sphere, G.order

    def encode(self, t1, t2, xi):
        return np.stack([t1, t2, xi]).astype(np.float64)  # (3, n, g)

    def decode(self, s):
        return s[0].copy(), s[1].copy(), s[2].copy()

    def sq_norms(self, s):
        return np.einsum("vng,vng->vn", s, s)

    def omega(self, s):
        return omega(self.G, s[0], s[1], s[2])

    def grads(self, s):
        return np.stack(omega_gradients(self.G, s[0], s[1], s[2]))

    def realify(self, s):
        return s


class _FourierField:
    """Blocks grouped by irrep dimension: ``{d: (3, n, k_d, d, d)}`` complex."""

    def __init__(self, G, sphere):
        self.G, self.sphere, self.g = G, sphere, G.order
        irreps = G.irreps
        dims = sorted({int(r.dim) for r in irreps})
        self.groups = []
        inv = G.inverses
        for d in dims:
            idx = [i for i, r in enumerate(irreps) if int(r.dim) == d]
            mats = np.stack([np.asarray(irreps[i].matrices) for i in idx])  # (k, g, d, d)
            nontrivial = np.array([i != 0 for i in idx])
            self.groups.append((d, idx, mats, mats[:, inv], nontrivial))
        # (g, k d d) forward and (k d d, g) backward matrices for BLAS transforms
        self._fwd, self._bwd = {}, {}
        for d, _, m, minv, _ in self.groups:
            fw = np.transpose(minv, (1, 0, 2, 3)).reshape(self.g, -1) / self.g
            bw = d * np.transpose(m, (0, 3, 2, 1)).reshape(-1, self.g)
            self._fwd[d] = (np.ascontiguousarray(fw.real), np.ascontiguousarray(fw.imag))
            self._bwd[d] = (np.ascontiguousarray(bw.real), np.ascontiguousarray(bw.imag))

    def encode(self, t1, t2, xi):
        x = np.stack([t1, t2, xi]).astype(np.float64)
        n = x.shape[1]
        flat = x.reshape(3 * n, self.g)
        out = {}
        for d, idx, _, _, _ in self.groups:
            fr, fi = self._fwd[d]
            # real @ complex would leave BLAS in numpy: split into two real products
            out[d] = ((flat @ fr) + 1j * (flat @ fi)).reshape(3, n, len(idx), d, d)
        return out

    def decode(self, s):
        out = None
        for d, idx, _, _, _ in self.groups:
            b = s[d]
            br, bi = self._bwd[d]
            flat = b.reshape(3 * b.shape[1], -1)
            term = flat.real @ br - flat.imag @ bi  # the real part of flat @ bwd
            out = term if out is None else out + term
        out = out.reshape(3, -1, self.g)
        return out[0].copy(), out[1].copy(), out[2].copy()

    def realify(self, s):
        """Project onto the Fourier images of real vectors (kills round-off drift)."""
        return self.encode(*self.decode(s))

    def sq_norms(self, s):
        return sum(self.g * d * np.einsum("vnkij,vnkij->vn", s[d].conj(), s[d]).real for d, *_ in self.groups)

    def _omega_and_products(self, s):
        om = 0.0
        for d, _, _, _, nt in self.groups:
            A, B, C = s[d][0], s[d][1], s[d][2]
            P = B @ A
            om = om + d * np.einsum("nkij,nkij,k->n", C.conj(), P, nt).real
        return om

    def omega(self, s):
        return np.asarray(self._omega_and_products(s))

    def grads(self, s):
        out = {}
        for d, _, _, _, nt in self.groups:
            A, B, C = s[d][0], s[d][1], s[d][2]
            Ah = np.conj(np.swapaxes(A, -1, -2))
            Bh = np.conj(np.swapaxes(B, -1, -2))
            gr = np.stack([Bh @ C, C @ Ah, B @ A]) / self.g
            gr *= nt[None, None, :, None, None]
            out[d] = gr
        return out


def _field(G, domain, sphere):
    if domain not in _DOMAINS:
        raise ValueError(f"domain must be one of {_DOMAINS}, got {domain!r}")
    if sphere not in _SPHERES:
        raise ValueError(f"sphere must be one of {_SPHERES}, got {sphere!r}")
    return _ParameterField(G, sphere) if domain == "parameter" else _FourierField(G, sphere)


# state helpers that work for both representations (ndarray or dict of ndarrays)
def _map(f, s, *others):
    if isinstance(s, dict):
        return {k: f(s[k], *(o[k] for o in others)) for k in s}
    return f(s, *others)


def _scale(s, coef):
    """Multiply vector v of neuron n by coef[v, n]."""
    if isinstance(s, dict):
        return {k: s[k] * coef[:, :, None, None, None] for k in s}
    return s * coef[:, :, None]


def _flatten(s):
    if isinstance(s, dict):
        return np.concatenate([s[k].ravel() for k in sorted(s)])
    return s.ravel()


def _unflatten(y, like):
    if isinstance(like, dict):
        out, i = {}, 0
        for k in sorted(like):
            sz = like[k].size
            out[k] = y[i : i + sz].reshape(like[k].shape)
            i += sz
        return out
    return y.reshape(like.shape)


@dataclass(frozen=True)
class StageOneFlow:
    """The Stage I Riemannian flow of Ω (He et al., arXiv 2606.02993, the Stage I flow) for a group.

    Parameters
    ----------
    group : FiniteGroup.
    domain : ``"fourier"`` (closed block ODE, needs ``group.irreps``) or ``"parameter"``.
    sphere : ``"separate"`` (one sphere per vector, the paper) or ``"joint"``
        (``[θ¹; θ²]`` on one sphere, the authors' code).
    """

    group: Any
    domain: str = "fourier"
    sphere: str = "separate"

    def __post_init__(self):
        if self.domain not in _DOMAINS:
            raise ValueError(f"domain must be one of {_DOMAINS}, got {self.domain!r}")
        if self.sphere not in _SPHERES:
            raise ValueError(f"sphere must be one of {_SPHERES}, got {self.sphere!r}")

    def _impl(self):
        return _field(self.group, self.domain, self.sphere)

    def vector_field(self, theta1, theta2, xi):
        """The tangent field in parameter coordinates: three ``(n, g)`` arrays."""
        f = self._impl()
        s = f.encode(theta1, theta2, xi)
        return f.decode(_rhs(f, s))


def _rhs(f, s):
    """Projected gradient (tangent to the spheres)."""
    om = f.omega(s)  # (n,)
    gr = f.grads(s)
    nrm = f.sq_norms(s)  # (3, n)
    if f.sphere == "separate":
        coef = -om[None, :] / nrm
    else:
        cw = -2.0 * om / (nrm[0] + nrm[1])
        coef = np.stack([cw, cw, -om / nrm[2]])
    return _map(lambda a, b: a + b, gr, _scale(s, coef))


def _retract(f, s):
    nrm = f.sq_norms(s)
    if f.sphere == "separate":
        coef = 1.0 / np.sqrt(nrm)
    else:
        cw = 1.0 / np.sqrt(nrm[0] + nrm[1])
        coef = np.stack([cw, cw, 1.0 / np.sqrt(nrm[2])])
    return _scale(s, coef), nrm


def _norm_error(f, nrm):
    if f.sphere == "separate":
        return float(np.max(np.abs(np.sqrt(nrm) - 1.0)))
    return float(max(np.max(np.abs(np.sqrt(nrm[0] + nrm[1]) - 1.0)), np.max(np.abs(np.sqrt(nrm[2]) - 1.0))))


def _tangent_speed(f, s):
    """Per-neuron norm of the tangent field (parameter-space norm), ``(n,)``."""
    v = _rhs(f, s)
    return np.sqrt(np.sum(f.sq_norms(v), axis=0))


@dataclass(frozen=True)
class FlowMonitors:
    """Invariant monitors of one integration, reported as values (never raised).

    Attributes
    ----------
    omega_max_decrease : largest decrease of any neuron's Ω between consecutive saves (≥ 0;
        0 means Ω never decreased).
    omega_max_decrease_time : the save time at which it happened (NaN if none).
    norm_max_error : largest ``|‖ν‖ − 1|`` seen just before a renormalisation (the drift of
        the integrator off the spheres; the renormalisation then removes it).
    norm_max_error_time : when it happened.
    final_norm_error : ``|‖ν‖ − 1|`` of the returned state (after the last renormalisation).
    final_speed : ``max_n ‖ν̇‖`` at the final state (0 at an equilibrium).
    """

    omega_max_decrease: float
    omega_max_decrease_time: float
    norm_max_error: float
    norm_max_error_time: float
    final_speed: float
    final_norm_error: float = 0.0

    def ok(self, *, omega_tol: float = 1e-12, norm_tol: float = 1e-8) -> bool:
        return self.omega_max_decrease <= omega_tol and self.norm_max_error <= norm_tol

    def to_json(self) -> dict:
        return {k: float(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class FlowSolution:
    """Result of :func:`integrate`.

    Attributes
    ----------
    status : ``"converged"`` (stopped by ``speed_tol``), ``"t1_reached"``,
        ``"nan_encountered"`` or ``"solver_failed"``.
    ts : ``(T,)`` save times (0 first).
    omega : ``(T, n)`` Ω of every neuron at the save times.
    theta1, theta2, xi : ``(n, g)`` final state in parameter coordinates.
    monitors : :class:`FlowMonitors`.
    stats : ``{"rhs_evals", "steps", "wall_s"}``; ``steps`` counts RK4 steps for
        ``"retraction"`` and solver segments (between saves) for the adaptive methods.
    """

    status: str
    ts: np.ndarray
    omega: np.ndarray
    theta1: np.ndarray
    theta2: np.ndarray
    xi: np.ndarray
    monitors: FlowMonitors
    stats: dict = field(default_factory=dict)
    domain: str = "fourier"
    sphere: str = "separate"
    method: str = "RK45"

    @property
    def ok(self) -> bool:
        return self.status in ("converged", "t1_reached")

    @property
    def t_final(self) -> float:
        return float(self.ts[-1])


def integrate(
    flow: StageOneFlow,
    x0,
    *,
    t1: float,
    saves: int = 100,
    method: str = "RK45",
    rtol: float = 1e-9,
    atol: float = 1e-12,
    dt: float | None = None,
    speed_tol: float | None = None,
    realify_every: int = 8,
    progress: bool = False,
    throw: bool = True,
) -> FlowSolution:
    """Integrate the Stage I flow from ``x0 = (theta1, theta2, xi)`` (each ``(n, g)``).

    Parameters
    ----------
    t1 : final flow time (the rescaled time of He et al., arXiv 2606.02993, the Stage I flow).
    saves : number of save intervals on ``[0, t1]`` (uniform). The state is renormalised
        (retracted) at every save; monitors are evaluated there.
    method : ``"RK45"``, ``"DOP853"`` (adaptive, ``rtol``/``atol``) or ``"retraction"``
        (fixed-step RK4 + retraction with step ``dt``; default ``dt = |G|^{3/2}/4``, a
        quarter of the time scale ``1/Ω*``).
    realify_every : (Fourier domain, ``"retraction"``) project the blocks back onto the
        Fourier images of real vectors every this many steps; adaptive methods do it at
        every save. The complexified block ODE is not stable in the imaginary directions,
        so round-off would otherwise grow.
    speed_tol : stop early (status ``"converged"``) once ``max_n ‖ν̇_n‖ ≤ speed_tol``
        at a save.
    progress : show a tqdm bar over integration time.
    throw : raise :class:`~grokcheck.errors.NumericalFailure` on ``nan_encountered`` /
        ``solver_failed`` (otherwise return the status).
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    f = flow._impl()
    if not (np.isfinite(t1) and t1 > 0) or int(saves) < 1:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"integrate needs a finite flow time t1 > 0 and saves ≥ 1, got t1={t1!r}, "
                                f"saves={saves!r}", option="t1")
    t1_ = [np.asarray(a, dtype=np.float64) for a in x0]
    s, _ = _retract(f, f.encode(*t1_))
    n = t1_[0].shape[0]
    edges = np.linspace(0.0, float(t1), int(saves) + 1)
    ts, oms = [0.0], [f.omega(s)]
    dec, dec_t, nerr, nerr_t = 0.0, float("nan"), 0.0, 0.0
    rhs_evals, steps = 0, 0
    status = "t1_reached"
    if dt is None:
        dt = flow.group.order**1.5 / 4.0
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=float(t1),
            desc=f"flow {flow.domain}",
            leave=False,
            bar_format="{l_bar}{bar}| t={n:.4g}/{total:.4g} [{elapsed}<{remaining}]",
        )
    if not np.all(np.isfinite(oms[0])):
        status = "nan_encountered"
        edges = edges[:1]
    try:
        for a, b in zip(edges[:-1], edges[1:]):
            if method == "retraction":
                k = max(1, int(np.ceil((b - a) / dt)))
                h = (b - a) / k
                for _ in range(k):
                    k1 = _rhs(f, s)
                    k2 = _rhs(f, _map(lambda x, y: x + 0.5 * h * y, s, k1))
                    k3 = _rhs(f, _map(lambda x, y: x + 0.5 * h * y, s, k2))
                    k4 = _rhs(f, _map(lambda x, y: x + h * y, s, k3))
                    s = _map(lambda x, p, q, r, u: x + (h / 6.0) * (p + 2 * q + 2 * r + u), s, k1, k2, k3, k4)
                    if steps % realify_every == realify_every - 1:
                        s = f.realify(s)
                    s, nrm = _retract(f, s)
                    e = _norm_error(f, nrm)
                    if e > nerr:
                        nerr, nerr_t = e, float(a)
                    rhs_evals += 4
                    steps += 1
            else:
                like = s

                def fun(_t, y):
                    return _flatten(_rhs(f, _unflatten(y, like)))

                sol = solve_ivp(fun, (a, b), _flatten(s), method=method, rtol=rtol, atol=atol, t_eval=[b])
                rhs_evals += int(sol.nfev)
                steps += 1
                if sol.status != 0:
                    status = "solver_failed"
                    break
                s = f.realify(_unflatten(sol.y[:, -1], like))
                s, nrm = _retract(f, s)
                e = _norm_error(f, nrm)
                if e > nerr:
                    nerr, nerr_t = e, float(b)
            om = f.omega(s)
            if not np.all(np.isfinite(om)):
                status = "nan_encountered"
                break
            drop = float(np.max(oms[-1] - om))
            if drop > dec:
                dec, dec_t = drop, float(b)
            ts.append(float(b))
            oms.append(om)
            if bar is not None:
                bar.update(float(b - a))
            if speed_tol is not None and float(np.max(_tangent_speed(f, s))) <= speed_tol:
                status = "converged"
                break
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - start
    th1, th2, xi = f.decode(s)
    speed = float(np.max(_tangent_speed(f, s))) if status not in ("nan_encountered",) else float("nan")
    fin = f.sq_norms(s)
    fin_err = _norm_error(f, fin) if np.all(np.isfinite(fin)) else float("nan")
    mon = FlowMonitors(dec, dec_t, nerr, nerr_t, speed, fin_err)
    out = FlowSolution(
        status=status,
        ts=np.asarray(ts),
        omega=np.asarray(oms).reshape(len(ts), n),
        theta1=th1,
        theta2=th2,
        xi=xi,
        monitors=mon,
        stats={"rhs_evals": rhs_evals, "steps": steps, "wall_s": wall},
        domain=flow.domain,
        sphere=flow.sphere,
        method=method,
    )
    if throw and not out.ok:
        raise NumericalFailure(
            f"Stage I flow ({flow.domain}, {method}) ended with status {status!r} at t={out.t_final:g}",
            where={"t": out.t_final, "status": status},
        )
    return out


@dataclass(frozen=True)
class StageOneRun:
    """A Stage I experiment: the flow solution, the measurements and the predictions."""

    group_name: str
    neurons: int
    seed: int
    solution: FlowSolution
    measurements: Any
    predictions: Any

    def acceptance(self, *, purity: float = 0.999, omega_tol: float = 1e-6, align: float = 0.999, rank_tol: float = 1e-3) -> dict:
        """The issue-4 acceptance checks as values: ``{name: (passed, worst value)}``.

        Rank: ``σ₂/σ₁ ≤ rank_tol`` for winners with ι ≠ −1 and ``≥ 1 − rank_tol`` for ι = −1.
        """
        m = self.measurements
        fs = m.orbit_fs[m.winner_orbit]
        quat = fs == -1
        rr_std = float(np.max(m.rank_ratio[~quat])) if np.any(~quat) else 0.0
        rr_q = float(np.min(m.rank_ratio[quat])) if np.any(quat) else 1.0
        return {
            "purity_min": (bool(m.purity.min() >= purity), float(m.purity.min())),
            "omega_error_max": (bool(m.omega_error.max() <= omega_tol), float(m.omega_error.max())),
            "align_re_min": (bool(m.align_re.min() >= align), float(m.align_re.min())),
            "rank_ratio_max_non_quaternionic": (bool(rr_std <= rank_tol), rr_std),
            "rank_ratio_min_quaternionic": (bool(rr_q >= 1 - rank_tol), rr_q),
            "omega_monotone": (bool(self.solution.monitors.omega_max_decrease <= 1e-12), self.solution.monitors.omega_max_decrease),
            "norms": (bool(self.solution.monitors.final_norm_error <= 1e-12), self.solution.monitors.final_norm_error),
        }

    def to_json(self) -> dict:
        s = self.solution
        return {
            "group": self.group_name,
            "neurons": self.neurons,
            "seed": self.seed,
            "domain": s.domain,
            "sphere": s.sphere,
            "method": s.method,
            "status": s.status,
            "t_final": s.t_final,
            "stats": {k: float(v) for k, v in s.stats.items()},
            "monitors": s.monitors.to_json(),
            "acceptance": {k: {"passed": v[0], "value": v[1]} for k, v in self.acceptance().items()},
            "predictions": self.predictions.to_json(),
            "measurements": self.measurements.to_json(),
            "ts": s.ts.tolist(),
            "omega": s.omega.tolist(),
        }


def run_stage_one(
    G,
    *,
    neurons: int = 256,
    seed: int = 0,
    domain: str = "fourier",
    sphere: str = "separate",
    method: str = "RK45",
    t1: float | None = None,
    saves: int = 200,
    progress: bool = False,
    throw: bool = True,
) -> StageOneRun:
    """Integrate the Stage I flow from uniform spherical initialisation and measure.

    ``t1`` defaults to ``400 |G|^{3/2}`` (flow-time unit ``1/Ω* ~ |G|^{3/2}``); the run
    stops earlier once every neuron's speed is below ``1e-9 |G|^{-3/2}`` (status
    ``"converged"``).
    """
    from grokcheck.numerics._measurements import measure_neurons
    from grokcheck.numerics._predictions import predictions

    g = G.order
    if int(neurons) < 1 or int(seed) < 0:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"run_stage_one needs neurons ≥ 1 and seed ≥ 0, got neurons={neurons}, seed={seed}")
    x0 = spherical_init(neurons, g, seed=seed, sphere=sphere)
    t1 = 400.0 * g**1.5 if t1 is None else float(t1)
    sol = integrate(
        StageOneFlow(G, domain=domain, sphere=sphere),
        x0,
        t1=t1,
        saves=saves,
        method=method,
        rtol=1e-8,
        atol=1e-11,
        speed_tol=1e-9 * g**-1.5,
        progress=progress,
        throw=throw,
    )
    meas = measure_neurons(G, sol.theta1, sol.theta2, sol.xi)
    return StageOneRun(str(G), neurons, seed, sol, meas, predictions(G))
