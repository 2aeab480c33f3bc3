#pragma once
// `leadpipe import` wired: the CPU pipeline on one thread packs batches into a bounded queue;
// sender coroutines on one io_context send them under the shared rate limiter; the ledger
// settles every row once, and the journal makes the job resumable after a crash.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "leadpipe/batch.hpp"
#include "leadpipe/net/connection.hpp"
#include "leadpipe/pipeline.hpp"
#include "leadpipe/rate_limiter.hpp"
#include "leadpipe/report.hpp"
#include "leadpipe/retry_policy.hpp"
#include "leadpipe/sync_cache.hpp"

namespace leadpipe::net {

/// Everything an import needs. Plain data, filled by the CLI.
struct import_options {
  cpu_options cpu;
  std::string base_url = "https://server.smartlead.ai/api/v1";
  std::string api_key;  ///< never printed, logged or written anywhere
  std::int64_t campaign_id = 0;
  import_settings settings;
  batch_options batching;
  rate_limiter_options limiter;
  retry_options retry;
  std::size_t concurrency = 0;  ///< most requests in flight; 0 = automatic (16)
  tls_options tls;
  timeouts limits;
  std::string state_dir;  ///< journal directory; empty = no journal
  bool resume = false;
  bool dry_run = false;
  std::string outcomes_path;
  std::string rejects_path;
  /// Cached server sets to pre-skip with (not owned; may be null). Their keys are lent to the
  /// pipeline for the run and given back, and the leads the server added or found already in
  /// the campaign are added to `existing`; the caller writes the cache afterwards.
  sync_cache* cache = nullptr;
  /// The rate limiter to share with earlier requests of the same key (a sync); null: own one.
  std::shared_ptr<rate_limiter> limiter_shared;
  /// Set by lock_import(): the job's lock, already held, and the input's digest it was keyed by.
  std::shared_ptr<const void> held_lock;
  /// Set by lock_import(): this job's journal exists (a --resume has a first run to continue;
  /// without one, the first run stopped before it sent anything, in its sync say).
  bool journal_found = false;
  std::string input_xxh3;
};

/// Takes the job's lock (`<journal>.lock` in the state directory, created if need be) before
/// anything is sent, so that a second run of the same job stops before it syncs; run_import
/// then keeps it. Nothing for a dry run or a job without a journal. Throws with a clear message
/// (the job is running elsewhere, the state directory cannot be created).
void lock_import(import_options& opts);

/// Runs the import to the end (or until `stop` is set: graceful; `abandon`: drop requests in
/// flight too). Fills `rep` and returns the exit code (0 all done, 1 leads not imported, 3
/// fatal). Throws on start-up problems (bad URL, unreadable input, journal mismatch) with a
/// clear message; main maps them to exit codes.
[[nodiscard]] int run_import(const import_options& opts, report& rep,
                             const std::atomic<bool>& stop, const std::atomic<bool>& abandon);

/// A regular file's xxh3-128 (same form as byte_source::raw_digest). Throws source_error.
[[nodiscard]] std::string file_digest(const std::string& path);

}  // namespace leadpipe::net
