#!/usr/bin/env bash
# Organization-scale benchmark: an AWS Organization of N member accounts in moto_server (created
# through the Organizations API, default 1000), in each, through the role `drready-audit`, a
# database and a backup bucket in both regions; then drready collects the organization once, and
# again in four shards merged, and audits both.
#
#   benches/org.sh [N]        (default 1000; needs moto[server] and a release build)
#
# It prints the requests drready made (and per account), moto's own time per request, the floor
# (requests × per-request time), drready's wall time and peak memory, and whether the sharded run
# gives the same verdicts as the single one. It asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
BIN="${DRREADY_BIN:-./target/release/drready}"
[ -x "$BIN" ] || cargo build --release
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
moto_server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
WORK=$(mktemp -d)
trap 'kill $MOTO 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT))" 2>/dev/null && break; sleep 0.2; done

echo "seeding an organization of $N member accounts..."
time python3 tests/moto/seed.py "$URL" org "$N" > "$WORK/ids.json"
SANDBOX=$(python3 -c "import json,sys; print(json.load(open('$WORK/ids.json'))['sandbox'])")
cat > "$WORK/drready.toml" <<TOML
[scope]
regions = ["us-east-1", "us-west-2"]

[organization]
role_name = "drready-audit"
exclude_ous = ["$SANDBOX"]
exclude_accounts = ["123456789012"]
TOML

# moto's time per request, as benches/live.sh measures it: a cheap call (the management
# account's ListBuckets) over keep-alive.
PER_CALL_MS=$(python3 benches/moto_per_request.py "$PORT" /)

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
run() { # name, extra args...
  local name=$1; shift
  /usr/bin/time -v "$BIN" collect --config "$WORK/drready.toml" --endpoint-url "$URL" \
    --quiet --calls "$@" 2>"$WORK/$name.log"
}
run whole --out "$WORK/whole.json"
for i in 0 1 2 3; do run "shard$i" --shard "$i/4" --out "$WORK/shard-$i.json"; done

report() { # log
  python3 - "$1" "$PER_CALL_MS" "$N" <<'PY'
import re, sys
log, per, n = open(sys.argv[1]).read(), float(sys.argv[2]), int(sys.argv[3])
calls = int(re.search(r"(\d+) AWS requests", log).group(1))
wall = re.search(r"Elapsed \(wall clock\).*: (\S+)", log).group(1)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1))
secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
# Each account's role is assumed once, by the credentials provider (not in the count above).
accounts = int(re.search(r"in (\d+) account", log).group(1))
total = calls + accounts
floor = total * per / 1000
print(f"  {re.search(r'collected .*', log).group(0)}")
print(f"  requests {calls} + {accounts} AssumeRole = {total} ({total / max(accounts, 1):.1f} per account)")
print(f"  floor {floor:.1f} s (requests x moto's {per} ms); wall {secs:.1f} s ({secs / floor:.2f}x the floor); peak RSS {rss / 1024:.0f} MB")
PY
}
echo "moto per request: $PER_CALL_MS ms"
echo "one run:"; report "$WORK/whole.log"
for i in 0 1 2 3; do echo "shard $i/4:"; report "$WORK/shard$i.log"; done

verdicts() { "$BIN" audit --config "$WORK/drready.toml" --no-evidence --format json "$@" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(sorted((v["control"], v["resource"], v["status"]) for v in d["verdicts"])))'; }
/usr/bin/time -v "$BIN" merge --out "$WORK/merged.json" "$WORK"/shard-*.json 2>"$WORK/merge.log"
echo "merge: $(grep 'Elapsed (wall clock)' "$WORK/merge.log" | awk '{print $NF}') wall, $(( $(grep 'Maximum resident' "$WORK/merge.log" | awk '{print $NF}') / 1024 )) MB"
verdicts --snapshot "$WORK/whole.json" > "$WORK/v-whole"
verdicts --snapshot "$WORK/merged.json" > "$WORK/v-merged"
echo "verdicts: $(python3 -c "import json; print(len(json.load(open('$WORK/v-whole'))))") in one run; sharded and merged: $(cmp -s "$WORK/v-whole" "$WORK/v-merged" && echo identical || echo DIFFERENT)"
