#!/usr/bin/env python3
"""Export PPO actor-critic policies in the directory layout Inference.Streaming loads.

Writes, under --output:

    bull_specialist/best_model.pth
    bear_specialist/best_model.pth
    sideways_specialist/best_model.pth
    best_model.pth                      (the universal model)

each with torch.save(model.state_dict(), path), and prints each file's SHA-256. The module below has the
same submodules, indices and shapes as the worker's PolicyNetwork, so its state_dict keys are the ones the
loader expects (docs/models/authoring.md, "The network and its state_dict keys").

Weights come from your own checkpoints (--load NAME=PATH, or --from DIR in the same layout), each a
torch.save of a state_dict or of a dict with "policy_state_dict"; or, for a smoke test, from a seeded
random initialisation (--seed N). A model with neither is an error: an untrained model is never written
by accident.

Optional extras beside each checkpoint: manifest.json (--manifest: the SHA-256, the feature layout and the
action map, checked by the loader) and reference.json (--reference-rows N: N random inputs and this
module's outputs for them, in the form the worker's `score` command reads, so the two can be compared).

Written for PyTorch 1.13 (Debian's python3-torch) and later: it uses only APIs that 1.13 has, and torch.save
has written the zip format the worker reads since 1.6.

    # a random-weight set, for a smoke test of the pipeline
    python3 examples/pytorch/export_policy.py --output /tmp/export-test --seed 1

    # trained weights, with manifests and reference outputs
    python3 examples/pytorch/export_policy.py --output models-candidate --manifest --reference-rows 64 \\
        --load bull_specialist=runs/bull/policy.pt --load bear_specialist=runs/bear/policy.pt \\
        --load sideways_specialist=runs/sideways/policy.pt --load universal=runs/universal/policy.pt

torch.load runs the pickle in a file: load only checkpoints you trust.

Exit codes: 0 written; 1 a checkpoint could not be read or does not fit the module; 2 usage.
"""

import argparse
import hashlib
import json
import os
import sys

import torch
from torch import nn

MODELS = ("bull_specialist", "bear_specialist", "sideways_specialist", "universal")
CHECKPOINT_FILE = "best_model.pth"
MANIFEST_FILE = "manifest.json"
REFERENCE_FILE = "reference.json"
ACTIONS = ("HOLD", "BUY", "SELL")
STREAM_WIDTH = 43  # the worker's feature layout, seed-43; the stream refuses any other input width

EXIT_UNREADABLE = 1  # argparse exits with 2 on usage errors


class ActorCritic(nn.Module):
    """The seed's PPO actor-critic: a shared trunk, a softmax policy head and a value head.

    state_dict keys (and shapes, for input width W):
        feature_extractor.0.weight [256, W]   feature_extractor.0.bias [256]   Linear(W, 256)
        feature_extractor.2.weight [256]      feature_extractor.2.bias [256]   LayerNorm(256)
        feature_extractor.3.weight [256, 256] feature_extractor.3.bias [256]   Linear(256, 256)
        feature_extractor.5.weight [256]      feature_extractor.5.bias [256]   LayerNorm(256)
        actor.0.weight [128, 256]             actor.0.bias [128]               Linear(256, 128)
        actor.2.weight [3, 128]               actor.2.bias [3]                 Linear(128, 3)
        critic.0.weight [128, 256]            critic.0.bias [128]              Linear(256, 128)
        critic.2.weight [1, 128]              critic.2.bias [1]                Linear(128, 1)
    Indices 1 and 4 of the trunk and 1 of each head are ReLU; actor.3 is Softmax(dim=-1). None of these
    has parameters, but the loader does not see activations: change one here and the worker computes
    something else from the same keys.
    """

    def __init__(self, state_dim=STREAM_WIDTH, hidden_dim=256, head_dim=128, action_dim=len(ACTIONS)):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Linear(state_dim, hidden_dim),
            nn.ReLU(),
            nn.LayerNorm(hidden_dim),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.LayerNorm(hidden_dim),
        )
        self.actor = nn.Sequential(
            nn.Linear(hidden_dim, head_dim),
            nn.ReLU(),
            nn.Linear(head_dim, action_dim),
            nn.Softmax(dim=-1),
        )
        self.critic = nn.Sequential(
            nn.Linear(hidden_dim, head_dim),
            nn.ReLU(),
            nn.Linear(head_dim, 1),
        )

    def forward(self, state):
        """Action probabilities [N, 3] (HOLD, BUY, SELL) and value estimates [N, 1]."""
        features = self.feature_extractor(state)
        return self.actor(features), self.critic(features)


class ExportError(Exception):
    """A checkpoint that cannot be read, or does not fit the module."""


def folder_of(root, name):
    """A specialist's own sub-folder; the root for universal."""
    return root if name == "universal" else os.path.join(root, name)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_state_dict(path):
    """The policy's state_dict from a torch.save file: a bare state_dict, or a dict with policy_state_dict."""
    try:
        checkpoint = torch.load(path, map_location="cpu")
    except Exception as error:  # torch raises several types for unreadable files
        raise ExportError(f"{path}: cannot be read by torch.load: {error}") from error
    if isinstance(checkpoint, nn.Module):
        checkpoint = checkpoint.state_dict()
    if isinstance(checkpoint, dict) and "policy_state_dict" in checkpoint:
        checkpoint = checkpoint["policy_state_dict"]
    if not isinstance(checkpoint, dict) or not all(torch.is_tensor(v) for v in checkpoint.values()):
        raise ExportError(f"{path}: expected a state_dict, or a dict with 'policy_state_dict'")
    return checkpoint


def load_into(model, name, path, width):
    state = read_state_dict(path)
    weight = state.get("feature_extractor.0.weight")
    if weight is None or weight.dim() != 2:
        hint = ""
        if state and all(k.startswith("module.") for k in state):
            hint = " (saved from DataParallel: strip the 'module.' prefix)"
        keys = ", ".join(list(state)[:6])
        raise ExportError(f"{path}: no 2-D 'feature_extractor.0.weight'{hint}; keys: {keys}")
    if weight.shape[1] != width:
        raise ExportError(f"{path}: takes {weight.shape[1]} inputs; --input-width is {width}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ExportError(f"{path}: does not fit the actor-critic: {error}") from error
    print(f"{name}: weights from {path}")


def check_finite(name, model):
    """The worker refuses a checkpoint with a NaN or infinite weight; refuse it here first."""
    for key, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ExportError(f"{name}: '{key}' holds non-finite values")


def check_round_trip(path, model):
    """Reads the written file back and compares every tensor with the module's."""
    saved = torch.load(path, map_location="cpu")
    expected = model.state_dict()
    if list(saved.keys()) != list(expected.keys()):
        raise ExportError(f"{path}: read back with other keys")
    for key, tensor in expected.items():
        if not torch.equal(saved[key], tensor):
            raise ExportError(f"{path}: '{key}' reads back different")


def warn_stale_manifest(path, sha256):
    """A manifest left from an earlier export names another SHA-256, and the loader would refuse the model."""
    try:
        with open(path, encoding="utf-8") as file:
            expected = json.load(file).get("sha256")
    except (OSError, ValueError, AttributeError):
        return
    if expected and expected.lower() != sha256:
        print(
            f"warning: {path} expects SHA-256 {expected}, not {sha256}: the worker would refuse this model; "
            "remove the file or pass --manifest",
            file=sys.stderr,
        )


def reference_inputs(rows, width, seed):
    """Random finite float32 rows: the first 13 features in [-1, 1], the rest like 1-bar returns."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(rows, width, generator=generator) * 0.02
    head = min(13, width)
    inputs[:, :head] = torch.rand(rows, head, generator=generator) * 2 - 1
    return inputs


def write_json(path, value, indent=None):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=indent)
        file.write("\n")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        description="Write PPO actor-critic policies as best_model.pth files in the seed's directory layout.",
    )
    parser.add_argument("--output", required=True, metavar="DIR", help="model directory to write (created)")
    parser.add_argument(
        "--input-width",
        type=int,
        default=STREAM_WIDTH,
        metavar="N",
        help=f"features per row (default {STREAM_WIDTH}; the stream loads only {STREAM_WIDTH})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="randomly initialise every model without --load or --from (model i uses N + 1000*i): a smoke test",
    )
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help=f"weights of one model; NAME is one of {', '.join(MODELS)} (repeat per model)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="read every model's weights from DIR in the same layout (e.g. to re-save older checkpoints)",
    )
    parser.add_argument(
        "--manifest",
        action="store_true",
        help="also write manifest.json (sha256, feature_layout, action_map) beside each checkpoint",
    )
    parser.add_argument(
        "--reference-rows",
        type=int,
        default=0,
        metavar="N",
        help="also write reference.json: N random inputs and this module's outputs for them",
    )
    args = parser.parse_args(argv)
    if args.input_width < 1:
        parser.error("--input-width must be at least 1")
    if args.reference_rows < 0:
        parser.error("--reference-rows must not be negative")
    sources = {}
    for item in args.load:
        name, separator, path = item.partition("=")
        if not separator or not path:
            parser.error(f"--load {item}: expected NAME=PATH")
        if name not in MODELS:
            parser.error(f"--load {item}: '{name}' is not one of {', '.join(MODELS)}")
        sources[name] = path
    if args.source:
        for name in MODELS:
            sources.setdefault(name, os.path.join(folder_of(args.source, name), CHECKPOINT_FILE))
    missing = [name for name in MODELS if name not in sources]
    if missing and args.seed is None:
        parser.error(
            f"no weights for {', '.join(missing)}: pass --load NAME=PATH or --from DIR, "
            "or --seed N to write random (untrained) weights for a smoke test"
        )
    args.sources = sources
    return args


def main(argv=None):
    args = parse_arguments(argv)
    width = args.input_width
    if width != STREAM_WIDTH:
        print(
            f"warning: the worker's stream refuses models of {width} inputs (its layout, seed-43, has "
            f"{STREAM_WIDTH}); only the score command loads them",
            file=sys.stderr,
        )
    # Every model is built and checked before anything is written: a bad checkpoint leaves no half-written set.
    models = []
    try:
        for index, name in enumerate(MODELS):
            if name in args.sources:
                model = ActorCritic(state_dim=width)
                load_into(model, name, args.sources[name], width)
            else:
                seed = args.seed + 1000 * index
                torch.manual_seed(seed)
                model = ActorCritic(state_dim=width)
                print(f"{name}: random weights, seed {seed} (not trained)")
            model = model.float().cpu().eval()
            check_finite(name, model)
            models.append((index, name, model))

        results = []
        for index, name, model in models:
            folder = folder_of(args.output, name)
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, CHECKPOINT_FILE)
            torch.save(model.state_dict(), path)
            check_round_trip(path, model)
            sha256 = sha256_of(path)
            if args.manifest:
                write_json(
                    os.path.join(folder, MANIFEST_FILE),
                    {
                        "sha256": sha256,
                        "feature_layout": "seed-43" if width == STREAM_WIDTH else f"width-{width}",
                        "action_map": list(ACTIONS),
                    },
                    indent=2,
                )
            else:
                warn_stale_manifest(os.path.join(folder, MANIFEST_FILE), sha256)
            if args.reference_rows > 0:
                inputs = reference_inputs(args.reference_rows, width, 17 + index)
                with torch.no_grad():
                    probs, values = model(inputs)
                write_json(
                    os.path.join(folder, REFERENCE_FILE),
                    {
                        "inputs": inputs.tolist(),
                        "probs": probs.tolist(),
                        "values": values.squeeze(-1).tolist(),
                        "model": name,
                        "state_dim": width,
                        "parameters": sum(p.numel() for p in model.parameters()),
                        "format": "state_dict",
                        "torch": torch.__version__,
                    },
                )
            results.append((name, path, sha256))
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE

    for name, path, sha256 in results:
        print(f"{name}: {path} sha256 {sha256}")
    print(f"wrote {len(results)} models to {args.output} with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
