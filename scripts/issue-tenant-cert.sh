#!/usr/bin/env bash
# Issue a tenant certificate and register the tenant, in one step.
#   scripts/issue-tenant-cert.sh TENANT_ID [CERT_DIR]
# Writes CERT_DIR/tenant_<ID>.crt and tenant_<ID>_key.pem (CERT_DIR defaults to $GATEWAY_CERT_DIR or ./certs),
# signed by CERT_DIR/ca.crt, and adds the tenant to the store in $GATEWAY_DATA_DIR (./data) unless it exists.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TENANT_ID [CERT_DIR]" >&2; exit 2; }
cd "$(dirname "$0")/.."
dir=${2:-${GATEWAY_CERT_DIR:-./certs}}
node bin/master-gateway.js certs tenant "$1" --out "$dir"
node bin/master-gateway.js tenant add "$1" 2>/dev/null || echo "tenant $1 is already registered"
