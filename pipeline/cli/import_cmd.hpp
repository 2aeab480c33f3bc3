#pragma once
// `leadpipe import`: the CPU pipeline plus concurrent HTTPS batches under the rate limit.

#include <atomic>

#include "cli_common.hpp"

namespace leadpipe::cli {

struct import_args {
  cpu_flags flags;
  std::int64_t campaign_id = 0;
  std::string base_url = "https://server.smartlead.ai/api/v1";
  std::string api_key_file;
  std::string api_key_refused;
  bool ignore_global_block_list = false;
  bool ignore_unsubscribe_list = false;
  bool ignore_community_bounce_list = false;
  std::string cross_campaign = "skip";
  std::string cross_campaign_semantics = "observed";
  std::size_t batch_size = 400;
  std::size_t max_body_bytes = 900'000;
  std::string rate_limit = "default";
  std::size_t concurrency = 0;
  std::string ca_file;
  std::string state_dir;
  bool no_journal = false;
  bool resume = false;
  bool dry_run = false;
  double connect_timeout = 10;
  double request_timeout = 60;
  CLI::App* cmd = nullptr;
};

/// Registers the subcommand and its flags on `app`.
void add_import(CLI::App& app, import_args& a);
/// Runs it; `stop` / `abandon` are set by the signal handler. Throws on start-up errors.
[[nodiscard]] int run_import(const import_args& a, const std::atomic<bool>& stop,
                             const std::atomic<bool>& abandon);

/// The API key from SMARTLEAD_API_KEY or `file` (first line, trimmed). Throws CLI::ValidationError
/// naming the source when there is none; the key itself never appears in a message.
[[nodiscard]] std::string load_api_key(const std::string& file);

/// The default state directory: $XDG_STATE_HOME/leadpipe, else ~/.local/state/leadpipe.
[[nodiscard]] std::string default_state_dir();

}  // namespace leadpipe::cli
