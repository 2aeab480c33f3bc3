#pragma once
// `leadpipe sync --campaign ID`: fetches the server's skip sets into the campaign's cache.

#include <atomic>

#include "api_flags.hpp"

namespace leadpipe::cli {

struct sync_args {
  std::int64_t campaign_id = 0;
  api_flags api;
  set_flags sets;
  std::string report;
  bool progress = false;
  bool no_progress = false;
  CLI::App* cmd = nullptr;
};

void add_sync(CLI::App& app, sync_args& a);
/// Runs it: 0 when the cache was written, 3 when the API failed (the error names the request).
/// Throws on start-up errors and API failures (main maps them to exit codes).
[[nodiscard]] int run_sync(const sync_args& a, const std::atomic<bool>& stop);

}  // namespace leadpipe::cli
