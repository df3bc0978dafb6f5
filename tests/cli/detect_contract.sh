#!/usr/bin/env bash
# Detection and containment, as an operator meets them (docs/detect.md):
# thresholds from config.json, a probing session quarantined and its task's
# credentials revoked through the hook, `tollgate detect list`, `tollgate
# contain …`, the kill switch surviving a restart, an agent's shell refused
# when it tries to lift containment, and bad detector settings refused.
# Usage: detect_contract.sh /path/to/tollgate
set -uo pipefail
TG=${1:?usage: detect_contract.sh TOLLGATE}
WORK=$(mktemp -d /tmp/tollgate-detect-XXXXXX)
DATA=$WORK/data
export HOME=$WORK/home
mkdir -p "$HOME" "$WORK/proj" "$DATA"
export TOLLGATE_SOCKET=$DATA/tollgate.sock
export TOLLGATE_TEST_DB_PASSWORD=db-secret-5e2a90c4
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
contains() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
wait_for() {  # wait_for SECONDS COMMAND…
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
}
pre() {  # pre SESSION ID TOOL INPUT: a Claude Code PreToolUse event
  printf '{"session_id":"%s","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"%s","tool_input":%s,"tool_use_id":"%s"}' \
    "$1" "$WORK/proj" "$3" "$4" "$2"
}
serve() {
  "$TG" serve --data "$DATA" 2>>"$WORK/serve.log" &
  SERVE_PID=$!
  wait_for 20 "$TG" status
}

# --- bad detector settings are refused at start, naming the file and the member
echo '{"detect": {"probing": {"denials": 0}}}' >"$WORK/bad.json"
"$TG" serve --data "$DATA" --config "$WORK/bad.json" 2>"$WORK/bad.err"; rc=$?
[ $rc -ne 0 ] && grep -q "bad.json: detect.probing.denials: expected a whole number from 1" "$WORK/bad.err"
check "BadThresholdIsRefusedWithFileAndMember" $?
echo '{"detect": {"probing": {"response": ["quarantine", "nuke"]}}}' >"$WORK/bad.json"
"$TG" serve --data "$DATA" --config "$WORK/bad.json" 2>"$WORK/bad.err"; rc=$?
[ $rc -ne 0 ] && grep -q "unknown response \`nuke\`" "$WORK/bad.err"; check "UnknownResponseIsRefused" $?

# --- the daemon, with probing at three denials and one credential
cat >"$DATA/config.json" <<'EOF'
{"credentials": {"db": {"kind": "static", "env": "TOLLGATE_TEST_DB_PASSWORD"}},
 "detect": {"probing": {"denials": 3, "window": 60}}}
EOF
serve; check "ServeStartsWithDetectSettings" $?
"$TG" agent register --name builder --harness claude-code --owner ana >/dev/null
TOKEN=$("$TG" task start --agent builder --ticket OPS-9 --allow-label cred:db --json | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
[ -n "$TOKEN" ]; check "TaskStarts" $?
secret=$(TOLLGATE_TASK_TOKEN=$TOKEN "$TG" cred get db)
[ "$secret" = "$TOLLGATE_TEST_DB_PASSWORD" ]; check "CredentialIssued" $?

# --- three denials of one session: quarantined, and its task's lease revoked
for i in 1 2 3; do
  pre probe "r$i" Read "{\"file_path\":\"$WORK/proj/.env\"}" | TOLLGATE_TASK_TOKEN=$TOKEN "$TG" hook claude-code >/dev/null
done
out=$(pre probe r4 Bash '{"command":"git status"}' | TOLLGATE_TASK_TOKEN=$TOKEN "$TG" hook claude-code)
contains "$out" '"permissionDecision":"deny"' && contains "$out" "quarantined by detection det-" &&
  contains "$out" "tollgate contain release session probe"
check "ProbingSessionIsQuarantined" $?
[ -z "$("$TG" cred leases)" ]; check "ItsLeaseIsRevoked" $?
TOLLGATE_TASK_TOKEN=$TOKEN "$TG" cred get db >/dev/null 2>&1; [ $? -ne 0 ]; check "ItsTaskTokenIsRevoked" $?
out=$(pre bystander b1 Bash '{"command":"git status"}' | "$TG" hook claude-code); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ]; check "AnotherAgentIsUntouched" $?

out=$("$TG" detect list)
contains "$out" "probing  session probe  [quarantine,revoke]"; check "DetectListShowsTheDetection" $?
"$TG" detect list --json | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    const lines = s.trim().split("\n").map(l => JSON.parse(l));
    const d = lines[0];
    process.exit(lines.length === 1 && d.type === "detection" && d.detector === "probing" && d.session === "probe" &&
                 /^det-[0-9a-f]{16}$/.test(d.detection) && d.evidence.count === 3 ? 0 : 1);
  });'
check "DetectListJsonIsTheLedgerRecord" $?
out=$("$TG" contain list)
contains "$out" "kill switch off" && contains "$out" "session probe"; check "ContainListShowsTheQuarantine" $?

# --- an agent's shell may read detections but not lift containment
out=$(pre bystander b2 Bash '{"command":"tollgate contain release session probe"}' | "$TG" hook claude-code)
contains "$out" '"permissionDecision":"deny"' && contains "$out" "is for people"; check "AgentCannotReleaseAQuarantine" $?
out=$(pre bystander b3 Bash '{"command":"tollgate contain kill-switch off"}' | "$TG" hook claude-code)
contains "$out" '"permissionDecision":"deny"'; check "AgentCannotTurnTheKillSwitchOff" $?
out=$(pre bystander b4 Bash '{"command":"tollgate detect list --json"}' | "$TG" hook claude-code); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ]; check "AgentMayListDetections" $?

# --- a person releases the session; the release is recorded
"$TG" contain release session probe >/dev/null; check "ReleaseSucceeds" $?
"$TG" contain release session probe 2>/dev/null; [ $? -ne 0 ]; check "ReleasingTwiceFails" $?

# --- the kill switch stops every agent, survives a restart, and is lifted by a person
"$TG" contain kill-switch on --reason "incident 77" >/dev/null; check "KillSwitchOn" $?
out=$(pre bystander k1 Bash '{"command":"git status"}' | "$TG" hook claude-code)
contains "$out" '"permissionDecision":"deny"' && contains "$out" "incident 77"; check "KillSwitchDeniesEveryone" $?
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=
serve
out=$(pre other k2 Bash '{"command":"git status"}' | "$TG" hook claude-code)
contains "$out" "kill switch is on"; check "KillSwitchSurvivesRestart" $?
"$TG" status | grep -q '"kill_switch":true'; check "StatusShowsTheKillSwitch" $?
"$TG" contain kill-switch off >/dev/null; check "KillSwitchOff" $?
out=$(pre other k3 Bash '{"command":"git status"}' | "$TG" hook claude-code)
[ -z "$out" ]; check "AllowedAgainAfterKillSwitchOff" $?

# --- the record: detections and containments in a ledger that verifies, without the secret
"$TG" audit query --data "$DATA" --kind containment >"$WORK/containment.jsonl"
n=$(wc -l <"$WORK/containment.jsonl")
[ "$n" -eq 5 ] && grep -q '"action":"revoke"' "$WORK/containment.jsonl" &&
  grep -q '"action":"kill-switch"' "$WORK/containment.jsonl" && [ "$(grep -c '"action":"release"' "$WORK/containment.jsonl")" -eq 2 ]
check "EachResponseAndReleaseIsAContainmentRecord" $?
"$TG" audit export --data "$DATA" --format jsonl | grep -q "$TOLLGATE_TEST_DB_PASSWORD"; [ $? -ne 0 ]
check "NoRecordHoldsTheSecret" $?
"$TG" audit verify --data "$DATA" | grep -q "^ok:"; check "LedgerVerifies" $?

# --- detect list without a daemon reads the ledger
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=
out=$("$TG" detect list --data "$DATA")
contains "$out" "probing"; check "DetectListWorksWithoutTheDaemon" $?

echo "$fails failed"
[ $fails -eq 0 ]
