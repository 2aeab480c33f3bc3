#pragma once
// The run report: the one owner of every counter. Stages hand it outcome values; at the end it
// is written as JSON in the versioned schema that nightly jobs parse (docs: README "Report").

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "leadpipe/outcome.hpp"

namespace leadpipe {

/// Version of the JSON report schema. Bump on any change that removes or renames a key or
/// changes a value's meaning; adding keys does not bump it.
inline constexpr int report_schema_version = 1;

/// What was read: the raw input as given (before gzip/encoding), for the report and the journal.
struct input_identity {
  std::string path;               ///< as given on the command line ("-" for standard input)
  std::uint64_t size = 0;         ///< raw bytes read
  std::string xxh3_128;           ///< hex digest of the raw bytes
  bool gzip = false;
  std::string encoding = "utf-8";
  char delimiter = ',';
};

/// One locally held set of keys the server would skip (block list, unsubscribed, members...).
struct set_stats {
  std::string name;        ///< "block_list", "unsubscribed", "existing", "other_campaigns"
  std::string source;      ///< a file path, or "cache"
  std::uint64_t entries = 0;
  std::uint64_t domains = 0;          ///< domain entries (block list only)
  std::uint64_t invalid_entries = 0;  ///< lines that were neither an address nor a domain
  std::uint64_t bytes = 0;            ///< memory held by its tables
  std::uint64_t skipped = 0;          ///< rows this set skipped
  std::optional<double> age_seconds;  ///< age of the cached copy, when from the cache
  /// Import only: leads the server still skipped for this set's reason (cache gap).
  std::optional<std::uint64_t> server_skipped;
};

/// Figures of the network side (import and the workflow commands).
struct network_stats {
  std::map<std::string, std::uint64_t> requests;  ///< HTTP status (or "transport_error") -> count
  std::uint64_t retries = 0;
  std::uint64_t batches = 0;
  std::uint64_t leads_sent = 0;
  std::uint64_t rate_limited = 0;   ///< 429 answers
  double paused_seconds = 0;        ///< time all senders spent paused after 429s
  std::uint64_t overloaded = 0;     ///< 502/503/504 answers and 429s without rate headers
  std::uint64_t pace_cuts = 0;      ///< times adaptive pacing halved the request rate
  /// 1 when a 429 with Retry-After and no X-RateLimit-* header turned on even pacing
  std::uint64_t paced_after_429 = 0;
  double paced_rate = 0;            ///< requests/s adaptive pacing allowed at the end; 0: off
  double leads_per_minute = 0;
  double rate_limit_use = 0;        ///< requests made / requests the limit allowed (see README)
  std::uint64_t requests_allowed = 0;
  std::string base_url;
  std::string rate_limit;           ///< the configured rules, canonical text
  std::optional<std::int64_t> campaign_id;
  std::uint64_t server_skipped_after_cache = 0;  ///< leads the server skipped despite the cache
  /// Skips the server only counted (live response shape): reason -> leads, for the leads
  /// reported as server_skipped because no list named them.
  std::map<std::string, std::uint64_t> unattributed;
};

/// Counters and facts of one run. Not thread-safe: one owner, the pipeline's thread.
class report {
 public:
  explicit report(std::string command);

  /// One row ended with `o`; `by` says who decided it.
  void count(outcome o, decided_by by = decided_by::local);
  /// Moves `k` rows from outcome `from` to `to` (e.g. accepted -> added as answers come in).
  void move(outcome from, outcome to, std::uint64_t k, decided_by by);
  /// Risk flags of a row that reached the risk check (mask of email.hpp's risk bits).
  void count_flags(std::uint8_t flags);
  void count_repaired_encoding() { ++repaired_encoding_; }
  void set_blank_lines(std::uint64_t n) { blank_lines_ = n; }
  /// A row skipped because an earlier run (journal) already settled it.
  void count_resumed_row() { ++resumed_rows_; }
  void count_row_read() { ++rows_read_; }
  void add_bytes(std::uint64_t n) { bytes_ = n; }

  [[nodiscard]] std::uint64_t rows_read() const { return rows_read_; }
  [[nodiscard]] std::uint64_t repaired_encoding() const { return repaired_encoding_; }
  [[nodiscard]] const outcome_counts& outcomes() const { return outcomes_; }
  [[nodiscard]] const outcome_counts& by_server() const { return by_server_; }
  [[nodiscard]] std::uint64_t flag_count(std::uint8_t single_flag) const;
  /// rows_read == sum of outcomes: the accounting identity every run must satisfy.
  [[nodiscard]] bool balanced() const { return rows_read_ == outcomes_.total(); }

  void start_clock();
  void stop_clock();
  [[nodiscard]] double seconds() const;

  input_identity input;
  std::string mapping_json;  ///< the column mapping as a JSON object (written by the pipeline)
  std::vector<set_stats> sets;
  std::optional<network_stats> network;
  std::map<std::string, std::string> settings;  ///< effective options worth recording
  std::vector<std::string> warnings;
  /// Adds `text` to `warnings` and prints it on stderr ("leadpipe: warning: ..."), for a
  /// warning the user should see as it happens.
  void warn(std::string text);
  /// Command-specific sections, already serialised as JSON values, written under their keys.
  std::map<std::string, std::string> sections;
  int exit_code = 0;
  std::string stop_reason;  ///< why the job stopped early, if it did

  /// The whole report as a JSON object (schema report_schema_version). Outcome keys relevant to
  /// the command are always present, with 0 when nothing ended that way.
  [[nodiscard]] std::string to_json() const;

 private:
  std::string command_;
  std::uint64_t rows_read_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t blank_lines_ = 0;
  std::uint64_t resumed_rows_ = 0;
  std::uint64_t repaired_encoding_ = 0;
  outcome_counts outcomes_;
  outcome_counts by_server_;
  std::array<std::uint64_t, 8> flags_{};
  std::chrono::steady_clock::time_point t0_{};
  std::chrono::steady_clock::time_point t1_{};
  std::chrono::system_clock::time_point started_at_{};
};

/// ISO-8601 UTC with milliseconds and Z, e.g. 2026-01-05T09:30:00.000Z. Thread-safe.
[[nodiscard]] std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace leadpipe
