#!/usr/bin/env bash
# Live-collection benchmark: seed a moto_server on loopback with N of each resource kind (RDS
# instances, a quarter with a cross-region replica; backup buckets; backup plans and vaults;
# alarms; IAM roles), half in each of two regions, then time `drready audit` collecting live.
#
#   benches/live.sh [N]        (default 500; needs moto[server] and a release build)
#
# It prints the requests drready made, moto's own time per request (measured on the same server
# with a keep-alive loop of cheap calls), the floor (requests × per-request time), drready's wall
# time and peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-500}"
BIN="${DRREADY_BIN:-./target/release/drready}"   # another build to compare: DRREADY_BIN=...
[ -x "$BIN" ] || cargo build --release
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
moto_server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null || true' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT))" 2>/dev/null && break; sleep 0.2; done

echo "seeding $N of each kind..."
time python3 tests/moto/seed.py "$URL" bench "$N"

# moto's time per request: 300 GetBucketTagging calls (a per-bucket call drready makes) over one
# keep-alive connection, unsigned (moto does not check signatures without IAM enforcement).
PER_CALL_MS=$(python3 benches/moto_per_request.py "$PORT" "/bench-backup-00000?tagging")

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
LOG=$(mktemp)
/usr/bin/time -v "$BIN" audit --endpoint-url "$URL" --region us-east-1 --dr-region us-west-2 \
  --no-evidence --quiet --calls >/dev/null 2>"$LOG"
CALLS=$(grep -o '[0-9]* AWS requests' "$LOG" | grep -o '^[0-9]*')
WALL=$(grep 'Elapsed (wall clock)' "$LOG" | awk '{print $NF}')
RSS=$(grep 'Maximum resident set size' "$LOG" | awk '{print $NF}')
grep '^collected' "$LOG"
echo "moto per request: ${PER_CALL_MS} ms"
python3 - "$CALLS" "$PER_CALL_MS" "$WALL" "$RSS" <<'EOF'
import sys
calls, per, wall, rss = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
floor = calls * per / 1000
print(f"requests {calls}, floor {floor:.1f} s (requests x moto per request)")
print(f"drready wall {secs:.1f} s ({secs / floor:.2f}x the floor), peak RSS {rss / 1024:.0f} MB")
EOF
rm -f "$LOG"
