#!/usr/bin/env python3
"""The GPU check's measurements (tests/Gpu/run-on-device.sh runs this).

For each fixture checkpoint (written by PyTorch, with PyTorch's CPU outputs in reference.json):
  * the worker's `score --device cuda` output against reference.json, and against PyTorch on this GPU;
  * PyTorch on this GPU against reference.json.
Then forward timings of the universal model at batch 1, 64, 256 and 1024: the worker's
`score --time` (TorchSharp, float64 as the engine computes by default) and PyTorch eager in float32
and float64, each including the copy of inputs to the device and of outputs back, as the worker does.
Writes OUT/gpu-results.json. Runs without torch too (the PyTorch parts are then left out), which is
how it is tried on a machine with no GPU.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import tempfile
import time

MODELS = {
    "universal": "best_model.pth",
    "bull_specialist": "bull_specialist/best_model.pth",
    "bear_specialist": "bear_specialist/best_model.pth",
    "sideways_specialist": "sideways_specialist/best_model.pth",
}
BATCHES = [1, 64, 256, 1024]


def reference_of(fixtures, name):
    return json.loads((fixtures / pathlib.Path(MODELS[name]).parent / "reference.json").read_text())


def max_diff(a, b):
    return max(abs(x - y) for row_a, row_b in zip(a, b) for x, y in zip(row_a, row_b))


def max_diff_flat(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def run_worker(worker, fixtures, name, inputs, device, libtorch, repeats=0):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"inputs": inputs}, handle)
    command = [worker, "score", "--model-dir", str(fixtures), "--model", name, "--input", handle.name, "--device", device]
    if libtorch:
        command += ["--libtorch-dir", libtorch]
    if repeats:
        command += ["--time", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"score {name} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def torch_policy(torch, checkpoint, width):
    nn = torch.nn

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.feature_extractor = nn.Sequential(nn.Linear(width, 256), nn.ReLU(), nn.LayerNorm(256), nn.Linear(256, 256), nn.ReLU(), nn.LayerNorm(256))
            self.actor = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 3), nn.Softmax(dim=-1))
            self.critic = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 1))

        def forward(self, x):
            features = self.feature_extractor(x)
            return self.actor(features), self.critic(features).squeeze(-1)

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if isinstance(state, dict) and "policy_state_dict" in state:
        state = state["policy_state_dict"]
    policy = Policy()
    policy.load_state_dict(state)
    return policy.eval()


def time_torch(torch, policy, rows, dtype, repeats):
    device = torch.device("cuda")
    model = policy.to(device=device, dtype=dtype)
    host = torch.tensor(rows, dtype=torch.float32)
    samples = []
    with torch.inference_mode():
        for i in range(repeats + 50):
            torch.cuda.synchronize()
            start = time.perf_counter()
            probs, values = model(host.to(device=device, dtype=dtype))
            probs.float().cpu()
            values.float().cpu()
            elapsed = (time.perf_counter() - start) * 1000
            if i >= 50:
                samples.append(elapsed)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p90_ms": samples[int(len(samples) * 0.9)]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--libtorch-dir", default=None, help="default: this Python's torch/lib")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    fixtures = pathlib.Path(args.fixtures)
    results = {"device": args.device, "models": {}, "timing": {}, "errors": []}

    try:
        import torch
        results["torch"] = torch.__version__
        results["cuda"] = torch.version.cuda
        results["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        libtorch = args.libtorch_dir or str(pathlib.Path(torch.__file__).parent / "lib")
    except ImportError:
        torch = None
        libtorch = args.libtorch_dir
    results["libtorch_dir"] = libtorch
    on_gpu = torch is not None and args.device == "cuda" and torch.cuda.is_available()

    for name, path in MODELS.items():
        entry = results["models"].setdefault(name, {})
        try:
            reference = reference_of(fixtures, name)
            scored = run_worker(args.worker, fixtures, name, reference["inputs"], args.device, libtorch)
            entry["worker_device"] = scored["device"]
            entry["worker_vs_reference_probs"] = max_diff(scored["probs"], reference["probs"])
            entry["worker_vs_reference_values"] = max_diff_flat(scored["values"], reference["values"])
            if on_gpu:
                policy = torch_policy(torch, fixtures / path, reference["state_dim"]).to("cuda")
                with torch.inference_mode():
                    probs, values = policy(torch.tensor(reference["inputs"], dtype=torch.float32, device="cuda"))
                probs, values = probs.cpu().tolist(), values.cpu().tolist()
                entry["torch_cuda_vs_reference_probs"] = max_diff(probs, reference["probs"])
                entry["worker_vs_torch_cuda_probs"] = max_diff(scored["probs"], probs)
                entry["worker_vs_torch_cuda_values"] = max_diff_flat(scored["values"], values)
        except Exception as error:  # one model's failure must not hide the others' numbers
            entry["error"] = str(error)
            results["errors"].append(f"{name}: {error}")

    reference = reference_of(fixtures, "universal")
    for batch in BATCHES:
        rows = [reference["inputs"][i % len(reference["inputs"])] for i in range(batch)]
        entry = results["timing"].setdefault(str(batch), {})
        try:
            entry["worker"] = run_worker(args.worker, fixtures, "universal", rows, args.device, libtorch, args.repeats)["timing"]
            if on_gpu:
                policy = torch_policy(torch, fixtures / MODELS["universal"], reference["state_dim"])
                entry["torch_float32"] = time_torch(torch, policy, rows, torch.float32, args.repeats)
                entry["torch_float64"] = time_torch(torch, policy, rows, torch.float64, args.repeats)
                entry["worker_over_torch_float64"] = entry["worker"]["median_ms"] / entry["torch_float64"]["median_ms"]
        except Exception as error:
            entry["error"] = str(error)
            results["errors"].append(f"timing batch {batch}: {error}")

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu-results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
