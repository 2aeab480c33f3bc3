#pragma once
// Flags shared by every subcommand that talks to the API (import, sync, block, leads): where the
// API is, the key (never on the command line), TLS, the account's rate limit and timeouts; and
// the flags of the server's skip sets and their cache (import, sync).

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "leadpipe/net/api_client.hpp"
#include "leadpipe/net/sync_job.hpp"
#include "leadpipe/rate_rules.hpp"

namespace leadpipe::cli {

struct api_flags {
  std::string base_url = "https://server.smartlead.ai/api/v1";
  std::string api_key_file;
  std::string api_key_refused;
  std::string ca_file;
  std::string rate_limit = "default";
  double connect_timeout = 10;
  double request_timeout = 60;
};

/// Registers the API flags on `cmd` under the group "SmartLead".
void add_api_flags(CLI::App& cmd, api_flags& f);

/// The --rate-limit flag's rules. Throws CLI::ValidationError naming the bad part.
[[nodiscard]] rate_rules rate_limit_of(const api_flags& f);

/// Checks the flags and loads the key. Throws CLI::ValidationError (a refused --api-key, a
/// missing key, bad rules).
[[nodiscard]] net::api_options to_api_options(const api_flags& f);

/// The flags of the server's skip sets (import settings of §6.1 that decide which sets matter).
struct set_flags {
  bool ignore_global_block_list = false;
  bool ignore_unsubscribe_list = false;
  std::string cross_campaign = "skip";
  std::string cross_campaign_semantics = "observed";
  std::string cache_dir;
  std::string max_age = "1h";
  bool no_sync = false;
  bool refresh = false;
};

/// Registers them; `for_import` adds --no-sync and --ignore-community-bounce-list's siblings'
/// wording for imports, otherwise (sync) --max-age defaults to refreshing everything.
void add_set_flags(CLI::App& cmd, set_flags& f, bool for_import);

/// Which set groups the settings make the server consult.
[[nodiscard]] net::sync_needs needs_of(const set_flags& f);
/// The cache policy; throws CLI::ValidationError for a bad --max-age.
[[nodiscard]] net::cache_policy policy_of(const set_flags& f);

/// The API key from SMARTLEAD_API_KEY or `file` (first line, trimmed). Throws CLI::ValidationError
/// naming the source when there is none; the key itself never appears in a message.
[[nodiscard]] std::string load_api_key(const std::string& file);

/// The default state directory: $XDG_STATE_HOME/leadpipe, else ~/.local/state/leadpipe.
[[nodiscard]] std::string default_state_dir();

}  // namespace leadpipe::cli
