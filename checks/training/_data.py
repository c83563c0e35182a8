"""Tasks for batched seed ensembles: group tables, sparse parity, digits / MNIST.

A :class:`Task` is a *pool* of examples shared by all seeds plus one train/test split per seed:

* ``x`` – (P, d_in) float inputs, or (P, L) int64 tokens for sequence models;
* ``y`` – (P,) int64 class labels, or float targets ``±1`` for scalar-output tasks (parity);
* ``train_idx`` – (S, n_train) int64 pool indices of each seed's training set;
* ``test_idx`` – (S, n_test) int64 pool indices of each seed's test set (``n_test`` may be 0).

All seeds have the same ``n_train`` so their batches stack. Seed ``s`` of a run with run seed
``seed`` draws its split from ``generator_for(seed, s, "split")``: the split of seed ``s`` does
not depend on how many other seeds are trained alongside it.

Conventions (docs/conventions.md): the group task has one example per pair ``(g1, g2)``, stored at pool
index ``g1 * n + g2``, labelled ``g1·g2 = table[g1, g2]``. Encodings:

* ``"concat"`` – ``x = [e_{g1}; e_{g2}] ∈ R^{2n}`` (Tian's Li₂, Lyu et al., EGD; He et al. with unshared inputs);
* ``"sum"`` – ``x = e_{g1} + e_{g2} ∈ R^{n}`` (shared; only meaningful for Abelian groups);
* ``"sequence"`` – tokens ``[g1, g2, n]`` where token ``n`` is "=" (Nanda et al.'s "a b =").
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from grokcheck.errors import GroupInputError, InvalidInputError

__all__ = [
    "Task",
    "MinibatchSampler",
    "generator_for",
    "seed_for",
    "group_task",
    "sparse_parity_task",
    "digits_task",
    "mnist_task",
    "read_idx",
]

_PURPOSES = {"split": 1, "init": 2, "batch": 3, "data": 4, "optimizer": 5}


def seed_for(seed: int, s: int, purpose: str) -> int:
    """A 63-bit integer seed for seed-index ``s`` of run seed ``seed`` and a ``purpose``.

    Uses ``numpy.random.SeedSequence([seed, s, code(purpose)])`` so the streams for
    different seeds and purposes are independent and do not depend on the ensemble size.
    """
    if purpose not in _PURPOSES:
        raise InvalidInputError(f"unknown purpose {purpose!r}; one of {sorted(_PURPOSES)}")
    state = np.random.SeedSequence([int(seed), int(s), _PURPOSES[purpose]]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def generator_for(seed: int, s: int, purpose: str, device="cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device`` seeded with :func:`seed_for`."""
    g = torch.Generator(device=device)
    g.manual_seed(seed_for(seed, s, purpose))
    return g


@dataclass(frozen=True, eq=False)
class Task:
    """A supervised task shared by an ensemble of S seeds (see the module docstring for shapes).

    ``kind`` is ``"group"``, ``"parity"``, ``"digits"`` or ``"mnist"``; ``meta`` is JSON-able
    (for group tasks it holds the Cayley table under ``"table"`` and the ``"encoding"``).
    ``num_outputs`` is the width of the model output (classes, or 1 for scalar targets).
    """

    name: str
    kind: str
    x: torch.Tensor
    y: torch.Tensor
    train_idx: torch.Tensor
    test_idx: torch.Tensor
    num_outputs: int
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.train_idx.ndim != 2 or self.test_idx.ndim != 2:
            raise InvalidInputError("train_idx and test_idx must be (S, n) index arrays")
        if self.train_idx.shape[0] != self.test_idx.shape[0]:
            raise InvalidInputError("train_idx and test_idx must have the same number of seeds")
        if self.x.shape[0] != self.y.shape[0]:
            raise InvalidInputError(f"x has {self.x.shape[0]} rows but y has {self.y.shape[0]}")
        if self.train_idx.shape[1] == 0:
            raise InvalidInputError("every seed needs at least one training example")

    @property
    def n_seeds(self) -> int:
        return int(self.train_idx.shape[0])

    @property
    def n_train(self) -> int:
        return int(self.train_idx.shape[1])

    @property
    def n_test(self) -> int:
        return int(self.test_idx.shape[1])

    @property
    def is_sequence(self) -> bool:
        return self.x.dtype == torch.int64

    @property
    def input_dim(self) -> int:
        """Width of a float input, or the vocabulary size of a token task."""
        if self.is_sequence:
            return int(self.meta["vocab"])
        return int(self.x.shape[1])

    @property
    def is_classification(self) -> bool:
        return self.y.dtype == torch.int64

    def group(self):
        """The :class:`~grokcheck.theory.FiniteGroup` of a group task (from the stored table)."""
        if self.kind != "group":
            raise GroupInputError(f"task {self.name!r} is not a group task")
        from grokcheck.theory import FiniteGroup

        return FiniteGroup.from_table(np.asarray(self.meta["table"], dtype=np.int64), name=self.meta.get("group"))

    def split(self, which: str, *, device="cpu", dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` stacked per seed: ``x`` (S, n, ...), ``y`` (S, n), on ``device``.

        Float inputs and float targets are cast to ``dtype``; tokens and labels stay int64.
        """
        idx = {"train": self.train_idx, "test": self.test_idx}[which]
        x = self.x[idx]
        y = self.y[idx]
        if x.is_floating_point():
            x = x.to(dtype)
        if y.is_floating_point():
            y = y.to(dtype)
        return x.to(device), y.to(device)

    def summary(self) -> dict:
        """A JSON-able description (no tensors except the small meta)."""
        meta = {k: v for k, v in self.meta.items() if k != "table"}
        return {
            "name": self.name,
            "kind": self.kind,
            "pool": int(self.x.shape[0]),
            "n_seeds": self.n_seeds,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "num_outputs": self.num_outputs,
            "meta": meta,
        }

    def state(self) -> dict:
        """Everything needed to rebuild the task with :meth:`from_state`."""
        return {
            "name": self.name,
            "kind": self.kind,
            "x": self.x,
            "y": self.y,
            "train_idx": self.train_idx,
            "test_idx": self.test_idx,
            "num_outputs": self.num_outputs,
            "meta": self.meta,
        }

    @classmethod
    def from_state(cls, state: dict) -> "Task":
        return cls(**state)


def _splits(n_pool: int, n_train: int, n_seeds: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    tr, te = [], []
    for s in range(n_seeds):
        perm = torch.randperm(n_pool, generator=generator_for(seed, s, "split"))
        tr.append(perm[:n_train].sort().values)
        te.append(perm[n_train:].sort().values)
    return torch.stack(tr), torch.stack(te)


def group_task(
    G,
    *,
    train_fraction: float = 1.0,
    n_seeds: int = 1,
    seed: int = 0,
    encoding: str = "concat",
    name: str | None = None,
) -> Task:
    """The full multiplication table of ``G`` as a task (docs/conventions.md).

    Parameters
    ----------
    G : FiniteGroup (anything with ``.order`` and ``.table``).
    train_fraction : τ ∈ (0, 1]; each seed trains on ``round(τ n²)`` pairs drawn by its own
        generator (``generator_for(seed, s, "split")``) and tests on the rest.
    encoding : ``"concat"`` (x ∈ R^{2n}), ``"sum"`` (x ∈ R^{n}) or ``"sequence"`` (tokens).
    """
    if not 0.0 < train_fraction <= 1.0:
        raise InvalidInputError(f"train_fraction must lie in (0, 1], got {train_fraction}")
    if encoding not in ("concat", "sum", "sequence"):
        raise InvalidInputError(f"encoding must be 'concat', 'sum' or 'sequence', got {encoding!r}")
    table = np.asarray(G.table, dtype=np.int64)
    n = int(table.shape[0])
    g1 = torch.arange(n).repeat_interleave(n)
    g2 = torch.arange(n).repeat(n)
    y = torch.tensor(table.reshape(-1).copy(), dtype=torch.int64)
    if encoding == "concat":
        x = torch.zeros(n * n, 2 * n)
        x[torch.arange(n * n), g1] = 1.0
        x[torch.arange(n * n), n + g2] = 1.0
    elif encoding == "sum":
        x = torch.zeros(n * n, n)
        x[torch.arange(n * n), g1] += 1.0
        x[torch.arange(n * n), g2] += 1.0
    else:
        x = torch.stack([g1, g2, torch.full_like(g1, n)], dim=1)
    n_train = max(1, int(round(train_fraction * n * n)))
    train_idx, test_idx = _splits(n * n, n_train, n_seeds, seed)
    gname = name or getattr(G, "name", None) or str(G)
    meta = {
        "group": gname,
        "order": n,
        "encoding": encoding,
        "train_fraction": float(train_fraction),
        "seed": int(seed),
        "table": table.tolist(),
    }
    if encoding == "sequence":
        meta["vocab"] = n + 1
    return Task(name=f"{gname}/{encoding}", kind="group", x=x, y=y, train_idx=train_idx, test_idx=test_idx, num_outputs=n, meta=meta)


def sparse_parity_task(
    n_bits: int,
    k: int,
    *,
    n_train: int,
    n_test: int = 1000,
    n_seeds: int = 1,
    seed: int = 0,
    secret: tuple[int, ...] | None = None,
) -> Task:
    """(n, k) sparse parity (EGD, arXiv 2510.04930, experiments): ``x ∈ {±1}^n`` uniform, ``y = Π_{i∈secret} x_i ∈ {±1}``.

    Each seed draws its own examples (``generator_for(seed, s, "data")``); the secret set is the
    first ``k`` coordinates unless given. The pool holds the S blocks one after the other, so
    ``train_idx[s]`` and ``test_idx[s]`` index seed ``s``'s block. Targets are float ``±1`` and
    the model has one output (squared loss, accuracy = sign agreement).
    """
    if not 1 <= k <= n_bits:
        raise InvalidInputError(f"need 1 ≤ k ≤ n_bits, got k={k}, n_bits={n_bits}")
    secret = tuple(range(k)) if secret is None else tuple(int(i) for i in secret)
    per = n_train + n_test
    xs = []
    for s in range(n_seeds):
        g = generator_for(seed, s, "data")
        xs.append(torch.randint(0, 2, (per, n_bits), generator=g).float() * 2 - 1)
    x = torch.cat(xs)
    y = x[:, list(secret)].prod(dim=1)
    base = torch.arange(n_seeds)[:, None] * per
    train_idx = base + torch.arange(n_train)[None]
    test_idx = base + n_train + torch.arange(n_test)[None]
    meta = {"n_bits": n_bits, "k": k, "secret": list(secret), "seed": int(seed)}
    return Task(name=f"parity({n_bits},{k})", kind="parity", x=x, y=y, train_idx=train_idx, test_idx=test_idx, num_outputs=1, meta=meta)


def digits_task(*, n_train: int = 1000, n_seeds: int = 1, seed: int = 0) -> Task:
    """scikit-learn's bundled 8×8 digits (1797 images, 64 features scaled to [0, 1], 10 classes).

    The offline stand-in for MNIST: each seed trains on ``n_train`` images drawn by its own
    generator and tests on the remaining ``1797 - n_train``.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.as_tensor(d.data, dtype=torch.float32) / 16.0
    y = torch.as_tensor(d.target, dtype=torch.int64)
    if not 1 <= n_train < x.shape[0]:
        raise InvalidInputError(f"n_train must be in [1, {x.shape[0] - 1}], got {n_train}")
    train_idx, test_idx = _splits(x.shape[0], n_train, n_seeds, seed)
    return Task(name="digits", kind="digits", x=x, y=y, train_idx=train_idx, test_idx=test_idx, num_outputs=10,
                meta={"n_train": n_train, "seed": int(seed), "source": "sklearn.datasets.load_digits"})


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format; ``.gz`` allowed) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise InvalidInputError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    code, ndim = data[2], data[3]
    if code not in dtypes:
        raise InvalidInputError(f"{path}: unknown IDX element type 0x{code:02x}")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[code], offset=4 + 4 * ndim).copy()
    if arr.size != int(np.prod(shape)):
        raise InvalidInputError(f"{path}: expected {int(np.prod(shape))} entries, found {arr.size}")
    return arr.reshape(shape)


def _find(root: Path, stem: str) -> Path:
    for cand in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (root / cand).exists():
            return root / cand
    raise FileNotFoundError(f"no {stem}[.gz] under {root}")


def mnist_task(path: str | os.PathLike, *, n_train: int = 1000, n_test: int | None = None, n_seeds: int = 1, seed: int = 0) -> Task:
    """MNIST from local files (nothing is downloaded).

    ``path`` is either an ``.npz`` with ``x_train, y_train, x_test, y_test`` (the Keras layout) or
    a directory with the four IDX files (``train-images-idx3-ubyte[.gz]`` …). Each seed trains
    on ``n_train`` training images drawn by its own generator (Omnigrok's 1000 by default) and
    tests on the first ``n_test`` test images (all by default). Pixels are scaled to [0, 1].
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".npz":
        with np.load(path) as z:
            xtr, ytr, xte, yte = z["x_train"], z["y_train"], z["x_test"], z["y_test"]
    elif path.is_dir():
        xtr = read_idx(_find(path, "train-images-idx3-ubyte"))
        ytr = read_idx(_find(path, "train-labels-idx1-ubyte"))
        xte = read_idx(_find(path, "t10k-images-idx3-ubyte"))
        yte = read_idx(_find(path, "t10k-labels-idx1-ubyte"))
    else:
        raise FileNotFoundError(f"{path} is neither an .npz file nor a directory of IDX files")
    xtr = np.asarray(xtr, dtype=np.float32).reshape(len(xtr), -1) / 255.0
    xte = np.asarray(xte, dtype=np.float32).reshape(len(xte), -1) / 255.0
    n_test = len(xte) if n_test is None else int(n_test)
    if not 1 <= n_train <= len(xtr):
        raise InvalidInputError(f"n_train must be in [1, {len(xtr)}], got {n_train}")
    # pool = the distinct training images any seed uses, then the test images
    chosen = [torch.randperm(len(xtr), generator=generator_for(seed, s, "split"))[:n_train].sort().values for s in range(n_seeds)]
    used = torch.unique(torch.cat(chosen))
    remap = torch.full((len(xtr),), -1, dtype=torch.int64)
    remap[used] = torch.arange(len(used))
    x = torch.cat([torch.from_numpy(np.array(xtr))[used], torch.from_numpy(np.array(xte[:n_test]))])
    y = torch.cat([torch.from_numpy(np.array(ytr, dtype=np.int64))[used], torch.from_numpy(np.array(yte[:n_test], dtype=np.int64))])
    train_idx = torch.stack([remap[c] for c in chosen])
    test_idx = (len(used) + torch.arange(n_test))[None].repeat(n_seeds, 1)
    return Task(name="mnist", kind="mnist", x=x, y=y, train_idx=train_idx, test_idx=test_idx, num_outputs=10,
                meta={"n_train": n_train, "n_test": n_test, "seed": int(seed), "source": str(path)})


class MinibatchSampler:
    """Per-seed mini-batches without replacement, epoch by epoch (drop-last).

    Seed ``s`` shuffles its ``n_train`` training positions with ``generator_for(seed, s, "batch")``
    at the start of every epoch; :meth:`next` returns (S, batch) positions into ``train_idx``.
    The whole state (generator states, permutations, position) is in :meth:`state_dict`.
    """

    def __init__(self, n_seeds: int, n_train: int, batch_size: int, seed: int):
        if not 1 <= batch_size <= n_train:
            raise InvalidInputError(f"batch_size must be in [1, n_train={n_train}], got {batch_size}")
        self.n_seeds, self.n_train, self.batch_size = n_seeds, n_train, batch_size
        self.gens = [generator_for(seed, s, "batch") for s in range(n_seeds)]
        self.perm = None
        self.pos = n_train  # forces a shuffle on the first call

    def next(self) -> torch.Tensor:
        if self.pos + self.batch_size > self.n_train:
            self.perm = torch.stack([torch.randperm(self.n_train, generator=g) for g in self.gens])
            self.pos = 0
        out = self.perm[:, self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return out

    def state_dict(self) -> dict:
        return {"gens": [g.get_state() for g in self.gens], "perm": self.perm, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        for g, st in zip(self.gens, state["gens"], strict=True):
            g.set_state(st)
        self.perm = state["perm"]
        self.pos = int(state["pos"])
