#!/bin/sh
# Provisions a one-host rehearsal consortium into the Compose volumes, with the repository's enrolment flow:
# `dure admin init` (CA, the coordinator's TLS certificate, the first administrator's token), then for each site
# `dure agent enrol` (the key pair is made in the site's own volume), `dure admin enrol-site` (the CA signs the
# request) and `dure agent install-cert`; a synthetic cohort (`dure generate-cohort`) becomes each site's extract.
# Runs in the site-agent image; started as root only to hand the empty volumes to the image's user (10001), then
# re-executes itself as that user. Idempotent: a provisioned consortium (/consortium/.provisioned) is left alone.
#
# Volumes: /consortium (CA and administrator: in a real consortium this stays offline), /out/coordinator-pki
# (becomes the coordinator's --pki), /out/<site> (becomes each agent's /var/lib/dure).
# Environment: DURE_SITES (hospital-a hospital-b hospital-c), DURE_COORDINATOR_HOSTS (names in the coordinator's
# certificate: coordinator localhost 127.0.0.1), DURE_AGENT_URL (wss://coordinator:8471/agents), DURE_PATIENTS (600).
set -eu
SITES="${DURE_SITES:-hospital-a hospital-b hospital-c}"
HOSTS="${DURE_COORDINATOR_HOSTS:-coordinator localhost 127.0.0.1}"
AGENT_URL="${DURE_AGENT_URL:-wss://coordinator:8471/agents}"
PATIENTS="${DURE_PATIENTS:-600}"
C=/consortium

if [ "$(id -u)" = 0 ]; then
  for d in "$C" /out/coordinator-pki; do chown 10001:10001 "$d"; chmod 700 "$d"; done
  for s in $SITES; do chown 10001:10001 "/out/$s"; chmod 700 "/out/$s"; done
  exec setpriv --reuid=10001 --regid=10001 --clear-groups -- /bin/sh "$0" "$@"
fi
umask 077
if [ -f "$C/.provisioned" ]; then
  echo "init: consortium already provisioned in $C (sites: $(cat "$C/.provisioned")); nothing to do"
  exit 0
fi

# The CA passphrase: a Compose secret when given, else a random one kept next to the CA (rehearsal only).
PF="${DURE_CA_PASSPHRASE_FILE:-$C/ca-passphrase}"
if [ ! -s "$PF" ]; then head -c 24 /dev/urandom | base64 > "$PF"; fi

host_args=""
for h in $HOSTS; do host_args="$host_args --host $h"; done
# The token is printed once by `admin init`; keep it in an owner-only file and out of the Compose log.
dure admin init --dir "$C" --name "Dure rehearsal consortium" $host_args --passphrase-file "$PF" \
  --token-file "$C/admin.token" | sed -n '1,/^$/p' | sed -e '/^$/d' -e 's/^/init: /'

dure generate-cohort --out "$C/cohort" --patients "$PATIENTS" --sites "$(echo $SITES | wc -w)" | sed 's/^/init: /'
n=0
for s in $SITES; do
  n=$((n + 1))
  V="/out/$s"
  dure agent enrol --site-id "$s" --dir "$V/pki" > /dev/null
  dure admin enrol-site --dir "$C" --csr "$V/pki/site.csr" --passphrase-file "$PF" | sed -n "1p;4p" | sed 's/^/init: /'
  dure agent install-cert --site-id "$s" --dir "$V/pki" --cert "$C/sites/$s/site-cert.pem" --ca "$C/sites/$s/ca-cert.pem" > /dev/null
  mkdir -p "$V/data" "$V/work" "$V/secret"
  # generate-cohort names its files hospital-a.csv, hospital-b.csv, ... in order
  src=$(ls "$C/cohort"/*.csv | sed -n "${n}p")
  cp "$src" "$V/data/extract.csv"
  cat > "$V/policy.json" <<POLICY
{"approval": "automatic", "requireSecureAggregation": false, "minLocalCohort": 0, "minSecureRoster": 2}
POLICY
  cat > "$V/agent.json" <<AGENT
{
  "siteId": "$s",
  "coordinator": "$AGENT_URL",
  "data": {"csv": "/var/lib/dure/data/extract.csv"},
  "tls": "/var/lib/dure/pki",
  "workDir": "/var/lib/dure/work",
  "policy": "/var/lib/dure/policy.json",
  "pseudonymisation": {
    "secretFile": "/var/lib/dure/secret/pseudonym.key",
    "k": 5,
    "columns": {
      "patient_id": "pseudonym",
      "mrn": "delete", "name": "delete", "rrn": "delete", "phone": "delete", "address": "delete", "birth_date": "delete"
    },
    "quasiIdentifiers": ["sex", "region"]
  }
}
AGENT
  echo "init: site $s ready: /var/lib/dure/{agent.json,policy.json,pki/,data/extract.csv} in its volume (data from $(basename "$src"))"
done
# after the enrolments: the site register (sites.json) is part of what the coordinator runs with
cp -R "$C/coordinator/." /out/coordinator-pki/
echo "init: coordinator PKI copied to the coordinator's volume (CA and TLS certificates, TLS key, CRL, site register, API credentials)"
echo "$SITES" > "$C/.provisioned"
echo "init: done; administrator token in $C/admin.token (owner-only)"
