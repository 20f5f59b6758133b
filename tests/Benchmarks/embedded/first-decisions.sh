#!/bin/bash
# What the embedded default decides first: starts the main job (built, Debug) with the given
# settings, reads its decisions from the start with `tail --json --from-beginning` for SECONDS, and
# counts actions, regime vectors and specialists (docs/getting-started.md, the demo's regimes).
# usage: bash tests/Benchmarks/embedded/first-decisions.sh LABEL PORT SECONDS [worker settings...]
label=$1; port=$2; secs=$3; shift 3
cd "$(dirname "$0")/../../.."
W=src/Worker/bin/Debug/net10.0/linux-x64
dotnet $W/Inference.Streaming.Worker.dll --urls http://127.0.0.1:$port "$@" > "${TMPDIR:-/tmp}"/first-decisions-$label.log 2>&1 &
pid=$!
sleep 12
T=src/Tools/bin/Debug/net10.0/linux-x64
timeout $secs dotnet $T/Inference.Streaming.Tools.dll tail --json --from-beginning --api http://127.0.0.1:$port > "${TMPDIR:-/tmp}"/first-decisions-$label.jsonl 2>/dev/null
kill -TERM $pid; wait $pid 2>/dev/null
python3 - "$label" "${TMPDIR:-/tmp}/first-decisions-$label.jsonl" <<'PY'
import json,sys,collections
label=sys.argv[1]
rows=[json.loads(l) for l in open(sys.argv[2]) if l.startswith('{')]
acts=collections.Counter(r['action'] for r in rows)
prop=collections.Counter(r['proposed_action'] for r in rows)
def dom(r):
    g=r['regime']; return max(['bull','bear','sideways'],key=lambda k:g[k])
prior=sum(1 for r in rows if abs(r['regime']['bull']-1/3)<1e-9 and abs(r['regime']['bear']-1/3)<1e-9)
doms=collections.Counter(dom(r) for r in rows if not (abs(r['regime']['bull']-1/3)<1e-9 and abs(r['regime']['bear']-1/3)<1e-9))
vals=collections.Counter((round(r['regime']['bull'],2),round(r['regime']['bear'],2),round(r['regime']['sideways'],2)) for r in rows)
first=rows[:98]
print(label, 'decisions', len(rows), 'actions', dict(acts), 'proposed', dict(prop))
print('  first 98:', dict(collections.Counter(r['action'] for r in first)))
print('  prior', prior, 'dominant', dict(doms), 'distinct regime vectors', len(vals), 'most common', vals.most_common(3))
print('  selected', dict(collections.Counter(r['selected_model'] for r in rows)))
PY
