#!/usr/bin/env bash
# The daemon and hook contract, as a user meets it: `tollgate serve`, `status`,
# `reload`, `hook <harness>` with and without a daemon, `install`/`uninstall`
# preserving the rest of a harness's settings, `doctor`, one daemon per data
# directory, reload on change, graceful shutdown.
# Usage: daemon_contract.sh /path/to/tollgate
set -uo pipefail
TG=${1:?usage: daemon_contract.sh TOLLGATE}
WORK=$(mktemp -d /tmp/tollgate-daemon-XXXXXX)
DATA=$WORK/data
export HOME=$WORK/home
mkdir -p "$HOME" "$WORK/proj"
export TOLLGATE_SOCKET=$DATA/tollgate.sock
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [ -n "${HANG_PID:-}" ] && kill "$HANG_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
contains() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
wait_for() {  # wait_for SECONDS COMMAND…: polls until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
}
pre() {  # a Claude Code PreToolUse event for a tool and its input
  printf '{"session_id":"s1","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"%s","tool_input":%s,"tool_use_id":"t1"}' \
    "$WORK/proj" "$1" "$2"
}

# --- no daemon yet: every tool call is denied, with how to fix it
out=$(pre Bash '{"command":"ls"}' | "$TG" hook claude-code 2>/dev/null); rc=$?
contains "$out" '"permissionDecision":"deny"' && contains "$out" "tollgate serve"; check "HookDeniesWhenNoDaemonRuns" $?
check "HookExitsZeroWithJsonDeny" $rc
out=$(printf '{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"ls"}}' |
  "$TG" hook gemini 2>/dev/null)
contains "$out" '"decision":"deny"'; check "GeminiHookDeniesWhenNoDaemonRuns" $?
out=$(printf '{"hook_event_name":"beforeShellExecution","command":"ls","conversation_id":"c"}' | "$TG" hook cursor 2>/dev/null)
contains "$out" '"permission":"deny"'; check "CursorHookDeniesWhenNoDaemonRuns" $?

# --- a daemon that accepts and never answers: the hook gives up within its timeout and denies
HANG_SOCK=$WORK/hang.sock
node -e 'require("net").createServer(() => {}).listen(process.argv[1])' "$HANG_SOCK" &
HANG_PID=$!
wait_for 10 test -S "$HANG_SOCK"
start=$SECONDS
out=$(pre Bash '{"command":"ls"}' | TOLLGATE_SOCKET=$HANG_SOCK TOLLGATE_HOOK_TIMEOUT_MS=300 "$TG" hook claude-code 2>/dev/null)
contains "$out" '"permissionDecision":"deny"' && contains "$out" "did not answer"; check "HookDeniesWhenDaemonHangs" $?
[ $((SECONDS - start)) -le 5 ]; check "HookNeverBlocksPastItsTimeout" $?
kill "$HANG_PID"; HANG_PID=

# --- start the daemon (seeds the baseline pack)
"$TG" serve --data "$DATA" --reload-interval-ms 100 2>"$WORK/serve.log" &
SERVE_PID=$!
wait_for 20 "$TG" status; check "ServeStartsAndAnswersStatus" $?
[ -f "$DATA/policies/schema.cedarschema" ] && [ -f "$DATA/policies/tests/baseline.json" ]; check "ServeSeedsTheBaselinePack" $?
[ "$(stat -c %a "$DATA/tollgate.sock")" = 600 ] || [ "$(stat -c %a "$DATA/tollgate.sock")" = 700 ]; check "SocketIsPrivate" $?

"$TG" serve --data "$DATA" 2>"$WORK/second.log"; rc=$?
[ $rc -ne 0 ] && grep -q "already using the data directory" "$WORK/second.log"; check "SecondServeRefusesTheSameDataDirectory" $?
"$TG" status >/dev/null; check "FirstDaemonUnaffectedBySecond" $?

# --- decisions through the hook
out=$(pre Read "{\"file_path\":\"$WORK/proj/.env\"}" | "$TG" hook claude-code)
contains "$out" '"permissionDecision":"deny"' && contains "$out" "no-secret-reads"; check "DeniesReadingDotEnv" $?
out=$(pre Bash '{"command":"git status"}' | "$TG" hook claude-code); rc=$?
[ -z "$out" ] && [ $rc -eq 0 ]; check "AllowPrintsNothingAndExitsZero" $?
out=$(pre Bash '{"command":"git push --force"}' | "$TG" hook claude-code)
contains "$out" '"permissionDecision":"ask"'; check "ForcePushAsks" $?
out=$(pre Bash '{"command":"git push --force"}' | "$TG" hook codex)
contains "$out" '"permissionDecision":"deny"' && contains "$out" "approval needed"; check "CodexAskBecomesADenyThatSaysWhy" $?
out=$(printf '\x00\x01garbage' | "$TG" hook claude-code 2>"$WORK/err"); rc=$?
[ $rc -eq 2 ] && grep -q "could not read" "$WORK/err"; check "GarbageEventBlocksWithExitTwo" $?
out=$(pre Bash '{"command":"ls"}' | "$TG" hook nonsense 2>/dev/null); rc=$?
[ $rc -eq 2 ]; check "UnknownHarnessBlocks" $?
head -c 2000000 /dev/zero | tr '\0' 'a' | sed 's/^/{"session_id":"s1","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"big.txt","content":"/; s/$/"}}/' |
  "$TG" hook claude-code >"$WORK/big.out"; rc=$?
[ $rc -eq 0 ]; check "MegabyteToolInputGetsAnAnswer" $?
"$TG" status >/dev/null; check "DaemonSurvivesBadInput" $?

# --- reload: a broken pack is refused and the previous one stays; a good change is picked up
before=$("$TG" status | sed 's/.*"pack":"\([^"]*\)".*/\1/')
echo 'forbid (principal, action, resource) when { context.no_such_field };' >"$DATA/policies/99-broken.cedar"
"$TG" reload 2>"$WORK/reload.err"; rc=$?
[ $rc -ne 0 ] && grep -q "99-broken.cedar:1:" "$WORK/reload.err"; check "BrokenPackIsRefusedWithDiagnostics" $?
[ "$("$TG" status | sed 's/.*"pack":"\([^"]*\)".*/\1/')" = "$before" ]; check "PreviousPackStaysActive" $?
rm "$DATA/policies/99-broken.cedar"
printf '@id("no-make")\n@reason("make is off today")\nforbid (principal, action, resource == Tollgate::Command::"make");\n' \
  >"$DATA/policies/99-no-make.cedar"
pack_changed() { [ "$("$TG" status | sed 's/.*"pack":"\([^"]*\)".*/\1/')" != "$before" ]; }
wait_for 20 pack_changed; check "PackReloadsWhenItsFilesChange" $?
out=$(pre Bash '{"command":"make -j4"}' | "$TG" hook claude-code)
contains "$out" "make is off today"; check "ReloadedPolicyDecides" $?

# --- install / uninstall keep everything else in the settings file
mkdir -p "$WORK/proj/.claude"
cat >"$WORK/proj/.claude/settings.json" <<'EOF'
{"model": "opus", "permissions": {"allow": ["Bash(npm test)"]},
 "hooks": {"PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "./lint.sh"}]}]}}
EOF
cp "$WORK/proj/.claude/settings.json" "$WORK/original.json"
"$TG" install claude-code --project "$WORK/proj" >/dev/null; check "InstallSucceeds" $?
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1]));
  const pre = s.hooks.PreToolUse;
  const ok = s.model === "opus" && s.permissions.allow[0] === "Bash(npm test)" &&
    pre.some(g => g.hooks.some(h => h.command === "./lint.sh")) &&
    pre.some(g => g.hooks.some(h => h.command.startsWith(process.argv[2] + " hook claude-code ||"))) &&
    ["PostToolUse", "PostToolUseFailure", "UserPromptSubmit", "SessionStart", "SessionEnd"].every(e => s.hooks[e]);
  process.exit(ok ? 0 : 1);' "$WORK/proj/.claude/settings.json" "$(readlink -f "$TG")"
check "InstallPreservesOtherSettingsAndUsesAbsolutePath" $?
"$TG" install claude-code --project "$WORK/proj" >/dev/null
n=$(grep -o 'hook claude-code' "$WORK/proj/.claude/settings.json" | wc -l)
[ "$n" -eq 6 ]; check "InstallIsIdempotent" $?
(cd "$WORK/proj" && "$TG" doctor >"$WORK/doctor.out"); rc=$?
[ $rc -eq 0 ] && grep -q "claude-code (project): installed" "$WORK/doctor.out" && grep -q "daemon:          ok" "$WORK/doctor.out" &&
  grep -q "hooks fire: 1 session" "$WORK/doctor.out"
check "DoctorSeesHooksAndDaemon" $?
"$TG" uninstall claude-code --project "$WORK/proj" >/dev/null; check "UninstallSucceeds" $?
node -e '
  const fs = require("fs");
  const a = JSON.parse(fs.readFileSync(process.argv[1])), b = JSON.parse(fs.readFileSync(process.argv[2]));
  process.exit(JSON.stringify(a) === JSON.stringify(b) ? 0 : 1);' "$WORK/proj/.claude/settings.json" "$WORK/original.json"
check "UninstallRestoresTheOriginalSettings" $?
echo '{ not json' >"$WORK/proj/.claude/settings.json"
"$TG" install claude-code --project "$WORK/proj" 2>/dev/null; rc=$?
[ $rc -ne 0 ] && [ "$(cat "$WORK/proj/.claude/settings.json")" = '{ not json' ]; check "InstallRefusesToClobberInvalidSettings" $?
for h in codex cursor gemini; do
  "$TG" install $h --project "$WORK/proj" >/dev/null && "$TG" uninstall $h --project "$WORK/proj" >/dev/null
  check "InstallAndUninstall_$h" $?
done
grep -q '"version": 1' "$WORK/proj/.cursor/hooks.json" 2>/dev/null || [ ! -s "$WORK/proj/.cursor/hooks.json" ] ||
  grep -q '{}' "$WORK/proj/.cursor/hooks.json"; check "CursorHooksFileStaysWellFormed" $?

# --- a hook that cannot run blocks instead of failing open
mkdir -p "$WORK/p2"
"$TG" install claude-code --project "$WORK/p2" >/dev/null
cmd=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(s.hooks.PreToolUse[0].hooks[0].command)' \
  "$WORK/p2/.claude/settings.json")
broken=${cmd/$(readlink -f "$TG")/$WORK/missing/tollgate}
pre Bash '{"command":"ls"}' | sh -c "$broken" >/dev/null 2>"$WORK/broken.err"; rc=$?
[ $rc -eq 2 ] && grep -q "hook failed" "$WORK/broken.err"; check "InstalledHookBlocksWhenTheBinaryIsMissing" $?
pre Bash '{"command":"ls"}' | sh -c "$cmd" >/dev/null 2>&1; check "InstalledHookRunsThroughTheShell" $?

# --- the record
"$TG" status | grep -q '"events":'; check "StatusCountsRecordedEvents" $?

# --- kill -9 in the middle of a stream of decisions: every acknowledged one is in the ledger
burst_and_kill() {  # burst_and_kill TAG: 40 decisions, the daemon killed after the 25th is answered;
                    # sets `kept` to how many TAG decisions the ledger holds
  for i in $(seq 1 40); do
    pre Bash "{\"command\":\"echo $1-$i\"}" | "$TG" hook claude-code >/dev/null 2>&1
    [ "$i" -eq 25 ] && kill -9 "$SERVE_PID"
  done
  wait "$SERVE_PID" 2>/dev/null; SERVE_PID=
  kept=$("$TG" audit query --data "$DATA" --kind decision | grep -c "$1-")
}
burst_and_kill kill9
[ "$kept" -ge 25 ]; check "AcknowledgedDecisionsSurviveKill9" $?
"$TG" audit verify --data "$DATA" | grep -q "^ok:"; check "LedgerVerifiesAfterKill9" $?
"$TG" serve --data "$DATA" 2>"$WORK/restart.log" &
SERVE_PID=$!
wait_for 20 "$TG" status
grep -q "ledger recovered to its last complete record" "$WORK/restart.log"; check "RestartSaysWhereTheLedgerRecovered" $?

# --- graceful shutdown
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
[ $rc -eq 0 ] && [ ! -e "$DATA/tollgate.sock" ]; check "GracefulShutdownRemovesTheSocket" $?
"$TG" serve --data "$DATA" 2>/dev/null &
SERVE_PID=$!
wait_for 20 "$TG" status; check "RestartAfterShutdown" $?

# --- --durability process: answers leave once written, not flushed; a kill -9 still loses nothing acknowledged
"$TG" serve --data "$WORK/other" --durability sometimes >/dev/null 2>"$WORK/dur.err"; rc=$?
[ $rc -eq 2 ] && grep -q "durability" "$WORK/dur.err"; check "UnknownDurabilityIsRefused" $?
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=
"$TG" serve --data "$DATA" --durability process 2>/dev/null &
SERVE_PID=$!
wait_for 20 "$TG" status
burst_and_kill proc9
[ "$kept" -ge 25 ]; check "ProcessDurabilityAcknowledgedDecisionsSurviveKill9" $?
"$TG" audit verify --data "$DATA" | grep -q "^ok:"; check "ProcessDurabilityLedgerVerifiesAfterKill9" $?

# A gateway without --name names its server after the package; another npm
# scope than the official one stays in the name.
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexit 0\n' >"$WORK/bin/npx"; chmod +x "$WORK/bin/npx"
gw_name() {
  echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' |
    PATH="$WORK/bin:$PATH" TOLLGATE_SOCKET=$WORK/none.sock timeout 10 "$TG" mcp -- npx -y "$1" 2>/dev/null |
    grep -o 'MCP server `[^`]*`'
}
[ "$(gw_name @modelcontextprotocol/server-filesystem)" = 'MCP server `server-filesystem`' ] &&
  [ "$(gw_name @acme/server-filesystem@1.2.3)" = 'MCP server `acme~server-filesystem`' ]
check "GatewayNamesItsServerWithItsNpmScope" $?

echo "$fails failed"
[ $fails -eq 0 ]
