"""theory._integers: factorisation, divisors and primality against their definitions."""

import math

from hypothesis import given
from hypothesis import strategies as st

from grokcheck.theory._integers import divisors, factorize, is_prime


@given(st.integers(1, 10**6))
def test_factorize_divisors_and_primes_agree_with_their_definitions(n):
    f = factorize(n)
    assert math.prod(p**e for p, e in f.items()) == n and list(f) == sorted(f)
    assert all(is_prime(p) and e >= 1 for p, e in f.items())
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    assert divisors(n) == sorted(set(small + [n // d for d in small]))
    assert is_prime(n) == (f == {n: 1})
