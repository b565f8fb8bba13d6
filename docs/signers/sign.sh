#!/usr/bin/env bash
# HMAC#1 signer for the Bloonio Chat Relay: bash + openssl + curl.
#
#   TENANT_ID=... TENANT_SECRET=bts_... BASE_URL=http://localhost:7811 \
#     sign.sh POST /api/v1/relay/fetch/operator-token '{"email":"merchant@acme.com"}'
#   TENANT_SECRET=bts_... TIMESTAMP=1718960000000 sign.sh --print GET '/api/v1/relay/usage?period=2026-11'
#
# BODY is sent byte for byte; '@file' sends a file's exact bytes. --print (or SIGN_ONLY=1)
# only prints the X-Bloonio-Signature value. TIMESTAMP (unix ms) defaults to now.
set -euo pipefail

print_only=${SIGN_ONLY:-0}
if [[ ${1:-} == --print ]]; then print_only=1; shift; fi
[[ $# -ge 2 ]] || { echo "usage: ${0##*/} [--print] METHOD PATH_AND_QUERY [BODY|@file]" >&2; exit 2; }

method=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
path=$2
body=${3-}
secret=${TENANT_SECRET:?set TENANT_SECRET}

hex() { openssl dgst -sha256 "$@" | awk '{print $NF}'; }

if [[ $body == @* ]]; then
  body_hash=$(hex "${body#@}")
else
  body_hash=$(printf '%s' "$body" | hex)
fi

ts=${TIMESTAMP:-}
if [[ -z $ts ]]; then
  ts=$(date +%s%3N)
  [[ $ts =~ ^[0-9]+$ ]] || ts=$(( $(date +%s) * 1000 ))  # date without %N (macOS): whole seconds
fi

canonical="$ts"$'\n'"$method"$'\n'"$path"$'\n'"$body_hash"
signature="v1=$(printf '%s' "$canonical" | hex -hmac "$secret")"

if [[ $print_only == 1 ]]; then
  printf '%s\n' "$signature"
  exit 0
fi

args=(-sS -X "$method"
  -H "X-Bloonio-Tenant-Id: ${TENANT_ID:?set TENANT_ID}"
  -H "X-Bloonio-Timestamp: $ts"
  -H "X-Bloonio-Signature: $signature")
if [[ $# -ge 3 ]]; then
  args+=(-H 'Content-Type: application/json' --data-binary "$body")
fi
curl "${args[@]}" "${BASE_URL:-http://localhost:7811}$path"
echo
