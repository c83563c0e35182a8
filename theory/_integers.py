"""Elementary number theory on small integers: factorisation, divisors, primality (trial division).

Orders and moduli in grokcheck are at most a few million, where trial division takes microseconds.
"""

from __future__ import annotations

import math

__all__ = ["divisors", "factorize", "is_prime"]


def factorize(n: int) -> dict[int, int]:
    """``{p: e}`` with ``n = Π p^e``, primes ascending (``{}`` for ``n = 1``)."""
    out, p = {}, 2
    while p * p <= n:
        while n % p == 0:
            out[p] = out.get(p, 0) + 1
            n //= p
        p += 1
    if n > 1:
        out[n] = out.get(n, 0) + 1
    return out


def divisors(n: int) -> list[int]:
    """The positive divisors of ``n``, ascending."""
    divs = [1]
    for p, e in factorize(n).items():
        divs = [d * p**k for d in divs for k in range(e + 1)]
    return sorted(divs)


def is_prime(p: int) -> bool:
    """Whether ``p`` is a prime."""
    return p >= 2 and all(p % q for q in range(2, math.isqrt(p) + 1))
