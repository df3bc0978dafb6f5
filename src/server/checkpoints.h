// The daemon's signed checkpoints (docs/ledger.md, "Periodic checkpoints"):
// when one is due (every `every_ms`, every `every_records` records, or on
// demand), the committed tree head is signed with the active checkpoint key,
// appended to the ledger as a `checkpoint` record, and delivered to every
// destination: directories (one file per checkpoint and `latest.checkpoint`,
// mode 0644) and commands that read the checkpoint on stdin (`ssh …`,
// `aws s3 cp - …`), run without a shell, with a timeout.
//
// The checkpoint key rotates on schedule (`key_rotate_every_s`) and on
// demand: the new key's public half is recorded in the ledger (a
// `checkpoint_key` record) and a checkpoint signed by the old key covers
// that record, so each key vouches for the next.
//
// Time comes from the caller; nothing here sleeps. Delivery blocks for up
// to the command timeout, so the daemon calls deliver() off its event loop.
//
// Thread-safety: everything but deliver() and the destinations is called
// from one thread (the daemon's loop); deliver() is const and may run on
// another thread at the same time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ledger/keyring.h"
#include "store/store.h"

namespace tollgate::server {

struct CheckpointOptions {
  int64_t every_ms = 0;                            // 0: not on a time schedule
  int64_t every_records = 0;                       // 0: not after a number of records
  int64_t key_rotate_every_s = 0;                  // 0: the key rotates on demand only
  std::vector<std::string> dirs;                   // directories to write checkpoints to
  std::vector<std::vector<std::string>> commands;  // argv of commands reading a checkpoint on stdin
  int64_t command_timeout_ms = 10000;
};

// "ssh audit@host 'cat > x'" → {"ssh", "audit@host", "cat > x"}: words split
// at blanks, single and double quotes group (no other shell syntax). An
// empty or unbalanced command is an error.
Result<std::vector<std::string>> split_command(std::string_view command);

// RFC 3339 UTC time (second precision) of a time in ms since the epoch.
std::string rfc3339(int64_t ms);

class Checkpointer {
 public:
  Checkpointer(store::Store& store, std::unique_ptr<ledger::CheckpointKeys> keys, CheckpointOptions opts);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Whether a checkpoint is due now (the schedule, or records appended).
  // Nothing is due while the ledger has not grown since the last one.
  bool due(int64_t now_ms);
  // Signs the store's current tree head and appends the checkpoint record
  // (inside an open batch, both commit with it; the caller delivers only
  // after the commit). Returns the checkpoint.
  Result<ledger::Checkpoint> checkpoint(int64_t now_ms, const std::string& reason);
  // Rotates the key when it is due (or `force`): records the new key, has
  // the old key sign a checkpoint covering that record, and switches.
  // Returns the checkpoint signed by the old key, or nothing when no
  // rotation happened.
  Result<std::optional<ledger::Checkpoint>> maybe_rotate(int64_t now_ms, bool force, const std::string& reason);

  // Writes the checkpoint to every destination; returns one message per
  // destination that failed (empty: all succeeded).
  std::vector<std::string> deliver(const ledger::Checkpoint& c) const;

  const ledger::CheckpointKeys& keys() const { return *keys_; }
  const CheckpointOptions& options() const { return opts_; }

 private:
  Result<ledger::Checkpoint> sign_and_record(const ledger::Signer& signer, int64_t now_ms, const std::string& reason);
  store::Store& store_;
  std::unique_ptr<ledger::CheckpointKeys> keys_;
  CheckpointOptions opts_;
  int64_t last_ms_ = -1;    // when the last checkpoint was signed; -1: none yet
  int64_t last_size_ = -1;  // the ledger's size after its record
};

// Writes `text` to DIR/checkpoint-<size>.txt and DIR/latest.checkpoint
// (temporary file, fsync, rename; mode 0644).
Status write_checkpoint_file(const std::string& dir, const ledger::Checkpoint& c);
// Runs argv (searched in PATH, no shell) with `input` on its stdin; fails
// on a non-zero exit or when it runs longer than `timeout_ms` (then it is
// killed). The error carries the start of its stderr.
Status run_with_input(const std::vector<std::string>& argv, std::string_view input, int64_t timeout_ms);

}  // namespace tollgate::server
