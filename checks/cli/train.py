"""``grokcheck train``: train a batched seed ensemble on a group (or parity/digits/MNIST) task."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v

import argparse
import json

from grokcheck.checks.cli._group_args import add_group_arguments, group_from_args

__all__ = ["register", "config_from_args", "task_from_args"]

#: What a training run writes into its folder (cleared by --overwrite even without a manifest).
TRAIN_OUTPUTS = ("checkpoint.pt", "task.pt", "config.json", "metrics.jsonl", "summary.json", "curves.png",
                 "checkpoints/step_*.pt", "analysis.json", "neuron_*.png", "kkt/*")


def _floats(text: str):
    vals = tuple(float(v) for v in text.split(","))
    return vals[0] if len(vals) == 1 else vals


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train S seeds of a model as one batched ensemble",
        description="Train S seeds of a model as one batched ensemble; writes metrics.jsonl, "
        "checkpoint.pt, summary.json and curves.png into --out.",
    )
    add_group_arguments(p)
    # (with --model transformer and no group, the group is C113 as in Nanda et al.)
    p.add_argument("--task", choices=["group", "parity", "digits", "mnist"], default="group")
    p.add_argument("--model", choices=["quadratic", "li2", "mlp", "transformer"], default="mlp")
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw", "muon", "egd"], default="adamw")
    p.add_argument("--seeds", type=v.positive_int, default=8, help="ensemble size S")
    p.add_argument("--seed", type=v.nonnegative_int, default=0, help="run seed; seed s of the ensemble derives from it")
    p.add_argument("--steps", type=v.nonnegative_int, default=1000)
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in --out")
    p.add_argument("--device", type=v.device, default="cpu")
    p.add_argument("--threads", type=threads_arg, default="auto",
                   help="torch threads: 'auto' (from the step size and the free cores) or a count (default auto)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--lr", type=v.floats_or_per_seed(minimum=0.0, strict=True), default=1e-3, help="a float or comma-separated per-seed values")
    p.add_argument("--weight-decay", type=v.floats_or_per_seed(minimum=0.0), default=0.0, help="a float or per-seed values")
    p.add_argument("--momentum", type=v.float_in(0.0, 1.0, hi_open=True), default=0.0)
    p.add_argument("--betas", type=v.float_in(0.0, 1.0, hi_open=True), nargs=2, default=(0.9, 0.999))
    p.add_argument("--warmup", type=v.nonnegative_int, default=0)
    p.add_argument("--train-fraction", type=v.open_fraction, default=None, help="τ (group tasks; default 1 for quadratic, 0.3 for the transformer, 0.4 otherwise)")
    p.add_argument("--encoding", choices=["concat", "sum"], default="concat")
    p.add_argument("--batch-size", type=v.positive_int, default=None, help="mini-batch size (default: full batch)")
    p.add_argument("--loss", choices=["ce", "mse", "mse_centered", "sq"], default=None)
    p.add_argument("--width", type=v.positive_int, default=None, help="hidden width (quadratic/li2/mlp)")
    p.add_argument("--depth", type=v.positive_int, default=1, help="hidden layers of the MLP")
    p.add_argument("--init-scale", type=v.nonnegative_float, default=1.0)
    p.add_argument("--zero-last", action="store_true", help="MLP: zero output layer (Lyu)")
    p.add_argument("--bias", choices=["first", "all", "none"], default="first",
                   help="MLP: biases on the first layer only, on every layer, or none (an exactly homogeneous net)")
    p.add_argument("--activation", default=None)
    p.add_argument("--scale", type=v.positive_float, default=0.01, help="quadratic: the scale a")
    p.add_argument("--constraint", choices=["separate", "joint"], default="separate")
    p.add_argument("--stage", choices=["I", "II"], default="I")
    p.add_argument("--per-neuron-scale", action="store_true")
    p.add_argument("--init-from", default=None, help="initialise from this run directory (Stage II)")
    p.add_argument("--v-init", choices=["default", "zero"], default="default")
    p.add_argument("--ridge-v", type=v.nonnegative_float, default=None)
    p.add_argument("--d-model", type=v.positive_int, default=128)
    p.add_argument("--heads", type=v.positive_int, default=4)
    p.add_argument("--d-mlp", type=v.positive_int, default=512)
    p.add_argument("--egd-method", choices=["svd", "rsvd", "colnorm"], default="svd")
    p.add_argument("--egd-rank", type=v.positive_int, default=64)
    p.add_argument("--egd-layers", nargs="+", default=None)
    p.add_argument("--egd-base", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--egd-switch-off-test-acc", type=v.fraction, default=None,
                   help="the authors' switch-off (uses TEST accuracy online: test leakage; off by default)")
    p.add_argument("--grokfast-alpha", type=v.float_in(0.0, 1.0, hi_open=True), default=None)
    p.add_argument("--grokfast-lamb", type=v.nonnegative_float, default=2.0)
    p.add_argument("--eval-every", type=v.positive_int, default=100)
    p.add_argument("--checkpoint-every", type=v.nonnegative_int, default=1000)
    p.add_argument("--checkpoint-history", type=v.int_at_least(2), default=None, metavar="N",
                   help="also keep about N log-spaced checkpoints in RUN/checkpoints/ (on the --eval-every grid), "
                   "so that `grokcheck kkt RUN` has a trajectory; default: only the latest checkpoint")
    p.add_argument("--on-nan", choices=["record", "raise"], default="record")
    p.add_argument("--parity", type=v.positive_int, nargs=2, default=(40, 3), metavar=("N_BITS", "K"))
    p.add_argument("--n-train", type=v.positive_int, default=1000, help="parity/digits/mnist training examples")
    p.add_argument("--mnist-path", default=None)
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn only when stderr is a terminal, never into a log file)")
    p.add_argument("--no-plot", action="store_true")
    p.set_defaults(func=run)


def threads_arg(text: str):
    """``--threads``: ``auto`` or a positive integer."""
    if text.strip().lower() == "auto":
        return "auto"
    return v.positive_int(text)


def task_from_args(args):
    from grokcheck.checks.training import _data

    if args.task == "parity":
        n, k = args.parity
        return _data.sparse_parity_task(n, k, n_train=args.n_train, n_seeds=args.seeds, seed=args.seed)
    if args.task == "digits":
        return _data.digits_task(n_train=args.n_train, n_seeds=args.seeds, seed=args.seed)
    if args.task == "mnist":
        if not args.mnist_path:
            from grokcheck.errors import GroupInputError

            raise GroupInputError("--task mnist needs --mnist-path (an .npz or a directory of IDX files)")
        return _data.mnist_task(args.mnist_path, n_train=args.n_train, n_seeds=args.seeds, seed=args.seed)
    if args.model == "transformer" and not (args.group or args.perms or args.cayley):
        args.group = "C113"  # Nanda et al.'s p = 113
    G = group_from_args(args)
    default_tau = {"quadratic": 1.0, "transformer": 0.3}.get(args.model, 0.4)
    tau = args.train_fraction if args.train_fraction is not None else default_tau
    enc = "sequence" if args.model == "transformer" else args.encoding
    return _data.group_task(G, train_fraction=tau, n_seeds=args.seeds, seed=args.seed, encoding=enc)


def config_from_args(args):
    from grokcheck.checks.training._models import Li2Config, MLPConfig, QuadraticConfig, TransformerConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig

    width = args.width
    if args.model == "quadratic":
        model = QuadraticConfig(width=width or 512, scale=args.scale, constraint=args.constraint, stage=args.stage,
                                per_neuron_scale=args.per_neuron_scale)
    elif args.model == "li2":
        model = Li2Config(width=width or 512, activation=args.activation or "sqr", init_scale=args.init_scale,
                          v_init=args.v_init, ridge_v=args.ridge_v)
    elif args.model == "mlp":
        model = MLPConfig(widths=(width or 512,) * args.depth, activation=args.activation or "relu",
                          bias=args.bias, init_scale=args.init_scale, zero_last=args.zero_last)
    else:
        model = TransformerConfig(d_model=args.d_model, n_heads=args.heads, d_mlp=args.d_mlp,
                                  activation=args.activation or "relu", init_scale=args.init_scale)
    opt = OptimizerConfig(
        name=args.optimizer, lr=args.lr, weight_decay=args.weight_decay, momentum=args.momentum,
        betas=tuple(args.betas), warmup_steps=args.warmup, egd_method=args.egd_method, egd_rank=args.egd_rank,
        egd_layers=tuple(args.egd_layers) if args.egd_layers else None, egd_base=args.egd_base,
        egd_switch_off_test_acc=args.egd_switch_off_test_acc, grokfast_alpha=args.grokfast_alpha,
        grokfast_lamb=args.grokfast_lamb,
    )
    return TrainConfig(model=model, optimizer=opt, steps=args.steps, n_seeds=args.seeds, seed=args.seed, loss=args.loss,
                       batch_size=args.batch_size, eval_every=args.eval_every, checkpoint_every=args.checkpoint_every,
                       dtype=args.dtype, on_nan=args.on_nan, init_from=args.init_from, plot=not args.no_plot,
                       checkpoint_history=args.checkpoint_history)


def run(args: argparse.Namespace) -> int:
    from grokcheck.checks.training._train import train

    from grokcheck.checks._run_dir import open_run_directory
    from grokcheck.checks.training._resume import RESUME_MAY_CHANGE, task_hash

    config = config_from_args(args)
    task = task_from_args(args)
    # the folder is claimed (lock, manifest, --overwrite/--resume rules) before any training
    with open_run_directory(args.out, command="train", config=config.to_dict(), task_hash=task_hash(task),
                            overwrite=args.overwrite, resume=args.resume, may_change=RESUME_MAY_CHANGE,
                            outputs=TRAIN_OUTPUTS):
        from grokcheck.checks.training._threads import resolve_threads, torch_threads, train_step_elements

        with torch_threads(resolve_threads(args.threads, train_step_elements(config, task))):
            result = train(config, task, out_dir=args.out, device=args.device, progress=not args.no_progress and _stderr_is_terminal(),
                           resume=args.resume)
    summ = result.summary()
    print(json.dumps({k: summ[k] for k in ("status", "step", "train_acc", "test_acc", "t_mem", "t_grok", "test_leakage")}))
    for f in result.failures:
        print(f"NumericalFailure: {f}")
    if result.test_leakage:
        print("WARNING: test leakage: EGD was switched off using test accuracy (--egd-switch-off-test-acc).")
    print(f"run directory: {args.out}")
    return 0


def _stderr_is_terminal() -> bool:
    """A progress bar redraws its line with ``\\r``: only a terminal gets one, never a log file or a pipe."""
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())
