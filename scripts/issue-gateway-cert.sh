#!/usr/bin/env bash
# Issue a device gateway certificate and register the gateway to its tenant.
#   scripts/issue-gateway-cert.sh TENANT_ID GATEWAY_ID [CERT_DIR]
# Writes CERT_DIR/gateway_<ID>.crt and gateway_<ID>_key.pem (CERT_DIR defaults to $GATEWAY_CERT_DIR or ./certs).
# The tenant must exist (scripts/issue-tenant-cert.sh or `master-gateway tenant add`).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 TENANT_ID GATEWAY_ID [CERT_DIR]" >&2; exit 2; }
cd "$(dirname "$0")/.."
node bin/master-gateway.js certs gateway "$1" "$2" --out "${3:-${GATEWAY_CERT_DIR:-./certs}}"
echo "register it with the Tenant API (AddGateway) or: master-gateway tenant add $1 --gateway $2 (new tenants only)"
