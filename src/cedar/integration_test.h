// Runner for test files in the cedar-integration-tests format: a JSON file
// naming a policy file, an entities file and a schema, and a list of
// requests with the expected decision, determining policies and erroring
// policies. Used by `tollgate cedar test` and by CI on the upstream corpus.
// A file with a schema and "shouldValidate" also counts one check that
// strict validation (cedar/validator.h) accepts or rejects the policies as
// expected.
// Paths inside a test file are resolved against the test file's directory
// and then each of its ancestors, so both the upstream layout
// ("tests/…", "corpus-tests/…") and self-contained folders work.
#pragma once

#include <ostream>
#include <string>

namespace tollgate::cedar {

struct TestTally {
  // Requests whose decision, reasons and errors matched, plus validation
  // checks that agreed with "shouldValidate"; `failed` counts the rest.
  size_t passed = 0;
  size_t failed = 0;
  size_t files = 0;
  // Of the above: test files with a schema and "shouldValidate" whose
  // validation result (valid or not) was compared, and how many disagreed.
  size_t validations = 0;
  size_t validations_failed = 0;
};

// Runs one test file, adding to `tally`; describes every failure on `log`.
void run_integration_test(const std::string& path, TestTally& tally, std::ostream& log);

// Runs every `*.json` test file under `path` (a file or a directory), in
// sorted order, skipping `*.entities.json` and files that are not tests.
void run_integration_tests(const std::string& path, TestTally& tally, std::ostream& log);

}  // namespace tollgate::cedar
