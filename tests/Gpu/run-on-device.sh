#!/usr/bin/env bash
# The GPU check, on a host with an NVIDIA GPU and PyTorch but no .NET:
#   bash tests/Gpu/run-on-device.sh artifacts/gpu/worker.tar.gz OUT_DIR
# Unpacks the bundle (build/gpu-bundle.sh), points the worker at this host's torch/lib, and writes
# OUT_DIR/gpu-results.json: the fixtures scored by TorchSharp on CUDA against PyTorch's reference
# outputs and against PyTorch on this GPU, forward timings at batch 1 to 1024 for both (one model,
# the three specialists in sequence and, in PyTorch, stacked), and a minute of the stream on the GPU.
# DEVICE=cpu LIBTORCH_DIR=DIR runs the same on CPU with another libtorch (how it is tried without a GPU:
# TorchSharp's own CPU libtorch, e.g. ~/.nuget/packages/libtorch-cpu-linux-x64/*/runtimes/linux-x64/native).
set -euo pipefail
bundle=${1:?bundle path}
out=${2:?output folder}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
tar -xzf "$bundle" -C "$work"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt" 2>&1 || true
# The host may lack ICU; the worker needs no culture data for this.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
python=${PYTHON:-python3}
"$python" -c 'import sys, torch; print(sys.executable, torch.__version__, torch.version.cuda, torch.cuda.is_available())' \
  > "$out/torch.txt" 2>&1 || echo "no PyTorch in $python: the PyTorch comparisons are left out" | tee -a "$out/torch.txt"
"$python" "$here/gpu_check.py" --worker "$work/worker/Inference.Streaming.Worker" --fixtures "$root/tests/Fixtures/pytorch" \
  --models "$root/models" --device "${DEVICE:-cuda}" ${LIBTORCH_DIR:+--libtorch-dir "$LIBTORCH_DIR"} --out "$out"
