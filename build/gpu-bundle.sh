#!/usr/bin/env bash
# Builds the bundle the GPU check runs (tests/Gpu/run-on-device.sh): a self-contained publish of the
# worker for linux-x64 without TorchSharp's CPU libtorch (the device's PyTorch provides libtorch,
# Inference:LibTorchDirectory), packed as artifacts/gpu/worker.tar.gz. It must stay under 64 MiB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/artifacts/gpu}
rm -rf "$out"
mkdir -p "$out"
dotnet publish "$root/src/Worker" -c Release -r linux-x64 --self-contained true -o "$out/worker" >/dev/null
# libtorch and its companions come from the device's PyTorch installation.
(cd "$out/worker" && rm -f libtorch.so libtorch_cpu.so libc10.so libgomp-*.so* libtorch_python.so libtorch_global_deps.so \
  libshm.so libaoti_custom_ops.so libbackend_with_compiler.so libjitbackend_test.so libnnapi_backend.so libtorchbind_test.so \
  alpine-librdkafka.so libmscordaccore.so libmscordbi.so createdump)
# (The Alpine build of librdkafka and the runtime's debugger support are not needed on a glibc GPU host.)
tar -C "$out" -czf "$out/worker.tar.gz" worker
rm -rf "$out/worker"
size=$(stat -c %s "$out/worker.tar.gz")
echo "bundle: $out/worker.tar.gz, $((size / 1048576)) MiB"
if [ "$size" -ge $((64 * 1048576)) ]; then
  echo "bundle is over 64 MiB" >&2
  exit 1
fi
