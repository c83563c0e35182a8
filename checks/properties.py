"""Property-based testing of trained networks: draw a training setup, train it, test a property.

Three parts, usable in a user's own ``@given`` test (docs/properties.md walks through them):

* :func:`trainings` – a hypothesis strategy over whole training setups
  (:class:`TrainingSetup`: group, model, width, optimizer, step budget, seeds). Each part is
  drawn from a sorted list or a strategy, so a failing property shrinks towards the smallest
  group, the smallest width and the fewest steps, and the counterexample hypothesis reports is
  the smallest setting that breaks it.
* :func:`train_setting` – trains a setup as one batched model over its seeds (and the same
  configuration for zero steps: its random-init baseline) and caches both on disk by a content
  hash of the setup, so a re-run, or a shrink step that revisits a setting, costs a file read.
  The cache holds plain arrays (``.npz`` read with ``allow_pickle=False``): loading it cannot
  run code.
* properties of a :class:`TrainedModel`, each raising :class:`PropertyFailure` (an
  ``AssertionError``) whose message names the setting, the seeds, the statistic and the
  baseline: the invariances of the measured statistics under relabelling the group's elements
  (:func:`assert_relabelling_invariant`), permuting hidden neurons
  (:func:`assert_neuron_permutation_invariant`) and rescaling ReLU neurons
  (:func:`assert_rescaling_invariant`); "the statistic beats its random-init baseline"
  (:func:`assert_beats_baseline`); and "a registered claim holds on this network"
  (:func:`assert_claim_holds`).

:func:`register_profiles` registers hypothesis profiles sized for these searches
(``grokcheck-cpu``, ``grokcheck-gpu``); grokcheck's pytest plugin registers them, so a user's
suite can pass ``--hypothesis-profile=grokcheck-cpu``.

>>> from hypothesis import given
>>> from grokcheck.checks.properties import trainings, train_setting, assert_beats_baseline
>>> @given(trainings(widths=[8, 16], budgets=[300]))
... def test_single_irrep(setup):
...     assert_beats_baseline(train_setting(setup))
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "MODELS",
    "PROFILES",
    "PropertyFailure",
    "TrainingSetup",
    "TrainedModel",
    "trainings",
    "train_setting",
    "default_cache_dir",
    "register_profiles",
    "invariant_statistics",
    "assert_same_statistics",
    "relabelled",
    "permuted_neurons",
    "rescaled_neurons",
    "assert_relabelling_invariant",
    "assert_neuron_permutation_invariant",
    "assert_rescaling_invariant",
    "assert_beats_baseline",
    "assert_claim_holds",
]

#: the architectures :func:`trainings` draws: He et al.'s quadratic network (Stage I, separate
#: spheres) and a two-layer ReLU MLP on concatenated one-hot operands
MODELS = ("quadratic", "mlp")

#: the format of a cache file; part of the content hash, so a change of layout never reads an old file
CACHE_FORMAT = 1

#: He et al.'s notebook scale ``s_out·s_in² = 0.125`` of the quadratic model (as the verify checks use)
QUADRATIC_SCALE = 0.125

#: the default optimizer of a drawn setup: Adam at 1e-2. Property searches train for a few hundred
#: steps; at 1e-2 and 300 steps width-32 quadratic networks learn the tables of C4, S3 and C7
#: (train accuracy 1 on both seeds; measured with ``train_setting``), where He et al.'s 1e-3 is
#: tuned for 2000 steps.
DEFAULT_LR = 1e-2

#: one-sided significance level of :func:`assert_beats_baseline` (as the verify checks' ALPHA)
ALPHA = 0.01

#: shares are ratios of energies computed in float64 from the same weights taken in another order
#: (or scaled by c and 1/c): they agree to rounding, far below 1e-7
SHARE_ATOL = 1e-7


class PropertyFailure(AssertionError):
    """A property of a trained network does not hold; the message names the setting, the seeds,
    the statistic and its baseline. An ``AssertionError``, so pytest and hypothesis treat it as a
    failing example (and hypothesis shrinks it)."""


# --------------------------------------------------------------------------- setups


def _table_digest(G) -> str:
    t = np.ascontiguousarray(np.asarray(G.table, dtype=np.int64))
    return hashlib.sha256(t.tobytes()).hexdigest()[:16]


def _group_words(G) -> str:
    from grokcheck.checks._names import group_display_name

    return f"{group_display_name(G)} (order {G.order})"


@dataclass(frozen=True, eq=False)
class TrainingSetup:
    """Everything that determines one batched training run on a group's table.

    Attributes
    ----------
    group : the :class:`~grokcheck.theory.FiniteGroup` whose table is learned.
    model : ``"quadratic"`` (He et al.'s quadratic network, Stage I, float64) or ``"mlp"``
        (two-layer ReLU MLP, one-hot operands concatenated, float32).
    width : hidden neurons.
    optimizer : an :class:`~grokcheck.checks.training.OptimizerConfig`.
    steps : full-batch training steps.
    n_seeds, seed : ``n_seeds`` members of one batched model, drawn from the run seed ``seed``.
    train_fraction : the share of the |G|² pairs each seed trains on (1: the full table).
    """

    group: Any
    model: str
    width: int
    optimizer: Any
    steps: int
    n_seeds: int = 2
    seed: int = 0
    train_fraction: float = 1.0

    def __post_init__(self):
        from grokcheck.errors import InvalidInputError

        if self.model not in MODELS:
            raise InvalidInputError(f"model must be one of {MODELS}, got {self.model!r}", option="model")
        if int(self.width) < 1 or int(self.steps) < 0 or int(self.n_seeds) < 1:
            raise InvalidInputError(f"need width ≥ 1, steps ≥ 0 and n_seeds ≥ 1; got width {self.width}, "
                                    f"steps {self.steps}, n_seeds {self.n_seeds}")

    def config(self):
        """The :class:`~grokcheck.checks.training.TrainConfig` of this setup."""
        from grokcheck.checks.training._models import MLPConfig, QuadraticConfig
        from grokcheck.checks.training._train import TrainConfig

        quadratic = self.model == "quadratic"
        arch = QuadraticConfig(width=int(self.width), scale=QUADRATIC_SCALE) if quadratic else \
            MLPConfig(widths=(int(self.width),))
        return TrainConfig(model=arch, optimizer=self.optimizer, steps=int(self.steps), n_seeds=int(self.n_seeds),
                           seed=int(self.seed), eval_every=max(1, int(self.steps) // 10),
                           dtype="float64" if quadratic else "float32", plot=False, checkpoint_every=None)

    def task(self):
        """The :func:`~grokcheck.checks.training.group_task` of this setup."""
        from grokcheck.checks.training._data import group_task

        return group_task(self.group, train_fraction=float(self.train_fraction), n_seeds=int(self.n_seeds),
                          seed=int(self.seed))

    def spec(self) -> dict:
        """A JSON description that determines the run (the group by its name and table's hash)."""
        from grokcheck.checks._names import group_display_name

        return {"group": group_display_name(self.group), "order": int(self.group.order),
                "table_sha256": _table_digest(self.group), "model": self.model, "width": int(self.width),
                "optimizer": self.optimizer.to_dict(), "steps": int(self.steps), "n_seeds": int(self.n_seeds),
                "seed": int(self.seed), "train_fraction": float(self.train_fraction)}

    def describe(self) -> str:
        """The setup in one line, as failures print it."""
        o = self.optimizer
        wd = f", weight decay {o.weight_decay}" if o.weight_decay else ""
        split = "" if self.train_fraction == 1.0 else f", {self.train_fraction:g} of the table"
        return (f"{_group_words(self.group)}, {self.model} width {int(self.width)}, {o.name} lr {o.lr}{wd}, "
                f"{int(self.steps)} steps{split}, {int(self.n_seeds)} seed(s) of run seed {int(self.seed)}")

    def __repr__(self) -> str:
        return f"TrainingSetup({self.describe()})"

    def _repr_pretty_(self, p, cycle) -> None:  # what hypothesis prints for a falsifying example
        p.text(repr(self))


def _ints(value, name: str):
    """A strategy from a strategy or a non-empty sequence of positive integers (sorted, so it shrinks
    towards the smallest)."""
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument

    if isinstance(value, st.SearchStrategy):
        return value
    try:
        vals = sorted({int(v) for v in value})
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={value!r} must be a strategy or a non-empty sequence of integers") from None
    if not vals or vals[0] < (0 if name == "budgets" else 1):
        raise InvalidArgument(f"{name}={value!r} must be non-empty and {'≥ 0' if name == 'budgets' else '≥ 1'}")
    return st.sampled_from(vals)


def _choices(value, name: str, check: Callable[[Any], bool], what: str):
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument

    if isinstance(value, st.SearchStrategy):
        return value
    vals = list(value) if isinstance(value, (list, tuple)) else [value]
    if not vals or not all(check(v) for v in vals):
        raise InvalidArgument(f"{name}={value!r} must be a strategy or a non-empty sequence of {what}")
    return st.sampled_from(vals)  # shrinks towards the first


def trainings(*, groups=None, models=("quadratic",), widths=(8, 16, 32), optimizers=None, budgets=(300,),
              n_seeds: int = 2, seed: int = 0, train_fraction: float = 1.0):
    """Training setups (:class:`TrainingSetup`), drawn group first, then model, width, optimizer, budget.

    Parameters
    ----------
    groups : a strategy of groups; default ``groups(max_order=24, relabel=False)`` of
        :mod:`grokcheck.theory.strategies` (relabelling does not change what a network learns,
        and every relabelled draw would be another training).
    models : names from :data:`MODELS`, or a strategy; shrinks towards the first.
    widths : hidden widths (a sequence, sorted ascending, or a strategy); shrinks towards the smallest.
    optimizers : :class:`~grokcheck.checks.training.OptimizerConfig` s, or a strategy; default
        Adam at :data:`DEFAULT_LR`. Shrinks towards the first.
    budgets : training steps (a sequence, sorted ascending, or a strategy); shrinks towards the fewest.
    n_seeds, seed : the seeds each setup trains as one batched model.
    train_fraction : the share of the table each seed trains on.

    Arguments are checked when the strategy is first drawn from (``InvalidArgument``), as in
    :mod:`grokcheck.theory.strategies`.
    """
    from hypothesis import strategies as st

    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.theory.strategies import groups as group_strategy

    @st.composite
    def draw_setup(draw):
        from hypothesis.errors import InvalidArgument

        if not isinstance(n_seeds, int) or n_seeds < 1 or not isinstance(seed, int) or seed < 0:
            raise InvalidArgument(f"n_seeds={n_seeds!r} must be an integer ≥ 1 and seed={seed!r} one ≥ 0")
        if not 0.0 < float(train_fraction) <= 1.0:
            raise InvalidArgument(f"train_fraction={train_fraction!r} must lie in (0, 1]")
        g = group_strategy(max_order=24, relabel=False) if groups is None else groups
        if not isinstance(g, st.SearchStrategy):
            raise InvalidArgument(f"groups={groups!r} must be a strategy of groups (grokcheck.theory.strategies.groups)")
        opts = (OptimizerConfig("adam", lr=DEFAULT_LR),) if optimizers is None else optimizers
        G = draw(g)
        model = draw(_choices(models, "models", lambda m: m in MODELS, f"names from {MODELS}"))
        width = draw(_ints(widths, "widths"))
        opt = draw(_choices(opts, "optimizers", lambda o: isinstance(o, OptimizerConfig), "OptimizerConfig"))
        steps = draw(_ints(budgets, "budgets"))
        return TrainingSetup(G, model, int(width), opt, int(steps), n_seeds=n_seeds, seed=seed,
                             train_fraction=float(train_fraction))

    return draw_setup()


# --------------------------------------------------------------------------- training and the cache


def default_cache_dir() -> Path:
    """``$GROKCHECK_CACHE_DIR/trained``, else ``$XDG_CACHE_HOME/grokcheck/trained`` (``~/.cache`` by default)."""
    root = os.environ.get("GROKCHECK_CACHE_DIR")
    if root:
        return Path(root) / "trained"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "grokcheck" / "trained"


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A trained setup: ``net`` (the trained weights) and ``init`` (the same configuration at its
    random initialisation), each a :class:`~grokcheck.checks.claims._trained.TrainedNet` with
    ``n_seeds`` members; ``cached`` says whether they were read from the cache."""

    setup: TrainingSetup
    net: Any
    init: Any
    cached: bool = False
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def group(self):
        return self.setup.group

    def analysis(self, definition=None):
        """:func:`~grokcheck.checks.training.analyze_neurons` of the trained weights (memoised)."""
        return self._analyze("net", self.net, definition)

    def baseline_analysis(self, definition=None):
        """The same analysis of the random-init weights."""
        return self._analyze("init", self.init, definition)

    def _analyze(self, which, net, definition):
        from grokcheck.checks.training._analyze import analyze_neurons

        key = (which, definition)
        if key not in self._memo:
            self._memo[key] = analyze_neurons(self.group, net, definition=definition, fires=net.fires)
        return self._memo[key]

    def artifacts(self) -> dict:
        """The artifacts the registered trained-network checks read (``"trained.quadratic"`` or
        ``"trained.mlp"``, and ``"….init"``), for ``VerifyContext(artifacts=...)``."""
        key = f"trained.{self.setup.model}"
        return {key: self.net, f"{key}.init": self.init}


def _digest(setup: TrainingSetup, device: str) -> tuple[str, dict]:
    import torch

    from grokcheck import __version__

    # the group enters by its table alone: C2, S2 and D1 (or C3xS2 and A3xD1) are one training
    spec = {"format": CACHE_FORMAT, "grokcheck": __version__, "torch": torch.__version__,
            "device": str(device).split(":")[0], **{k: v for k, v in setup.spec().items() if k != "group"}}
    blob = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32], spec


_NET_ARRAYS = ("theta1", "theta2", "xi", "logits", "train_acc", "test_acc", "t_mem", "t_grok", "loss_trend", "fires")


def _net_arrays(prefix: str, net) -> dict:
    out = {f"{prefix}.{k}": np.asarray(getattr(net, k)) for k in _NET_ARRAYS if getattr(net, k) is not None}
    out[f"{prefix}.scalars"] = np.array([net.steps, net.eval_every, int(net.shared_input)], dtype=np.int64)
    out[f"{prefix}.source"] = np.array(net.source)
    return out


def _net_from(prefix: str, z) -> Any:
    from grokcheck.checks.claims._trained import TrainedNet

    def get(k):
        name = f"{prefix}.{k}"
        return np.asarray(z[name]) if name in z.files else None

    steps, eval_every, shared = (int(v) for v in z[f"{prefix}.scalars"])
    return TrainedNet(**{k: get(k) for k in _NET_ARRAYS}, steps=steps, eval_every=eval_every,
                      shared_input=bool(shared), source=str(z[f"{prefix}.source"]))


def _read_cache(path: Path, spec: dict):
    """The cached ``(net, init)`` at ``path``, or ``None`` when absent, unreadable or for another spec."""
    try:
        with np.load(path, allow_pickle=False) as z:  # plain arrays only: loading runs no code
            if json.loads(str(z["spec"])) != json.loads(json.dumps(spec, sort_keys=True, default=str)):
                return None  # a hash collision or a hand-edited file: train again
            return _net_from("net", z), _net_from("init", z)
    except (OSError, ValueError, KeyError, EOFError):
        return None  # a damaged or foreign file is recomputed and replaced


def train_setting(setup: TrainingSetup, *, cache_dir=None, device: str = "cpu", use_cache: bool = True) -> TrainedModel:
    """Train ``setup`` (its seeds batched in one model) and its random-init baseline, cached on disk.

    The cache file is ``<cache_dir>/<hash>.npz``, the hash covering the setup's :meth:`~TrainingSetup.spec`,
    the cache format, grokcheck's and torch's versions and the device kind; it holds the weights,
    logits and accuracies of both networks as plain arrays and is written atomically. Reading
    uses ``numpy.load(allow_pickle=False)``. ``cache_dir`` defaults to :func:`default_cache_dir`.
    Training runs on one torch thread: these networks are tiny, and a second thread only adds
    synchronisation on a loaded machine (see the verify checks' ``_torch_threads``).
    """
    from grokcheck.checks._io import atomic_write_via
    from grokcheck.checks.claims._trained import _torch_threads, trained_net_from_run
    from grokcheck.checks.training._train import train

    key, spec = _digest(setup, device)
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / f"{key}.npz"
    if use_cache and path.is_file():
        got = _read_cache(path, spec)
        if got is not None:
            return TrainedModel(setup, got[0], got[1], cached=True)
    cfg, task = setup.config(), setup.task()
    with _torch_threads(1):
        net = trained_net_from_run(train(cfg, task, device=device, progress=False), task)
        init = trained_net_from_run(train(replace(cfg, steps=0), task, device=device, progress=False), task)
    if use_cache:
        arrays = {"spec": np.array(json.dumps(spec, sort_keys=True, default=str)),
                  **_net_arrays("net", net), **_net_arrays("init", init)}
        atomic_write_via(path, lambda tmp: np.savez(tmp, **arrays))
    return TrainedModel(setup, net, init)


# --------------------------------------------------------------------------- profiles

#: the hypothesis profiles :func:`register_profiles` registers: ``grokcheck-cpu`` (a handful of
#: tiny trainings, derandomized so a CI run reproduces its counterexample), ``grokcheck-gpu`` (a
#: real search); neither has a deadline, since one example is a training run
PROFILES = {
    "grokcheck-cpu": dict(max_examples=10, deadline=None, derandomize=True, database=None, print_blob=True),
    "grokcheck-gpu": dict(max_examples=200, deadline=None),
}


def register_profiles() -> tuple[str, ...]:
    """Register :data:`PROFILES` with hypothesis (idempotent) and return their names.

    Select one with ``--hypothesis-profile=grokcheck-cpu`` (grokcheck's pytest plugin registers
    them) or ``hypothesis.settings.load_profile("grokcheck-gpu")``.
    """
    from hypothesis import HealthCheck, settings

    slow = [HealthCheck.too_slow, HealthCheck.data_too_large]
    for name, kw in PROFILES.items():
        settings.register_profile(name, suppress_health_check=slow, **kw)
    return tuple(PROFILES)


# --------------------------------------------------------------------------- the invariant statistics


def invariant_statistics(analysis, *, accuracy: float | None = None) -> dict:
    """The measurements of an analysis in a labelling- and neuron-order-free form.

    ``analysis``: a :class:`~grokcheck.checks.training.NeuronAnalysis` (irrep shares per seed).
    Returns ``{"accuracy", "fraction", "alive", "single", "per_neuron", "occupancy"}``:
    ``per_neuron`` lists per seed the sorted ``(share, irrep dimension)`` of its alive neurons;
    ``occupancy`` per seed the sorted ``(irrep dimension, single-irrep neurons)`` of the irreps
    used (the winner of a neuron split evenly between irreps depends on a tie-break, so irreps are
    named by dimension, which a relabelling keeps).
    """
    G = analysis.group
    dims_all = np.asarray(G.character_table.degrees)
    per_neuron, occupancy, alive, single = [], [], 0, 0
    for sh in analysis.shares:
        if sh is None:
            per_neuron.append(None)
            occupancy.append(None)
            continue
        dims = np.array([int(dims_all[o[0]]) for o in sh.orbits])
        per_neuron.append(sorted((round(float(s), 9), int(dims[w]))
                                 for s, w, a in zip(sh.share, sh.winner_orbit, sh.alive) if a and w >= 0))
        occupancy.append(sorted((int(dims[k]), int(c)) for k, c in enumerate(sh.single_occupancy()) if c))
        alive += int(sh.alive.sum())
        single += int(sh.single.sum())
    return {"accuracy": None if accuracy is None else round(float(accuracy), 12),
            "fraction": analysis.single_irrep_fraction(), "alive": alive, "single": single,
            "per_neuron": per_neuron, "occupancy": occupancy}


def assert_same_statistics(a: dict, b: dict, *, what: str = "", atol: float = SHARE_ATOL) -> None:
    """Raise :class:`PropertyFailure` unless two :func:`invariant_statistics` agree (shares to ``atol``)."""
    where = f" {what}" if what else ""
    for k in ("accuracy", "alive", "single", "occupancy"):
        if a[k] != b[k]:
            raise PropertyFailure(f"the {k.replace('_', ' ')} changed{where}: {a[k]!r} before, {b[k]!r} after")
    fa, fb = a["fraction"], b["fraction"]
    if not (fa == fb or (np.isnan(fa) and np.isnan(fb))):
        raise PropertyFailure(f"the single-irrep fraction changed{where}: {fa!r} before, {fb!r} after")
    for s, (pa, pb) in enumerate(zip(a["per_neuron"], b["per_neuron"])):
        if (pa is None) != (pb is None) or (pa is not None and len(pa) != len(pb)):
            raise PropertyFailure(f"seed {s}: the alive neurons changed{where}")
        for i, ((s1, d1), (s2, d2)) in enumerate(zip(pa or (), pb or ())):
            if d1 != d2 or abs(s1 - s2) > atol:
                raise PropertyFailure(f"seed {s}: the {i}-th smallest alive share changed{where}: "
                                      f"{s1:.9f} (irrep dimension {d1}) before, {s2:.9f} (dimension {d2}) after")


# --------------------------------------------------------------------------- symmetries of a network


def relabelled(G, net, sigma):
    """``(H, net′)``: the group with element ``g`` renamed ``sigma[g]`` (:meth:`FiniteGroup.relabel`)
    and the same network read in the new labels (its responses, output weights and logits permuted)."""
    sigma = np.asarray(sigma, dtype=np.int64)
    inv = np.argsort(sigma)  # new label b was old label inv[b]
    n = G.order
    logits = None
    if net.logits is not None:
        L = np.asarray(net.logits).reshape(-1, n, n, n)
        logits = L[:, inv][:, :, inv][:, :, :, inv].reshape(-1, n * n, n)
    return G.relabel(sigma), replace(net, theta1=net.theta1[..., inv], theta2=net.theta2[..., inv],
                                      xi=net.xi[..., inv], logits=logits)


def permuted_neurons(net, perm):
    """The network with hidden neuron ``perm[m]`` moved to place ``m`` (every seed alike)."""
    perm = np.asarray(perm, dtype=np.int64)
    return replace(net, theta1=net.theta1[:, perm], theta2=net.theta2[:, perm], xi=net.xi[:, perm],
                   fires=None if net.fires is None else net.fires[:, perm])


def rescaled_neurons(net, c):
    """The ReLU network with neuron ``m``'s input weights times ``c[m] > 0`` and its output weights
    divided by it (``c``: (M,) or (S, M)); ReLU is positively homogeneous, so it computes the same
    function (a first-layer bias, which grokcheck's MLP folds into ``fires``, scales alike)."""
    c = np.broadcast_to(np.asarray(c, dtype=float), net.theta1.shape[:2])
    if not np.all(c > 0):
        raise ValueError("ReLU rescaling needs positive factors")
    return replace(net, theta1=net.theta1 * c[..., None], theta2=net.theta2 * c[..., None], xi=net.xi / c[..., None])


def _fail(trained: TrainedModel, prop: str, lines: Sequence[str]):
    body = "\n".join(f"  {x}" for x in lines)
    return PropertyFailure(f"{prop} fails\n  setting: {trained.setup.describe()}\n{body}")


def _check_invariant(trained: TrainedModel, G2, net2, what: str, definition=None) -> None:
    from grokcheck.checks.training._analyze import analyze_neurons

    before = invariant_statistics(trained.analysis(definition))
    after = invariant_statistics(analyze_neurons(G2, net2, definition=definition, fires=net2.fires))
    try:
        assert_same_statistics(before, after, what=f"under {what}")
    except PropertyFailure as exc:
        raise _fail(trained, f"invariance under {what}", [str(exc), f"statistic: {trained.analysis(definition).definition.describe()}"]) from None


def assert_relabelling_invariant(trained: TrainedModel, sigma=None, *, definition=None) -> None:
    """The statistics are unchanged when the group's elements are renamed by ``sigma`` (default: a
    permutation drawn from the setup's seed) and the network is read in the new labels."""
    if sigma is None:
        sigma = np.random.default_rng([trained.setup.seed, 1]).permutation(trained.group.order)
    H, net = relabelled(trained.group, trained.net, sigma)
    _check_invariant(trained, H, net, f"the relabelling {list(map(int, sigma))}", definition)


def assert_neuron_permutation_invariant(trained: TrainedModel, perm=None, *, definition=None) -> None:
    """The statistics are unchanged when the hidden neurons are permuted by ``perm`` (default: seeded)."""
    if perm is None:
        perm = np.random.default_rng([trained.setup.seed, 2]).permutation(trained.net.theta1.shape[1])
    _check_invariant(trained, trained.group, permuted_neurons(trained.net, perm), "a permutation of the neurons",
                     definition)


def assert_rescaling_invariant(trained: TrainedModel, c=None, *, definition=None) -> None:
    """The statistics are unchanged when each ReLU neuron's input weights are scaled by ``c > 0``
    and its output weights by ``1/c`` (default: a third of the neurons by 20, seeded).

    Only for ReLU networks (``model="mlp"``): the quadratic model's x² is homogeneous of degree 2,
    so ``c·θ, ξ/c²`` keeps its function but scales the strength ``‖in‖·‖out‖`` that the alive rule
    reads by ``1/c``; no invariance of the statistic is claimed there.
    """
    from grokcheck.errors import InvalidInputError

    if trained.setup.model != "mlp":
        raise InvalidInputError(f"ReLU rescaling applies to ReLU networks (model 'mlp'), not {trained.setup.model!r}: "
                                "x² is homogeneous of degree 2", option="model")
    M = trained.net.theta1.shape[1]
    if c is None:
        rng = np.random.default_rng([trained.setup.seed, 3])
        c = np.ones(M)
        c[rng.permutation(M)[: max(1, M // 3)]] = 20.0  # far from 1, so a rule that reads raw norms would notice
    _check_invariant(trained, trained.group, rescaled_neurons(trained.net, c), "ReLU rescaling (c·in, out/c)",
                     definition)


# --------------------------------------------------------------------------- against the baseline


def _per_seed_fractions(analysis) -> list:
    return [None if sh is None or not sh.alive.any() else round(float(sh.single.sum() / sh.alive.sum()), 4)
            for sh in analysis.shares]


def assert_beats_baseline(trained: TrainedModel, statistic="single_irrep_fraction", *, definition=None,
                          alpha: float = ALPHA, margin: float = 0.0) -> None:
    """The measured statistic of the trained network beats the same statistic at random initialisation.

    ``statistic="single_irrep_fraction"`` (the one definition, :class:`SingleIrrepDefinition`):
    the trained fraction, pooled over seeds, must exceed the baseline's and a one-sided Fisher
    exact test that single-irrep neurons are more frequent after training must give
    ``p < alpha`` (as the verify checks decide). A callable ``statistic(net, analysis) -> float``
    must exceed its baseline value by more than ``margin``. The failure names the setting, the
    seeds, both values and the test.
    """
    if callable(statistic):
        name = getattr(statistic, "__name__", repr(statistic))
        t = float(statistic(trained.net, trained.analysis(definition)))
        b = float(statistic(trained.init, trained.baseline_analysis(definition)))
        if not t > b + margin:
            raise _fail(trained, f"'{name}' beats its random-init baseline",
                        [f"statistic: {name} = {t:.6g} trained, {b:.6g} at random initialisation",
                         f"rule: trained > baseline + {margin:g}"])
        return
    if statistic != "single_irrep_fraction":
        raise ValueError(f"statistic must be 'single_irrep_fraction' or a callable, got {statistic!r}")
    from scipy.stats import fisher_exact

    a, base = trained.analysis(definition), trained.baseline_analysis(definition)
    k, n = a.single_irrep_counts()
    kb, nb = base.single_irrep_counts()
    frac, bfrac = (k / n if n else float("nan")), (kb / nb if nb else float("nan"))
    p = float(fisher_exact([[k, n - k], [kb, nb - kb]], alternative="greater").pvalue) if n and nb else float("nan")
    if not (frac > bfrac and p < alpha):
        why = ("random-init neurons already reach it (a group with a single non-trivial real irrep makes every "
               "neuron single-irrep)" if nb and kb == nb else f"one-sided Fisher exact p = {p:.3g} (needs < {alpha})")
        raise _fail(trained, "the single-irrep fraction beats its random-init baseline",
                    [f"statistic: {a.definition.describe()}",
                     f"trained: {frac:.4f} ({k} of {n} alive neurons; per seed {_per_seed_fractions(a)})",
                     f"baseline (random init): {bfrac:.4f} ({kb} of {nb}; per seed {_per_seed_fractions(base)})",
                     f"why: {why}"])


def assert_claim_holds(check_id: str, trained: TrainedModel, *, expect: str = "PASS", undecided: str = "reject",
                       budget: str = "small"):
    """Run the registered check ``check_id`` on the trained network (as ``verify --model`` does) and
    raise :class:`PropertyFailure` unless its verdict is ``expect``; returns the
    :class:`~grokcheck.checks.CheckResult`.

    ``undecided``: what an INCONCLUSIVE or NOT APPLICABLE verdict does when it is not ``expect``:
    ``"reject"`` (default) discards the example inside a ``@given`` test (``hypothesis.reject``:
    the setting did not reach the claim's regime, so it is no counterexample); ``"fail"`` raises.
    """
    from grokcheck.checks._registry import VerifyContext, get_check, run_check

    if undecided not in ("reject", "fail"):
        raise ValueError(f"undecided must be 'reject' or 'fail', got {undecided!r}")
    ctx = VerifyContext(trained.group, budget=budget, seed=trained.setup.seed, artifacts=trained.artifacts(),
                        on_model=True)
    r = run_check(get_check(check_id), ctx)
    v = r.verdict.value
    if v == expect:
        return r
    if v in ("INCONCLUSIVE", "NOT APPLICABLE") and undecided == "reject":
        from hypothesis import reject

        reject()
    raise _fail(trained, f"claim {check_id} ({expect})",
                [f"verdict: {v}", f"statistic: predicted {r.prediction!r}, measured {r.measurement!r}",
                 f"baseline (random init): {r.baseline!r}", f"reason: {r.reason or '-'}"]
                + ([f"to decide: {r.decide}"] if r.decide else []))
