#!/usr/bin/env bash
# Decides four of a coding agent's actions with `tollgate cedar authorize`:
# a workspace read (allow), a secret read (deny), a write outside the
# workspace (deny by default) and an action the schema does not declare
# (rejected by request validation).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tollgate=${1:-tollgate}
n=0
while IFS= read -r line; do
  n=$((n + 1))
  action=$(sed -E 's/.*"action": \{[^}]*"id": "([^"]+)".*/\1/' <<<"$line")
  path=$(sed -E 's/.*"resource": \{[^}]*"id": "([^"]+)".*/\1/' <<<"$line")
  printf '%d. %-10s %-28s → ' "$n" "$action" "$path"
  "$tollgate" cedar authorize --policies "$here/policies.cedar" --schema "$here/schema.cedarschema" \
    --entities "$here/entities.json" --request <(printf '%s\n' "$line") || true
done <"$here/requests.jsonl"
echo
echo "The same four as one batch (--requests, one answer per line):"
"$tollgate" cedar authorize --policies "$here/policies.cedar" --schema "$here/schema.cedarschema" \
  --entities "$here/entities.json" --requests "$here/requests.jsonl"
