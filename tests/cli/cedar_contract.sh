#!/usr/bin/env bash
# The `tollgate cedar authorize` / `tollgate cedar test` contract that other
# tools depend on: output shapes, line-for-line batches, exit codes and
# diagnostics. Usage: cedar_contract.sh PATH_TO_TOLLGATE (run from the repo root).
set -uo pipefail
tg=$1
ex=examples/quickstart
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
  fi
}
authz() { "$tg" cedar authorize --policies $ex/policies.cedar --schema $ex/schema.cedarschema --entities $ex/entities.json "$@"; }

# One request: one JSON object, exit 0 whatever the decision.
sed -n 1p $ex/requests.jsonl >"$tmp/r1.json"
check AllowsWorkspaceRead '{"decision":"allow","reason":["policy0"],"errors":[]}' "$(authz --request "$tmp/r1.json")"
sed -n 2p $ex/requests.jsonl >"$tmp/r2.json"
out=$(authz --request "$tmp/r2.json"); rc=$?
check DeniesSecretReadNamingTheForbid '{"decision":"deny","reason":["policy2"],"errors":[]} 0' "$out $rc"

# A batch answers line for line, in order; a bad line answers {"error":…} and the batch goes on.
{ sed -n 1,3p $ex/requests.jsonl; echo 'not json'; sed -n 4p $ex/requests.jsonl; sed -n 1p $ex/requests.jsonl; } >"$tmp/batch.jsonl"
authz --requests "$tmp/batch.jsonl" >"$tmp/out.jsonl"; rc=$?
check BatchExitsZero 0 "$rc"
check BatchAnswersEveryLine 6 "$(wc -l <"$tmp/out.jsonl")"
check BatchKeepsOrder '{"decision":"deny","reason":[],"errors":[]}' "$(sed -n 3p "$tmp/out.jsonl")"
check BadLineAnswersError 1 "$(sed -n 4p "$tmp/out.jsonl" | grep -c '^{"error":"invalid JSON')"
check UndeclaredActionFailsValidation 1 "$(sed -n 5p "$tmp/out.jsonl" | grep -c '^{"error":"request.s action `Tollgate::Action::\\"shell.exec\\"` is not declared')"
check BatchGoesOnAfterErrors '{"decision":"allow","reason":["policy0"],"errors":[]}' "$(sed -n 6p "$tmp/out.jsonl")"

# validateRequest:false skips validation (the policies still decide: default deny).
sed -n 4p $ex/requests.jsonl | sed 's/}$/, "validateRequest": false}/' >"$tmp/novalidate.jsonl"
check ValidateRequestFalseSkipsValidation '{"decision":"deny","reason":[],"errors":[]}' "$(authz --requests "$tmp/novalidate.jsonl")"

# Requests from stdin.
check ReadsRequestsFromStdin '{"decision":"allow","reason":["policy0"],"errors":[]}' "$(sed -n 1p $ex/requests.jsonl | authz --requests -)"

# Unparseable inputs: exit 2, every diagnostic as file:line:col: message.
printf 'permit(principal, action, resource) when { 1 + };\npermit(principal, action == User::"x", resource);\n' >"$tmp/bad.cedar"
"$tg" cedar authorize --policies "$tmp/bad.cedar" --entities $ex/entities.json --requests $ex/requests.jsonl \
  >"$tmp/stdout" 2>"$tmp/stderr"; rc=$?
check BadPoliciesExitTwo 2 "$rc"
check BadPoliciesPrintNothingOnStdout 0 "$(wc -c <"$tmp/stdout")"
check EveryPolicyDiagnosticHasPosition "$tmp/bad.cedar:1:48: $tmp/bad.cedar:2:29:" "$(cut -d' ' -f1 "$tmp/stderr" | tr '\n' ' ' | sed 's/ $//')"
printf '[{"uid": {"type": "User", "id": "a"}, "attrs": {"n": 1.5}, "parents": []}]' >"$tmp/bad.json"
"$tg" cedar authorize --policies $ex/policies.cedar --entities "$tmp/bad.json" --request "$tmp/r1.json" 2>"$tmp/stderr"; rc=$?
check BadEntitiesExitTwo 2 "$rc"
check EntityDiagnosticPointsAtTheEntity 1 "$(grep -c "^$tmp/bad.json:1:2: entity \`User::\"a\"\`: attribute \`n\`" "$tmp/stderr")"
printf '{ entity' >"$tmp/bad.cedarschema"
"$tg" cedar authorize --policies $ex/policies.cedar --schema "$tmp/bad.cedarschema" --entities $ex/entities.json --request "$tmp/r1.json" 2>"$tmp/stderr"; rc=$?
check BadSchemaExitTwo 2 "$rc"
check SchemaDiagnosticHasPosition 1 "$(grep -c "^$tmp/bad.cedarschema:1:[0-9]*: " "$tmp/stderr")"

# cedar test ends with the N passed, M failed line.
mkdir -p "$tmp/suite"
cat >"$tmp/suite/t.json" <<JSON
{"policies": "$PWD/$ex/policies.cedar", "entities": "$PWD/$ex/entities.json", "schema": "$PWD/$ex/schema.cedarschema",
 "shouldValidate": true, "requests": [
 {"description": "read", "principal": {"type": "Tollgate::Session", "id": "s-1"}, "action": {"type": "Tollgate::Action", "id": "file.read"},
  "resource": {"type": "Tollgate::Path", "id": "/home/dev/repo/src"}, "context": {"now": "2026-01-01"}, "decision": "allow", "reason": ["policy0"], "errors": []},
 {"description": "wrong expectation", "principal": {"type": "Tollgate::Session", "id": "s-1"}, "action": {"type": "Tollgate::Action", "id": "file.read"},
  "resource": {"type": "Tollgate::Path", "id": "/home/dev/repo/.env"}, "context": {"now": "2026-01-01"}, "decision": "allow", "reason": ["policy0"], "errors": []}]}
JSON
"$tg" cedar test "$tmp/suite" >"$tmp/stdout" 2>/dev/null; rc=$?
check CedarTestCountsRequestsAndValidation "2 passed, 1 failed" "$(tail -1 "$tmp/stdout")"
check CedarTestFailsOnMismatch 1 "$rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
