"""The interface shared by dense groups (:class:`FiniteGroup`) and :class:`PermutationGroup`.

Everything that needs only classes, power maps and characters — :class:`CharacterTable` and its
``display``/``to_json``, :func:`~grokcheck.theory.identify` for ``Sm``/``Am``, the certified
irreps, the table-free Fourier flow — is written against this protocol. Elements are indices
``0..n-1`` in both; only a dense group has ``table``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["GroupLike"]


@runtime_checkable
class GroupLike(Protocol):
    """A finite group with indexed elements, conjugacy classes, power maps and a character table.

    Shapes: ``n`` = ``order``, ``k`` = ``num_classes``.
    """

    @property
    def order(self) -> int: ...  # |G|

    @property
    def identity(self) -> int: ...  # the identity's element index

    @property
    def inverses(self) -> np.ndarray: ...  # (n,) index of g⁻¹

    @property
    def num_classes(self) -> int: ...

    @property
    def class_of(self) -> np.ndarray: ...  # (n,) class of each element

    @property
    def class_representatives(self) -> np.ndarray: ...  # (k,) element indices

    @property
    def class_sizes(self) -> np.ndarray: ...  # (k,)

    @property
    def class_orders(self) -> np.ndarray: ...  # (k,) element order per class

    @property
    def centralizer_orders(self) -> np.ndarray: ...  # (k,) |G| / class size

    @property
    def elements(self) -> tuple | None: ...  # what element i is, when listed

    @property
    def character_table(self): ...  # the exact CharacterTable

    @property
    def irreps(self): ...  # certified irreps, one per table row

    def power_map(self, k: int) -> np.ndarray: ...  # (k,) class of g_i^k
