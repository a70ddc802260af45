#!/usr/bin/env bash
# Issue another administrator certificate from an existing CA.
#   scripts/issue-admin-cert.sh OUT_DIR [CA_DIR]
# Writes OUT_DIR/admin.crt and admin_key.pem, signed by CA_DIR/ca.crt (CA_DIR defaults to $GATEWAY_CERT_DIR or ./certs).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [CA_DIR]" >&2; exit 2; }
cd "$(dirname "$0")/.."
node bin/master-gateway.js certs admin --out "$1" --ca-dir "${2:-${GATEWAY_CERT_DIR:-./certs}}"
