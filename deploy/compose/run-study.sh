#!/bin/sh
# Runs one study on the rehearsal consortium, as a researcher would: waits for the coordinator to be ready,
# has the administrator issue a researcher credential through the API, submits study.json with
# `dure study submit`, follows it with `dure study watch` (exit 0 only when it COMPLETED) and prints
# `dure study report`. Runs in the site-agent image with the consortium volume read-only at /consortium.
# Environment: DURE_COORDINATOR (https://coordinator:8470), DURE_STUDY (/study.json), DURE_READY_TIMEOUT (300 s).
set -eu
API="${DURE_COORDINATOR:-https://coordinator:8470}"
STUDY="${DURE_STUDY:-/study.json}"
CA=/consortium/coordinator/ca-cert.pem
export DURE_COORDINATOR="$API" DURE_CA="$CA"
deadline=$(( $(date +%s) + ${DURE_READY_TIMEOUT:-300} ))
until curl -fsS --cacert "$CA" "$API/ready" > /dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "study: the coordinator at $API was not ready within ${DURE_READY_TIMEOUT:-300} s; its /ready says: $(curl -sS --cacert "$CA" "$API/ready" 2>&1)" >&2
    exit 3
  fi
  sleep 1
done
echo "study: coordinator ready: $(curl -fsS --cacert "$CA" "$API/ready")"
umask 077
TOKEN_FILE="${TMPDIR:-/tmp}/researcher.token"
curl -fsS --cacert "$CA" -H "Authorization: Bearer $(cat /consortium/admin.token)" -H 'Content-Type: application/json' \
  -d "{\"name\": \"researcher-$(date +%s)\", \"role\": \"researcher\"}" "$API/api/users" \
  | sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p' > "$TOKEN_FILE"
[ -s "$TOKEN_FILE" ] || { echo "study: the administrator could not issue a researcher credential (POST /api/users)" >&2; exit 4; }
echo "study: researcher credential issued by the administrator through the API"
ID=$(dure study submit "$STUDY" --token-file "$TOKEN_FILE")
echo "study: submitted $ID"
status=0
dure study watch "$ID" --token-file "$TOKEN_FILE" --progress never || status=$?
dure study report "$ID" --token-file "$TOKEN_FILE" || true
exit $status
