"""Defaults and choices of the per-neuron analysis, and the one definition of each statistic.

Importable without torch: the command line builds its parser from these (``grokcheck table``
must not load torch), and :mod:`grokcheck.checks.training._analyze` / ``_external``, the
``verify`` checks and the experiments read the same values, so every output that shows a
single-irrep fraction shows the same number for the same model (docs/statistics.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: purity above which a neuron counts as single-irrep in the purity reports (θ¹, θ², ξ together;
#: He et al.'s per-neuron statement, :func:`grokcheck.numerics.measure_neurons`).
PURITY_SINGLE_IRREP = 0.9

#: default ``share_threshold`` of :func:`analyze_weights`: a neuron with at least this fraction of
#: its centred input energy in one real irrep is single-irrep (the same 0.9 as the purity reports).
SHARE_SINGLE_IRREP = 0.9

#: ``alive_threshold`` of the relative rules ``"weights"`` / ``"input"`` / ``"fires"``: a neuron is
#: alive when its weight product is at least this fraction of the largest in its model.
ALIVE_THRESHOLD = 0.01

#: the ``"gap"`` rule's factor: sorted by strength (the product ``‖input‖·‖output‖``), the neurons
#: below the first drop by this factor or more are dead. Weight decay shrinks an unused neuron
#: geometrically (by ``1 − lr·wd`` a step), so dead neurons sit orders of magnitude below the live
#: ones (1e-5 of the largest on a released D59 checkpoint, next to live ones at 0.24), while live
#: neurons of trained networks spread over about one decade (0.05–1 on the released checkpoints,
#: 0.1–1 on grokcheck's own runs): a factor of 100 separates the two populations without cutting
#: through either. Without such a drop every finite neuron that fires is alive.
ALIVE_GAP = 100.0

#: the rules ``analyze_weights(alive_rule=...)`` accepts; the first is the default.
ALIVE_RULES = ("gap", "weights", "input", "fires", "all")

#: the default alive rule (see :data:`ALIVE_GAP`).
DEFAULT_ALIVE_RULE = "gap"

#: the state-dict layouts :func:`load_model` reads.
MODEL_FORMATS = ("onelayer-mlp", "concat-mlp", "summed-mlp", "transformer-lens", "grokcheck")

#: where a neuron's irrep is read: ``"input"`` (its input energy), ``"both"`` (input and output).
SIDES = ("input", "both")


@dataclass(frozen=True)
class SingleIrrepDefinition:
    """The single-irrep fraction, defined once.

    ``fraction = #{alive neurons whose winning real irrep holds ≥ share_threshold of the centred
    energy on the chosen side} / #{alive neurons}``.

    Attributes
    ----------
    side : ``"input"`` (default): the energy of the neuron's input, i.e. of the function it
        receives before its nonlinearity — for a one-hot MLP exactly its first-layer weights
        ``left(g₁) + right(g₂)``; for a transformer's MLP neuron its response at the "=" position
        (pre- or post-activation, by the reader's ``mlp_site``). ``"both"``: the winner maximises
        input + output share, and single-irrep needs both shares ≥ the threshold.
    share_threshold : 0.9 by default.
    alive_rule, alive_threshold : which neurons count (:data:`ALIVE_RULES`; default ``"gap"``).
    """

    side: str = "input"
    share_threshold: float = SHARE_SINGLE_IRREP
    alive_rule: str = DEFAULT_ALIVE_RULE
    alive_threshold: float = ALIVE_THRESHOLD

    def __post_init__(self):
        from grokcheck.errors import InvalidInputError

        if self.side not in SIDES:
            raise InvalidInputError(f"side must be one of {SIDES}, got {self.side!r}", option="side")
        if self.alive_rule not in ALIVE_RULES:
            raise InvalidInputError(f"alive_rule must be one of {ALIVE_RULES}, got {self.alive_rule!r}", option="alive_rule")
        if not 0.0 <= float(self.share_threshold) <= 1.0:
            raise InvalidInputError(f"share_threshold must be in [0, 1], got {self.share_threshold}", option="share_threshold")
        if not 0.0 <= float(self.alive_threshold) <= 1.0:
            raise InvalidInputError(f"alive_threshold must be in [0, 1], got {self.alive_threshold}", option="alive_threshold")

    @classmethod
    def from_options(cls, *, alive_rule: str = DEFAULT_ALIVE_RULE, alive_threshold: float = ALIVE_THRESHOLD,
                     share_threshold: float = SHARE_SINGLE_IRREP, count_output: bool = False) -> "SingleIrrepDefinition":
        """From the keyword options of :func:`analyze_weights` (``count_output`` is ``side="both"``)."""
        return cls("both" if count_output else "input", float(share_threshold), alive_rule, float(alive_threshold))

    def options(self) -> dict:
        """The keyword options of :func:`analyze_weights` / :func:`analyze_pairwise`."""
        return {"alive_rule": self.alive_rule, "alive_threshold": self.alive_threshold,
                "share_threshold": self.share_threshold, "count_output": self.side == "both"}

    def alive_words(self) -> str:
        if self.alive_rule == "gap":
            return f"alive: finite, fires on some pair, above the first ×{ALIVE_GAP:g} drop in ‖in‖·‖out‖"
        if self.alive_rule == "all":
            return "alive: every finite neuron"
        what = "‖in‖" if self.alive_rule == "input" else "‖in‖·‖out‖"
        extra = " and fires on some pair" if self.alive_rule == "fires" else ""
        return f"alive: {what} ≥ {self.alive_threshold:g}·max{extra}"

    def describe(self) -> str:
        """One line naming the statistic, shown beside every number it produces."""
        where = "input and output energy" if self.side == "both" else "input energy"
        return (f"single-irrep fraction = alive neurons with ≥ {self.share_threshold:g} of their centred {where} in one "
                f"real irrep / alive neurons ({self.alive_words()})")

    def to_json(self) -> dict:
        return dict(asdict(self), statistic="single_irrep_fraction", definition=self.describe())


#: the default definition (docs/statistics.md).
DEFAULT_SINGLE_IRREP = SingleIrrepDefinition()


#: the accuracy of a model read from a file: every ordered pair, in the labelling found or given.
ACCURACY_ALL_PAIRS = "accuracy on all |G|² pairs (argmax of the logits equals the product), in the model's labelling"
