// Credentials kept out of the ledger. What an agent runs and what its tools
// print is recorded (docs/ledger.md), and a command line can carry a token
// (`curl -H "Authorization: Bearer …"`, `GITHUB_TOKEN=ghp_… gh …`, `mysql
// --password=…`), as can a prompt or an MCP call's arguments. Records are
// kept for years and exported; the credentials in them are replaced before
// they are written.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tollgate::ledger {

struct Redacted {
  std::string text;
  std::size_t count = 0;  // credentials replaced
};

// `text` with every credential found replaced by `[redacted]` (a token's
// well-known prefix is kept: `ghp_[redacted]`). Found: tokens of a known
// shape (GitHub, GitLab, Slack, OpenAI and Anthropic, Stripe, AWS access key
// ids, Google API keys, npm, PyPI, Hugging Face, JSON Web Tokens), private
// key blocks, `Bearer`/`Basic` credentials, the password of a URL
// (`https://u:p@host`), and the value given to a name that says it is one
// (`PASSWORD=…`, `--api-key …`, `"client_secret":"…"`; a `$VARIABLE` is no
// value). Works on JSON text too: no replacement reaches across a quote or
// a backslash other than a `\n` or `\r` escape inside a key block, so valid
// JSON stays valid. Linear in the size of `text`.
Redacted redact_secrets(std::string_view text);

// The same for JSON text (a record): each string value is redacted (an
// array's too: `"tokens":["…"]`), member names never are, so the record
// keeps its members (`"secrets_read":0` is a count, whatever its name says).
// Only strings are redacted: text outside them, and an unterminated string,
// is copied as it is.
Redacted redact_json(std::string_view json);

}  // namespace tollgate::ledger
