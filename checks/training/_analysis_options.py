"""Defaults and choices of the per-neuron analysis, importable without torch.

The command line builds its parser from these (``grokcheck table`` must not load torch), and
:mod:`grokcheck.checks.training._analyze` / ``_external`` use the same values.
"""

from __future__ import annotations

#: purity above which a neuron counts as single-irrep in the reports.
PURITY_SINGLE_IRREP = 0.9

#: default ``share_threshold`` of :func:`analyze_weights`: a neuron with at least this fraction of
#: its centred input energy in one real irrep is single-irrep (the same 0.9 as the purity reports).
SHARE_SINGLE_IRREP = 0.9

#: default ``alive_threshold``: a neuron is alive when its weight product is at least this
#: fraction of the largest in its model (the live rule of :func:`analyze_neurons`).
ALIVE_THRESHOLD = 0.01

#: the rules ``analyze_weights(alive=...)`` accepts.
ALIVE_RULES = ("weights", "input", "fires", "all")

#: the state-dict layouts :func:`load_model` reads.
MODEL_FORMATS = ("onelayer-mlp", "concat-mlp", "summed-mlp", "transformer-lens", "grokcheck")
