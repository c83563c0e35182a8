
# --- Lyu et al. dichotomy: margins, KKT certificates, reference solutions ---
from grokcheck.numerics._margin import (  # noqa: E402
    Homogeneity,
    HomogeneityWarning,
    Margin,
    flat_model,
    homogeneity_degree,
    margins,
    normalized_margin,
)
from grokcheck.numerics._kkt import (  # noqa: E402
    KKTCertificate,
    assert_kkt_point,
    is_kkt_point,
    kkt_certificate,
    kkt_certificate_regression,
)
from grokcheck.numerics._max_margin import (  # noqa: E402
    LinearMaxMargin,
    MinNormInterpolant,
    NuclearNormCompletion,
    kernel_max_margin,
    max_l1_margin,
    max_l2_margin,
    max_margin_optimality,
    min_norm_interpolant,
    min_nuclear_norm_completion,
    ntk_features,
)

# --- He et al. Ω, Stage I flow, measurements, Li₂ 𝓔, precursor ODE ---
from grokcheck.numerics._omega import (  # noqa: E402
    fourier_blocks,
    inverse_fourier_blocks,
    omega,
    omega_fourier,
    omega_gradients,
    omega_gradients_fourier,
)
from grokcheck.numerics._flow import (  # noqa: E402
    FlowMonitors,
    FlowSolution,
    StageOneFlow,
    StageOneRun,
    integrate,
    run_stage_one,
    spherical_init,
)
from grokcheck.numerics._predictions import OrbitPrediction, Predictions, predictions, stable_point  # noqa: E402
from grokcheck.numerics._measurements import NeuronMeasurements, measure_neurons  # noqa: E402
from grokcheck.numerics._abelian_stats import (  # noqa: E402
    AbelianStatistics,
    MajorityVote,
    abelian_statistics,
    ideal_abelian_population,
    kuiper_test,
    majority_vote_regression,
    phase_moments,
    population_logits,
    rayleigh_test,
)
from grokcheck.numerics._precursor import PrecursorSolution, euler_simulator, precursor_ode, precursor_vector_flow  # noqa: E402
from grokcheck.numerics._li2 import (  # noqa: E402
    Li2Ascent,
    gf_closed_form,
    gf_limit,
    li2_energy,
    li2_energy_gradient,
    li2_projected_ascent,
    max_omega_over_xi,
    simulate_gf,
    v_ridge,
)

# Tan & Huang robustness metrics, matrix information, EGD map and toy theory
from grokcheck.numerics._matrix_information import (  # noqa: E402
    assert_unit_diagonal_psd,
    is_unit_diagonal_psd,
    matrix_entropy,
    matrix_mutual_information,
    normalized_gram,
)
from grokcheck.numerics._robustness import (  # noqa: E402
    HutchinsonEstimate,
    InformationMetrics,
    RobustnessProbe,
    hutchinson_trace,
    information_metrics,
    perturbation_error,
    pmi_prime,
    sharpness,
)
from grokcheck.numerics._tan_huang import (  # noqa: E402
    COROLLARY33_CONSTANTS,
    COROLLARY33_TABLE,
    BoundSides,
    RescalingCounterexample,
    corollary33_accuracy,
    corollary33_saturation_step,
    lemma57_sides,
    lemma58_sides,
    lemma511_sides,
    neighbour_probability,
    rescaling_counterexample,
    theorem32_epsilon,
    theorem59_sides,
    theorem512_sides,
)
from grokcheck.numerics._egd import (  # noqa: E402
    EGDIdentities,
    EGDToyProblem,
    PlateauScaling,
    ToyRun,
    egd_direction,
    egd_identities,
    plateau_length,
    plateau_scaling,
    polar_factor_reference,
    simulate_toy,
    theorem1_test_error,
    toy_test_error,
)
