#!/usr/bin/env bash
# The ledger as an auditor meets it: checkpoints, verification, proofs and
# export, checked against an independent RFC 9162 implementation in Node.js
# and against tampering done straight in the SQLite file.
# Usage: audit_contract.sh /path/to/tollgate
set -uo pipefail
TG=${1:?usage: audit_contract.sh TOLLGATE}
WORK=$(mktemp -d /tmp/tollgate-audit-XXXXXX)
DATA=$WORK/data
export HOME=$WORK/home TOLLGATE_SOCKET=$WORK/data/tollgate.sock
mkdir -p "$HOME"
SERVE_PID=
cleanup() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fails=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
wait_for() { local d=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do [ $SECONDS -ge $d ] && return 1; sleep 0.05; done; }

"$TG" serve --data "$DATA" 2>/dev/null &
SERVE_PID=$!
wait_for 20 "$TG" status
for c in "ls" "cat .env" "git status" "npm test" "rm -rf /" "curl https://example.com"; do
  printf '{"session_id":"s","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"%s"},"tool_use_id":"x"}' \
    "$WORK" "$c" | "$TG" hook claude-code >/dev/null
done
kill "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=

cp_json=$("$TG" audit checkpoint --data "$DATA")
size=$(node -e 'console.log(JSON.parse(process.argv[1]).size)' "$cp_json")
root=$(node -e 'console.log(JSON.parse(process.argv[1]).root)' "$cp_json")
# The pack loaded, the agent's first sight, six decisions.
[ "$size" -eq 8 ] && [ ${#root} -eq 64 ]; check "CheckpointPrintsSizeAndRoot" $?

# An independent implementation of RFC 9162 recomputes the root from the exported leaves.
"$TG" audit export --data "$DATA" --format leaves >"$WORK/leaves"
node -e '
  const c = require("crypto"), fs = require("fs");
  const h = (...b) => c.createHash("sha256").update(Buffer.concat(b)).digest();
  const leaves = fs.readFileSync(process.argv[1], "utf8").split("\n").slice(0, -1).map(l => h(Buffer.from([0]), Buffer.from(l)));
  const mth = (a) => a.length === 1 ? a[0] : (() => { let k = 1; while (k * 2 < a.length) k *= 2;
    return h(Buffer.from([1]), mth(a.slice(0, k)), mth(a.slice(k))); })();
  process.exit(mth(leaves).toString("hex") === process.argv[2] ? 0 : 1);' "$WORK/leaves" "$root"
check "ExportedLeavesRecomputeTheRootIndependently" $?

# An inclusion proof checks with the RFC's algorithm, outside Tollgate.
proof=$("$TG" audit prove 3 --data "$DATA")
node -e '
  const c = require("crypto");
  const p = JSON.parse(process.argv[1]), leaf = require("fs").readFileSync(process.argv[2], "utf8").split("\n")[2];
  const h = (...b) => c.createHash("sha256").update(Buffer.concat(b)).digest();
  let r = h(Buffer.from([0]), Buffer.from(leaf)), fn = p.leaf_index, sn = p.tree_size - 1;
  for (const x of p.inclusion_path.map(s => Buffer.from(s, "hex"))) {
    if (fn % 2 === 1 || fn === sn) { r = h(Buffer.from([1]), x, r); if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn >>= 1; sn >>= 1; } }
    else r = h(Buffer.from([1]), r, x);
    fn >>= 1; sn >>= 1;
  }
  process.exit(sn === 0 && r.toString("hex") === p.root ? 0 : 1);' "$proof" "$WORK/leaves"
check "InclusionProofVerifiesWithoutTollgate" $?
"$TG" audit consistency 2 8 --data "$DATA" | grep -q '"consistency_path"'; check "ConsistencyProofIsPrinted" $?

"$TG" audit export --data "$DATA" --format ocsf | grep '"disposition":"Blocked"' | grep -q '"class_uid":6003'
check "OcsfExportCarriesTheDecision" $?

n=$("$TG" audit query --data "$DATA" --decision deny | wc -l)
[ "$n" -eq 2 ]; check "QueryFindsTheDenials" $?
"$TG" audit timeline s --data "$DATA" | grep -q "deny  Bash"; check "TimelineShowsTheSessionsDecisions" $?

"$TG" audit checkpoint --data "$DATA" --out "$WORK/checkpoint.txt" >/dev/null
head -1 "$WORK/checkpoint.txt" | grep -q "tollgate checkpoint v1"; check "SignedCheckpointIsWritten" $?
"$TG" audit verify --data "$DATA" --checkpoint "$WORK/checkpoint.txt" | grep -q "^ok: 8 records"; check "VerifyPassesUntouchedLedger" $?

cp "$DATA/tollgate.db" "$WORK/pristine.db"
sqlite3 "$DATA/tollgate.db" "UPDATE events SET record = replace(record, 'rm -rf', 'ls -la') WHERE seq = 7"
out=$("$TG" audit verify --data "$DATA"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"record 7 was modified"* ]]; check "LedgerDetectsModifiedRecord" $?

cp "$WORK/pristine.db" "$DATA/tollgate.db"; rm -f "$DATA/tollgate.db-wal" "$DATA/tollgate.db-shm"
sqlite3 "$DATA/tollgate.db" "DELETE FROM events WHERE seq = 4"
out=$("$TG" audit verify --data "$DATA"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"record 4 was removed"* ]]; check "LedgerDetectsRemovedRecord" $?

# Reading evidence changes nothing: a copy in another journal mode, on a
# directory nobody may write, is verified, exported and queried as it is.
mkdir -p "$WORK/evidence"
cp "$WORK/pristine.db" "$WORK/evidence/tollgate.db"
sqlite3 "$WORK/evidence/tollgate.db" "PRAGMA journal_mode=DELETE" >/dev/null
before=$(md5sum <"$WORK/evidence/tollgate.db")
chmod a-w "$WORK/evidence"
"$TG" audit verify --data "$WORK/evidence" | grep -q "^ok:" &&
  "$TG" audit export --data "$WORK/evidence" >/dev/null &&
  [ "$("$TG" audit query --data "$WORK/evidence" --decision deny | grep -c '"seq"')" -gt 0 ] &&
  [ "$(md5sum <"$WORK/evidence/tollgate.db")" = "$before" ] && [ ! -e "$WORK/evidence/tollgate.db-wal" ]
check "AuditReadsEvidenceWithoutChangingIt" $?
chmod u+w "$WORK/evidence"

cp "$WORK/pristine.db" "$DATA/tollgate.db"; rm -f "$DATA/tollgate.db-wal" "$DATA/tollgate.db-shm"
denied=$("$TG" audit query --data "$DATA" --decision deny | head -1 | grep -o '"seq":[0-9]*' | head -1 | cut -d: -f2)
sqlite3 "$DATA/tollgate.db" "UPDATE events SET effect = 'allow' WHERE seq = $denied"
out=$("$TG" audit verify --data "$DATA"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"record $denied"*"effect column"* ]]; check "LedgerDetectsADenyTurnedIntoAnAllowInItsColumn" $?
sqlite3 "$DATA/tollgate.db" "UPDATE events SET effect = 'deny', kind = 'outcome', session = 'other' WHERE seq = $denied"
out=$("$TG" audit verify --data "$DATA"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"column"* ]]; check "LedgerDetectsARecordMovedOutOfItsSession" $?

cp "$WORK/pristine.db" "$DATA/tollgate.db"; rm -f "$DATA/tollgate.db-wal" "$DATA/tollgate.db-shm"
sqlite3 "$DATA/tollgate.db" "DELETE FROM events WHERE seq >= 6"
out=$("$TG" audit verify --data "$DATA" --checkpoint "$WORK/checkpoint.txt"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"truncated"* ]]; check "CheckpointDetectsTruncation" $?

sed -i 's/^size 8$/size 7/' "$WORK/checkpoint.txt"
out=$("$TG" audit verify --data "$DATA" --checkpoint "$WORK/checkpoint.txt"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"signature does not verify"* ]]; check "ForgedCheckpointIsRejected" $?

# --- checkpoints signed by the daemon: after N records and on demand, delivered to a
# directory and to a command (no shell), with key rotation
D2=$WORK/d2 VAULT=$WORK/vault
mkdir -p "$VAULT"
"$TG" serve --data "$D2" --checkpoint-records 4 --checkpoint-dir "$VAULT" \
  --checkpoint-command "sh -c 'cat > \"\$0\"' $WORK/remote.checkpoint" 2>"$WORK/d2.log" &
SERVE_PID=$!
export TOLLGATE_SOCKET=$D2/tollgate.sock
wait_for 20 "$TG" status
for c in "ls" "pwd" "git status" "npm test" "make" "date"; do
  printf '{"session_id":"s2","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"%s"},"tool_use_id":"y"}' \
    "$WORK" "$c" | "$TG" hook claude-code >/dev/null
done
wait_for 10 test -s "$VAULT/latest.checkpoint"; check "DaemonSignsACheckpointAfterNRecords" $?
[ "$(stat -c %a "$VAULT/latest.checkpoint")" = 644 ]; check "ExportedCheckpointIsWorldReadable" $?
od=$("$TG" audit checkpoint --data "$D2")
od_size=$(node -e 'console.log(JSON.parse(process.argv[1]).size)' "$od")
od_key=$(node -e 'console.log(JSON.parse(process.argv[1]).key)' "$od")
[ ${#od_key} -eq 16 ]; check "OnDemandCheckpointIsSignedByTheDaemon" $?
wait_for 10 grep -qx "size $od_size" "$WORK/remote.checkpoint"; check "CheckpointCommandReceivesItOnStdin" $?
wait_for 10 grep -qx "size $od_size" "$VAULT/latest.checkpoint"
cp "$VAULT/latest.checkpoint" "$WORK/before-rotation.checkpoint"
rot=$("$TG" audit rotate-key --data "$D2")
new_key=$(node -e 'console.log(JSON.parse(process.argv[1]).key)' "$rot")
[ ${#new_key} -eq 16 ] && [ "$new_key" != "$od_key" ]; check "CheckpointKeyRotatesOnDemand" $?
"$TG" audit checkpoint --data "$D2" --out "$WORK/after-rotation.checkpoint" >/dev/null
grep -qx "key $new_key" "$WORK/after-rotation.checkpoint"; check "NewCheckpointsUseTheNewKey" $?
"$TG" audit keys --data "$D2" >"$WORK/keys.json"
kill "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=
"$TG" audit verify --data "$D2" --checkpoint "$WORK/before-rotation.checkpoint" | grep -q "^ok:"
check "CheckpointOfARetiredKeyStillVerifies" $?
"$TG" audit verify --data "$D2" --checkpoint "$WORK/after-rotation.checkpoint" --public-key "$WORK/keys.json" | grep -q "^ok:"
check "VerifierPicksTheKeyByIdFromThePublishedKeys" $?
"$TG" audit query --data "$D2" --kind checkpoint_key | grep -q "$new_key"; check "RotationIsRecordedInTheLedger" $?
sqlite3 "$D2/tollgate.db" "DELETE FROM events WHERE seq > 3"
out=$("$TG" audit verify --data "$D2" --checkpoint "$VAULT/latest.checkpoint"); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"truncated"* ]]; check "ExportedCheckpointDetectsTruncation" $?
sqlite3 "$D2/tollgate.db" "UPDATE events SET session = 's2', kind = 'decision', record = '{\"type\":\"decision\",\"decision\":5,\"reason\":[1],\"tool\":{},\"actions\":[{\"effect\":5,\"policies\":[3]}],\"success\":\"yes\"}' WHERE seq = 3"
rcs=""
for args in "timeline s2" "export --format ocsf" "export --format jsonl" "query --task t --harness h" "tail" "verify"; do
  # shellcheck disable=SC2086
  "$TG" audit $args --data "$D2" >/dev/null 2>&1; rcs="$rcs $?"
done
[[ "$rcs" != *134* && "$rcs" != *139* ]]; check "RecordsOfTheWrongShapeDoNotCrashTheReaders" $?
printf 'tollgate checkpoint v1\nsize x\nroot 0\ntime t\nkey k\nsig s\n' >"$WORK/junk.checkpoint"
out=$("$TG" audit verify --data "$D2" --checkpoint "$WORK/junk.checkpoint" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"bad size"* ]]; check "DamagedCheckpointFileIsAClearError" $?
printf '{"v":1,"keys":[{"id":"00","public_pem":"x"}]}' >"$WORK/bad-keys.json"
out=$("$TG" audit verify --data "$D2" --checkpoint "$WORK/after-rotation.checkpoint" --public-key "$WORK/bad-keys.json" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"not a PEM P-256 public key"* ]]; check "DamagedKeyFileIsAClearError" $?
INBOX=$WORK/inbox
mkdir -p "$INBOX"
printf 'tollgate checkpoint v1\nsize 1\nroot %064d\ntime t\nkey k\nsig s\n' 0 | "$TG" audit receive --dir "$INBOX" 
[ -s "$INBOX/checkpoint-1.txt" ]; check "ReceiveStoresACheckpointFromStdin" $?
echo "nonsense" | "$TG" audit receive --dir "$INBOX" 2>/dev/null; [ $? -eq 2 ]; check "ReceiveRefusesWhatIsNotACheckpoint" $?
out=$(printf 'tollgate checkpoint v1\nsize 1\nroot %063d1\ntime t\nkey k\nsig s\n' 0 | "$TG" audit receive --dir "$INBOX" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"forked"* ]]; check "ReceiveRefusesAForkOfACheckpointHeld" $?
printf 'tollgate checkpoint v1\nsize 2\nroot %064d\ntime t\nkey k\nsig s\n' 0 | "$TG" audit receive --dir "$INBOX"
out=$(printf 'tollgate checkpoint v1\nsize 1\nroot %064d\ntime t\nkey k\nsig s\n' 0 | "$TG" audit receive --dir "$INBOX" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"roll it back"* ]] && grep -qx "size 2" "$INBOX/latest.checkpoint"
check "ReceiveRefusesARollback" $?
"$TG" audit keys --data "$DATA" >"$WORK/published-keys.json"
out=$(printf 'tollgate checkpoint v1\nsize 9\nroot %064d\ntime t\nkey k\nsig s\n' 0 |
  "$TG" audit receive --dir "$INBOX" --public-key "$WORK/published-keys.json" 2>&1); rc=$?
[ $rc -eq 2 ] && [ ! -e "$INBOX/checkpoint-9.txt" ]; check "ReceiveWithKeysRefusesAnUnsignedCheckpoint" $?

echo "$fails failed"
[ $fails -eq 0 ]
