#!/usr/bin/env bash
# Runs sign.sh, sign.py and sign.mjs against every HMAC#1 test vector.
#   check-vectors.sh [vectors.json]   (default: hmac1-vectors.json in this folder)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vectors=${1:-$here/hmac1-vectors.json}
[[ -f $vectors ]] || { echo "no vectors file: $vectors" >&2; exit 2; }

failed=0 count=0
# NUL-separated fields keep bodies byte-exact (trailing newlines included).
while IFS= read -r -d '' secret && IFS= read -r -d '' ts && IFS= read -r -d '' method \
   && IFS= read -r -d '' path && IFS= read -r -d '' body && IFS= read -r -d '' want; do
  count=$((count + 1))
  for signer in bash python node; do
    case $signer in
      bash)   got=$(TENANT_SECRET=$secret TIMESTAMP=$ts "$here/sign.sh" --print "$method" "$path" "$body" 2>&1) || true ;;
      python) got=$(python3 "$here/sign.py" --secret="$secret" --timestamp="$ts" --method="$method" --path="$path" --body="$body" 2>&1) || true ;;
      node)   got=$(node "$here/sign.mjs" --secret="$secret" --timestamp="$ts" --method="$method" --path="$path" --body="$body" 2>&1) || true ;;
    esac
    if [[ $got == "$want" ]]; then
      printf 'ok    #%d %-6s %s %s\n' "$count" "$signer" "$method" "$path"
    else
      printf 'FAIL  #%d %-6s %s %s: got %s, want %s\n' "$count" "$signer" "$method" "$path" "$got" "$want"
      failed=$((failed + 1))
    fi
  done
done < <(python3 - "$vectors" <<'PY'
import json, sys
for v in json.load(open(sys.argv[1], encoding="utf-8")):
    for k in ("secret", "timestamp", "method", "path_and_query", "body_utf8", "signature_header"):
        sys.stdout.buffer.write(str(v[k]).encode("utf-8") + b"\0")
PY
)

(( count > 0 )) || { echo "no vectors read from $vectors" >&2; exit 2; }
echo "$count vectors, $failed failure(s)"
(( failed == 0 ))
