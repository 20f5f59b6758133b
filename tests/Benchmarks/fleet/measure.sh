#!/usr/bin/env bash
# Predict on a three-instance fleet: the owner of a symbol against an instance that answers it from its
# read model. Starts the broker (demo feed) and three workers in Release on loopback ports, waits until all
# three answer the symbol, then runs wrk against the owner and a non-owner in turn, ROUNDS times each, and
# prints wrk's latency percentiles per run. Needs wrk (apt-get install wrk). Everything stops at the end.
#
#   bash tests/Benchmarks/fleet/measure.sh [SYMBOL] [SECONDS] [ROUNDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../../.."
symbol=${1:-AAPL}; seconds=${2:-15}; rounds=${3:-3}; connections=${4:-16}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
dotnet build -c Release src/Worker -v q -nologo >/dev/null
dll=src/Worker/bin/Release/net10.0/linux-x64/Inference.Streaming.Worker.dll
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
dotnet "$dll" broker --urls http://127.0.0.1:0 --demo-feed true >"$work/broker.log" 2>&1 & pids+=($!)
for _ in $(seq 120); do grep -q "schema.registry:" "$work/broker.log" && break; sleep 0.5; done
bootstrap=$(awk '/kafka.bootstrap:/ {print $2; exit}' "$work/broker.log")
registry=$(awk '/schema.registry:/ {print $2; exit}' "$work/broker.log")
for n in 1 2 3; do
  dotnet "$dll" --urls "http://127.0.0.1:1810$n" --Kafka:BootstrapServers "$bootstrap" \
    --SchemaRegistry:Url "$registry" --Kafka:InstanceId "worker-$n" --Diagnostics:SummaryInterval 00:00:00 \
    >"$work/worker-$n.log" 2>&1 & pids+=($!)
done
served_by() {
  curl -s -X POST "http://127.0.0.1:1810$1/api/v1/predict" -H 'Content-Type: application/json' \
    -d "{\"symbol\":\"$symbol\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["served_by"])' \
    2>/dev/null || true
}
for _ in $(seq 240); do
  owners="$(served_by 1) $(served_by 2) $(served_by 3)"
  [[ "$owners" =~ ^worker-[0-9]\ worker-[0-9]\ worker-[0-9]$ ]] && break
  sleep 0.5
done
owner=$(served_by 1); owner=${owner#worker-}
other=$(( owner % 3 + 1 ))
echo "symbol $symbol: owner worker-$owner, non-owner worker-$other; wrk -t1 -c$connections -d${seconds}s, $rounds rounds"
# Warm both (JIT, connection pools), unmeasured.
for n in "$owner" "$other"; do
  SYMBOL=$symbol wrk -t1 -c"$connections" -d5s -s tests/Benchmarks/fleet/predict.lua "http://127.0.0.1:1810$n/api/v1/predict" >/dev/null
done
for round in $(seq "$rounds"); do
  for n in "$owner" "$other"; do
    role=$([ "$n" = "$owner" ] && echo owner || echo non-owner)
    result=$(SYMBOL=$symbol wrk -t1 -c"$connections" -d"${seconds}s" -s tests/Benchmarks/fleet/predict.lua \
      "http://127.0.0.1:1810$n/api/v1/predict" | grep '^p50_ms=')
    echo "round $round $role worker-$n $result"
  done
done
