#!/usr/bin/env python3
"""The GPU check's measurements (tests/Gpu/run-on-device.sh runs this).

For each fixture checkpoint (written by PyTorch, with PyTorch's CPU outputs in reference.json):
  * the worker's `score --device cuda` output against reference.json, and against PyTorch on this GPU;
  * PyTorch on this GPU against reference.json.
Then forward timings at batch 1, 64, 256 and 1024: the worker's `score --time` (TorchSharp, float64
as the engine computes by default) for the universal model, for each specialist alone, and for the
engine's mixture (the three specialists stacked into one forward, `score --time-mixture`), and PyTorch
eager in float32 and float64, one specialist against the three stacked into one vmapped forward
(torch.func) and against the three in sequence, each including the copy of inputs to the device and of
outputs back, as the worker does.
Then the stream on the device: the worker's embedded default (in-process broker, demo feed) with
Inference:Device set, its per-stage latency budget and tick-to-decision from two /metrics scrapes.
Writes OUT/gpu-results.json. Runs without torch too (the PyTorch parts are then left out), which is
how it is tried on a machine with no GPU (--device cpu).
"""
import argparse
import json
import math
import os
import pathlib
import re
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

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


def run_worker(worker, fixtures, name, inputs, device, libtorch, repeats=0, mixture=False):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"inputs": inputs}, handle)
    command = [worker, "score", "--model-dir", str(fixtures), "--model", name, "--input", handle.name, "--device", device]
    if libtorch:
        command += ["--libtorch-dir", libtorch]
    if repeats:
        command += ["--time", str(repeats)]
        if mixture:
            command += ["--time-mixture"]
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


def time_call(torch, call, repeats):
    samples = []
    with torch.inference_mode():
        for i in range(repeats + 50):
            torch.cuda.synchronize()
            start = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - start) * 1000
            if i >= 50:
                samples.append(elapsed)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p90_ms": samples[int(len(samples) * 0.9)]}


def time_torch(torch, policy, rows, dtype, repeats):
    device = torch.device("cuda")
    model = policy.to(device=device, dtype=dtype)
    host = torch.tensor(rows, dtype=torch.float32)

    def call():
        probs, values = model(host.to(device=device, dtype=dtype))
        probs.float().cpu()
        values.float().cpu()

    return time_call(torch, call, repeats)


def time_specialists(torch, policies, rows, dtype, repeats):
    """One specialist, the three one after another, and the three stacked into one vmapped forward."""
    from torch.func import functional_call, stack_module_state

    device = torch.device("cuda")
    models = [p.to(device=device, dtype=dtype) for p in policies]
    host = torch.tensor(rows, dtype=torch.float32)
    params, buffers = stack_module_state(models)
    base = models[0]

    def one(p, b, x):
        return functional_call(base, (p, b), (x,))

    stacked = torch.vmap(one, in_dims=(0, 0, None))

    def single():
        probs, values = models[0](host.to(device=device, dtype=dtype))
        probs.float().cpu()
        values.float().cpu()

    def sequence():
        x = host.to(device=device, dtype=dtype)
        outputs = [m(x) for m in models]
        for probs, values in outputs:
            probs.float().cpu()
            values.float().cpu()

    def together():
        probs, values = stacked(params, buffers, host.to(device=device, dtype=dtype))
        probs.float().cpu()
        values.float().cpu()

    with torch.inference_mode():
        check = stacked(params, buffers, host.to(device=device, dtype=dtype))[0]
        apart = torch.stack([m(host.to(device=device, dtype=dtype))[0] for m in models])
    result = {
        "one": time_call(torch, single, repeats),
        "three_in_sequence": time_call(torch, sequence, repeats),
        "three_stacked": time_call(torch, together, repeats),
        "stacked_vs_sequence_max_diff": (check - apart).abs().max().item(),
    }
    result["stacked_over_one"] = result["three_stacked"]["median_ms"] / result["one"]["median_ms"]
    result["sequence_over_one"] = result["three_in_sequence"]["median_ms"] / result["one"]["median_ms"]
    return result


BUCKET = re.compile(
    r'^(inference_stage_duration_seconds_bucket|inference_tick_to_decision_duration_seconds_bucket)'
    r'\{([^}]*)\}\s+(\S+)'
)


def scrape(port):
    """Cumulative bucket counts per series ('total' or a stage) from the worker's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    series = {}
    for line in text.splitlines():
        match = BUCKET.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
        name = "total" if "tick_to_decision" in match.group(1) else labels.get("stage")
        if name is None:
            continue
        le = math.inf if labels["le"] == "+Inf" else float(labels["le"])
        buckets = series.setdefault(name, {})
        buckets[le] = buckets.get(le, 0.0) + float(match.group(3))
    return series


def quantile(before, after, q):
    """histogram_quantile over the increase between two scrapes, in ms."""
    increase = sorted((le, count - before.get(le, 0.0)) for le, count in after.items())
    total = increase[-1][1] if increase else 0
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for le, cumulative in increase:
        if cumulative >= rank:
            if math.isinf(le):
                return lower * 1000
            inside = cumulative - below
            return (lower + (le - lower) * ((rank - below) / inside if inside > 0 else 1)) * 1000
        lower, below = le, cumulative
    return lower * 1000


def stream_on_device(worker, models, device, libtorch, seconds):
    """The worker's embedded default on the device: per-stage p50/p99 over `seconds` after a warm-up."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [worker, "--urls", f"http://127.0.0.1:{port}", "--Models:Directory", models,
               "--Inference:Device", device, "--Diagnostics:SummaryInterval", "00:00:00"]
    if libtorch:
        command += ["--Inference:LibTorchDirectory", libtorch]
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, Logging__LogLevel__Default="Warning"))
    try:
        deadline = time.time() + 120
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=5).status == 200:
                    break
            except Exception:
                if process.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise RuntimeError("worker did not become ready: " + log.read()[-2000:])
                time.sleep(1)
        time.sleep(20)
        before = scrape(port)
        time.sleep(seconds)
        after = scrape(port)
    finally:
        process.terminate()
        process.wait(timeout=60)
    budget = {}
    for name in ["handle", "queue", "forward", "publish", "acknowledge", "total"]:
        if name in after:
            budget[name] = {
                "decisions": max(after[name].values()) - max(before.get(name, {0: 0}).values()),
                "p50_ms": quantile(before.get(name, {}), after[name], 0.50),
                "p99_ms": quantile(before.get(name, {}), after[name], 0.99),
            }
    return {"device": device, "seconds": seconds, "stages": budget}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--libtorch-dir", default=None, help="default: this Python's torch/lib")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--models", default=None, help="model directory for the stream run (the fixtures by default)")
    parser.add_argument("--stream-seconds", type=int, default=60)
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
            timed = run_worker(args.worker, fixtures, "universal", rows, args.device, libtorch, args.repeats, mixture=True)
            entry["worker"] = timed["timing"]
            # The engine's mixture: the three specialists stacked into one forward (issue 31), against one model.
            entry["worker_stacked_mixture"] = timed["timing_mixture"]
            entry["worker_stacked_mixture_over_one"] = timed["timing_mixture"]["median_ms"] / timed["timing"]["median_ms"]
            specialists = {
                name: run_worker(args.worker, fixtures, name, rows, args.device, libtorch, args.repeats)["timing"]
                for name in ("bull_specialist", "bear_specialist", "sideways_specialist")
            }
            entry["worker_specialists"] = specialists
            entry["worker_three_apart_over_one"] = (
                sum(t["median_ms"] for t in specialists.values()) / specialists["bull_specialist"]["median_ms"]
            )
            if on_gpu:
                policy = torch_policy(torch, fixtures / MODELS["universal"], reference["state_dim"])
                entry["torch_float32"] = time_torch(torch, policy, rows, torch.float32, args.repeats)
                entry["torch_float64"] = time_torch(torch, policy, rows, torch.float64, args.repeats)
                entry["worker_over_torch_float64"] = entry["worker"]["median_ms"] / entry["torch_float64"]["median_ms"]
                policies = [torch_policy(torch, fixtures / MODELS[n], reference["state_dim"])
                            for n in ("bull_specialist", "bear_specialist", "sideways_specialist")]
                entry["torch_specialists_float32"] = time_specialists(torch, policies, rows, torch.float32, args.repeats)
                entry["torch_specialists_float64"] = time_specialists(torch, policies, rows, torch.float64, args.repeats)
        except Exception as error:
            entry["error"] = str(error)
            results["errors"].append(f"timing batch {batch}: {error}")

    try:
        results["stream"] = stream_on_device(
            args.worker, args.models or str(fixtures), args.device, libtorch, args.stream_seconds)
    except Exception as error:
        results["errors"].append(f"stream: {error}")

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu-results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
