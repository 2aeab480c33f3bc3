#pragma once
// `leadpipe import`: the CPU pipeline plus concurrent HTTPS batches under the rate limit.

#include <atomic>

#include "api_flags.hpp"
#include "cli_common.hpp"

namespace leadpipe::cli {

struct import_args {
  cpu_flags flags;
  std::int64_t campaign_id = 0;
  api_flags api;
  set_flags sets;
  bool no_cache = false;
  bool ignore_community_bounce_list = false;
  std::size_t batch_size = 400;
  std::size_t max_body_bytes = 900'000;
  std::size_t concurrency = 0;
  std::string state_dir;
  bool no_journal = false;
  bool resume = false;
  bool dry_run = false;
  CLI::App* cmd = nullptr;
};

/// Registers the subcommand and its flags on `app`.
void add_import(CLI::App& app, import_args& a);
/// Runs it; `stop` / `abandon` are set by the signal handler. Throws on start-up errors.
[[nodiscard]] int run_import(const import_args& a, const std::atomic<bool>& stop,
                             const std::atomic<bool>& abandon);

}  // namespace leadpipe::cli
