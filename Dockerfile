# syntax=docker/dockerfile:1
# Inference.Streaming worker images. Two targets:
#   cpu   docker build --target cpu  -t inference-streaming/worker:cpu .
#   cuda  docker build --target cuda -t inference-streaming/worker:cuda .
# Both run as a non-root user, listen on 8000, ship the project's models at /app/models (mount
# another set read-only over it: docker run -v "$PWD/models:/app/models:ro" ...) and check /health/live.
# The version (VERSION, default a development version) reaches the binary and the OCI labels:
#   docker build --target cpu --build-arg VERSION=1.2.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t inference-streaming/worker:1.2.0-cpu .
# Ubuntu 24.04's libstdc++ has GLIBCXX_3.4.32, so TorchSharp's shim loads as shipped (no workaround).

ARG DOTNET_IMAGE_TAG=10.0-noble

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_IMAGE_TAG} AS build
WORKDIR /src
# Restore first, from the project files alone, so that the ~300 MB of packages stay cached.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY src/Contracts/Inference.Streaming.Contracts.csproj src/Contracts/
COPY src/Engine/Inference.Streaming.Engine.csproj src/Engine/
COPY src/PredictApi/Inference.Streaming.PredictApi.csproj src/PredictApi/
COPY src/Worker/Inference.Streaming.Worker.csproj src/Worker/
RUN dotnet restore src/Worker/Inference.Streaming.Worker.csproj
COPY src/Contracts/ src/Contracts/
COPY src/Engine/ src/Engine/
COPY src/PredictApi/ src/PredictApi/
COPY src/Worker/ src/Worker/
# Self-contained: the CUDA image has no .NET runtime of its own.
# No .git in the build context: the version is given (MinVer reads it from the tags elsewhere).
ARG VERSION=0.9.0-dev
RUN dotnet publish src/Worker/Inference.Streaming.Worker.csproj -c Release --no-restore \
      --self-contained true -p:WeakenGlibcxx=false -p:MinVerVersionOverride=${VERSION} -o /app

# What both images share: labels, port, the shipped models, liveness check, entry point.
FROM mcr.microsoft.com/dotnet/runtime-deps:${DOTNET_IMAGE_TAG} AS runtime
ARG VERSION=0.9.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="Inference.Streaming worker" \
      org.opencontainers.image.description="Kafka event-stream inference worker: regime specialist PPO policies, risk checks, trading decisions" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.documentation="README.md and docs/ in the source repository"
WORKDIR /app
# The project's own models, so a container without a mount serves them instead of an empty volume;
# a mounted set replaces them.
COPY --chown=root:root models/ /app/models/
ENV ASPNETCORE_URLS=http://+:8000 \
    MODEL_DIR=/app/models \
    DOTNET_gcServer=0
EXPOSE 8000
# No curl in the base image: bash's /dev/tcp asks the liveness endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
  CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /health/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/app/Inference.Streaming.Worker"]

FROM runtime AS cpu
COPY --from=build --chown=root:root /app ./
USER $APP_UID

# CUDA: libtorch comes from a PyTorch CUDA installation (pip wheels bring the CUDA runtime
# libraries; the host brings the driver through the NVIDIA container runtime) and is loaded
# through Inference:LibTorchDirectory (docs/design.md, Platform facts). TorchSharp's CPU libtorch is dropped.
FROM runtime AS cuda
ARG TORCH_VERSION=2.10.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/torch \
    && /opt/torch/bin/pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
    && ln -s "$(/opt/torch/bin/python -c 'import pathlib, torch; print(pathlib.Path(torch.__file__).parent / "lib")')" /opt/libtorch
COPY --from=build --chown=root:root /app ./
RUN rm -f /app/libtorch.so /app/libtorch_cpu.so /app/libc10.so /app/libgomp*.so*
ENV Inference__Device=cuda \
    Inference__LibTorchDirectory=/opt/libtorch \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER $APP_UID
