#!/usr/bin/env bash
# The `tollgate policy check|fmt|explain` contract (docs/policy-tools.md):
# exit codes, diagnostics with positions, underlines and help lines, JSON
# shapes, formatting in place. Usage: policy_contract.sh PATH_TO_TOLLGATE
# (run from the repo root).
set -uo pipefail
tg=$1
d=tests/cli/policy
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

# ---- check
"$tg" policy check $d/pack >"$tmp/out" 2>"$tmp/err"; rc=$?
check ValidPackExitsZero 0 "$rc"
check ValidPackSaysOk 1 "$(grep -c "^$d/pack: ok, 6 policies in 2 files, 0 warnings (pack [0-9a-f]\{12\})$" "$tmp/err")"

"$tg" policy check $d/bad >"$tmp/out" 2>"$tmp/err"; rc=$?
check PackWithErrorsExitsOne 1 "$rc"
check ErrorHasPositionAndMessage 1 "$(grep -c "^$d/bad/00-allow.cedar:16:59: attribute \`pth\` not found in \`context.target\` (context of actions " "$tmp/err")"
check ErrorShowsTheSourceLine 1 "$(grep -c '^ 16 | forbid (principal, action, resource) when { context.target.pth == "/etc/passwd" };$' "$tmp/err")"
check ErrorUnderlinesTheSpan 1 "$(grep -c '^    |                                                           ^~~~$' "$tmp/err")"
check ErrorHasHelp 1 "$(grep -c '^help: did you mean `context.target.path`?$' "$tmp/err")"
check UnknownAnnotationWarnsAtTheAnnotation 1 "$(grep -c "^$d/bad/00-allow.cedar:9:1: warning: unknown annotation \`@reasn\`; Tollgate ignores it$" "$tmp/err")"
check ShadowedPermitIsFound 1 "$(grep -c "^$d/bad/00-allow.cedar:8:1: warning: permit \`tmp-writes\` can never allow anything: forbid \`no-writes\` ($d/bad/00-allow.cedar:12) has no condition and matches every request this permit matches$" "$tmp/err")"
check RedundantForbidIsFound 1 "$(grep -c "^$d/bad/10-guards.cedar:1:1: warning: forbid \`no-secret-writes\` never changes a decision: forbid \`no-writes\` ($d/bad/00-allow.cedar:12) has no condition and already forbids every request this one matches$" "$tmp/err")"
check SummaryCountsProblems 1 "$(grep -c "^$d/bad: 1 error, 3 warnings$" "$tmp/err")"

"$tg" policy check --json $d/bad >"$tmp/out" 2>"$tmp/err"; rc=$?
check JsonExitsOne 1 "$rc"
check JsonOnStdoutOnly 0 "$(wc -c <"$tmp/err")"
check JsonIsOneArray 1 "$(grep -c '^\[{.*}\]$' "$tmp/out")"
check JsonHasEveryField 4 "$(grep -o '{"col":[0-9]*,"file":"[^"]*","help":"[^"]*","line":[0-9]*,"message":"[^}]*","severity":"\(error\|warning\)"}' "$tmp/out" | wc -l)"

"$tg" policy check $d/nonexistent >"$tmp/out" 2>"$tmp/err"; rc=$?
check UnreadablePackExitsTwo 2 "$rc"
check UnreadablePackSaysWhy 1 "$(grep -c 'is not a directory' "$tmp/err")"

# ---- fmt
check FmtPrintsTheCanonicalLayout "$(cat $d/fmt/messy.formatted.cedar)" "$("$tg" policy fmt $d/fmt/messy.cedar)"
check FmtReadsStdin "$(cat $d/fmt/messy.formatted.cedar)" "$("$tg" policy fmt - <$d/fmt/messy.cedar)"
"$tg" policy fmt --check $d/fmt/messy.cedar 2>"$tmp/err"; rc=$?
check FmtCheckFailsOnUnformatted 1 "$rc"
check FmtCheckNamesTheFile 1 "$(grep -c "^$d/fmt/messy.cedar: not formatted" "$tmp/err")"
"$tg" policy fmt --check $d/fmt/messy.formatted.cedar $d/pack; rc=$?
check FmtCheckPassesOnFormattedFilesAndDirs 0 "$rc"
cp $d/fmt/messy.cedar "$tmp/m.cedar"
"$tg" policy fmt --write "$tmp/m.cedar" 2>/dev/null; rc=$?
check FmtWriteExitsZero 0 "$rc"
check FmtWriteRewritesInPlace "" "$(diff "$tmp/m.cedar" $d/fmt/messy.formatted.cedar)"
check FmtIsIdempotent "$(cat $d/fmt/messy.formatted.cedar)" "$("$tg" policy fmt "$tmp/m.cedar")"
printf 'permit(principal, action, resource) when { 1 + };\n' >"$tmp/bad.cedar"
cp "$tmp/bad.cedar" "$tmp/bad.orig"
"$tg" policy fmt --write "$tmp/bad.cedar" >"$tmp/out" 2>"$tmp/err"; rc=$?
check FmtRefusesTextThatDoesNotParse 2 "$rc"
check FmtReportsTheParseErrorPosition 1 "$(grep -c "^$tmp/bad.cedar:1:48: " "$tmp/err")"
check FmtLeavesUnparseableFilesAlone "" "$(diff "$tmp/bad.cedar" "$tmp/bad.orig")"

# ---- explain
ex() { "$tg" policy explain --pack $d/pack --entities $d/entities.json --request "$@"; }
out=$(ex $d/read-secret.json); rc=$?
check ExplainExitsZero 0 "$rc"
check ExplainAllowsNamingThePermit "decision: allow (allow-workspace)" "$(echo "$out" | head -1)"
check ExplainShowsTheReason 1 "$(echo "$out" | grep -c '^      reason: work inside the workspace is allowed$')"
check ExplainSaysWhichScopePartFailed 1 "$(echo "$out" | grep -A1 '^  permit allow-fetch ' | grep -c '^      action does not match$')"
check ExplainDeniesNamingTheForbid "decision: deny (no-secret-writes)" "$(ex $d/write-secret.json | head -1)"
out=$(ex $d/fetch-after-secret.json)
check ExplainAsksWhenEveryForbidAsks "decision: ask (ask-after-secret)" "$(echo "$out" | head -1)"
check ExplainGivesTheQuestion "  ask: this session read a secret; a human must approve egress" "$(echo "$out" | sed -n 2p)"
check ExplainListsLogOnlyApart 1 "$(echo "$out" | grep -c '^  forbid shadow-paste  .*  would deny$')"
out=$(ex $d/write-etc.json)
check ExplainDefaultDeny "decision: deny (no policy allows this request: default deny)" "$(echo "$out" | head -1)"
check ExplainReportsErrors 1 "$(echo "$out" | grep -c '^      error: integer overflow')"
check ExplainNamesTheClauseNotMet 1 "$(echo "$out" | grep -c '^      `when` clause 1 (line 4) is false$')"
out=$(ex $d/fetch-after-secret.json --json)
check ExplainJsonDecision 1 "$(echo "$out" | grep -c '^{"asks":\["this session read a secret; a human must approve egress"\],"decision":"ask","determining":\["ask-after-secret"\],')"
check ExplainJsonLogOnly 1 "$(echo "$out" | grep -c '"log_only":\[{"col":1,"effect":"forbid","file":"[^"]*","id":"shadow-paste","line":16,"outcome":"satisfied","would":"deny"}\]')"
echo '{"principal": {"type": "Tollgate::Session", "id": "s1"}, "action": {"type": "Tollgate::Action", "id": "shell.exec"}, "resource": {"type": "Tollgate::Path", "id": "/"}, "context": {}}' >"$tmp/bad-req.json"
ex "$tmp/bad-req.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
check ExplainRefusesAnInvalidRequest 2 "$rc"
check ExplainSaysWhyTheRequestIsInvalid 1 "$(grep -c 'shell.exec' "$tmp/err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
