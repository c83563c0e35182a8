"""Tasks: group tables, seeded splits, parity, digits, the MNIST readers, mini-batches."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from grokcheck.checks.training._data import (
    MinibatchSampler,
    digits_task,
    generator_for,
    group_task,
    mnist_task,
    read_idx,
    seed_for,
    sparse_parity_task,
)
from grokcheck.theory import FiniteGroup


def cyclic(n):
    return FiniteGroup.from_table((np.arange(n)[:, None] + np.arange(n)) % n, name=f"C{n}")


S3 = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"], name="S3")


@pytest.mark.parametrize("G", [cyclic(5), S3], ids=["C5", "S3"])
def test_group_task_concat_is_the_table(G):
    n = G.order
    t = group_task(G, train_fraction=0.5, n_seeds=3, seed=7)
    assert t.x.shape == (n * n, 2 * n) and t.num_outputs == n
    g1, g2 = t.x[:, :n].argmax(1), t.x[:, n:].argmax(1)
    assert torch.equal(t.x.sum(1), torch.full((n * n,), 2.0))  # exactly two ones per row
    assert torch.equal(t.y, torch.tensor(np.array(G.table))[g1, g2])
    assert torch.equal(g1 * n + g2, torch.arange(n * n))  # pool index convention g1*n + g2
    for s in range(3):
        both = torch.cat([t.train_idx[s], t.test_idx[s]]).sort().values
        assert torch.equal(both, torch.arange(n * n))  # disjoint and covering
    assert t.n_train == round(0.5 * n * n)


def test_sum_and_sequence_encodings():
    G = cyclic(6)
    t = group_task(G, encoding="sum")
    assert torch.equal(t.x[0 * 6 + 0], torch.tensor([2.0, 0, 0, 0, 0, 0]))  # e_0 + e_0
    ts = group_task(G, encoding="sequence")
    assert ts.is_sequence and ts.input_dim == 7
    assert torch.equal(ts.x[2 * 6 + 3], torch.tensor([2, 3, 6]))  # "a b ="


def test_split_of_a_seed_does_not_depend_on_ensemble_size():
    G = cyclic(7)
    a = group_task(G, train_fraction=0.3, n_seeds=2, seed=11)
    b = group_task(G, train_fraction=0.3, n_seeds=5, seed=11)
    c = group_task(G, train_fraction=0.3, n_seeds=2, seed=12)
    assert torch.equal(a.train_idx, b.train_idx[:2])
    assert not torch.equal(a.train_idx[0], a.train_idx[1])
    assert not torch.equal(a.train_idx, c.train_idx)


def test_seed_for_is_stable_and_distinct():
    vals = {seed_for(0, s, p) for s in range(4) for p in ("split", "init", "batch")}
    assert len(vals) == 12
    assert seed_for(3, 1, "init") == seed_for(3, 1, "init")
    g1, g2 = generator_for(3, 1, "init"), generator_for(3, 1, "init")
    assert torch.equal(torch.randn(5, generator=g1), torch.randn(5, generator=g2))


def test_bad_arguments():
    with pytest.raises(ValueError):
        group_task(cyclic(3), train_fraction=0.0)
    with pytest.raises(ValueError):
        group_task(cyclic(3), encoding="onehot")
    with pytest.raises(ValueError):
        sparse_parity_task(5, 6, n_train=10)


def test_sparse_parity_labels_are_products():
    t = sparse_parity_task(12, 3, n_train=64, n_test=32, n_seeds=2, seed=1)
    assert t.x.shape == (2 * 96, 12) and t.num_outputs == 1
    assert torch.equal(t.y, t.x[:, :3].prod(1))
    assert set(t.x.unique().tolist()) == {-1.0, 1.0}
    assert not torch.equal(t.x[t.train_idx[0]], t.x[t.train_idx[1]])  # seeds draw their own data


def test_digits_task():
    t = digits_task(n_train=500, n_seeds=2, seed=0)
    assert t.x.shape == (1797, 64) and t.n_train == 500 and t.n_test == 1297
    assert float(t.x.max()) == 1.0 and float(t.x.min()) == 0.0
    assert set(t.y.unique().tolist()) == set(range(10))


def _write_idx(path, arr, code):
    data = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(">u1" if code == 8 else ">i4").tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(data)


def test_idx_reader_and_mnist_loader(tmp_path):
    rng = np.random.default_rng(0)
    xtr = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    ytr = rng.integers(0, 10, 30, dtype=np.uint8)
    xte = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    yte = rng.integers(0, 10, 12, dtype=np.uint8)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", xtr, 8)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", ytr, 8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", xte, 8)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", yte, 8)
    assert np.array_equal(read_idx(tmp_path / "train-images-idx3-ubyte.gz"), xtr)
    t = mnist_task(tmp_path, n_train=10, n_seeds=3, seed=2)
    for s in range(3):
        xs, ys = t.x[t.train_idx[s]], t.y[t.train_idx[s]]
        # each training image is one of the file's images with its own label
        flat = torch.as_tensor(xtr.reshape(30, -1) / 255.0, dtype=torch.float32)
        match = (xs[:, None, :] == flat[None]).all(-1).float().argmax(1)
        assert torch.equal(ys, torch.as_tensor(ytr.astype(np.int64))[match])
    assert torch.equal(t.y[t.test_idx[0]], torch.as_tensor(yte.astype(np.int64)))
    np.savez(tmp_path / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    t2 = mnist_task(tmp_path / "mnist.npz", n_train=10, n_seeds=3, seed=2)
    assert torch.equal(t2.x[t2.train_idx], t.x[t.train_idx])
    with pytest.raises(ValueError):
        (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
        read_idx(tmp_path / "bad")


def test_minibatch_sampler_epochs_and_state():
    smp = MinibatchSampler(n_seeds=2, n_train=10, batch_size=3, seed=4)
    first = torch.cat([smp.next() for _ in range(3)], dim=1)  # one epoch (drop-last: 9 of 10)
    for s in range(2):
        assert len(set(first[s].tolist())) == 9
    assert not torch.equal(first[0], first[1])
    state = smp.state_dict()
    ahead = [smp.next() for _ in range(5)]
    other = MinibatchSampler(n_seeds=2, n_train=10, batch_size=3, seed=4)
    other.load_state_dict(state)
    assert all(torch.equal(a, other.next()) for a in ahead)
