#include "api_flags.hpp"

#include <cstdlib>
#include <fstream>

#include "leadpipe/ascii.hpp"
#include "leadpipe/paths.hpp"

namespace leadpipe::cli {

std::string default_state_dir() {
  return user_dir("XDG_STATE_HOME", ".local/state", ".leadpipe-state");
}

std::string load_api_key(const std::string& file) {
  std::string key;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw CLI::ValidationError("--api-key-file", file + ": cannot be read");
    std::getline(in, key);
  } else if (const char* env = std::getenv("SMARTLEAD_API_KEY"); env != nullptr) {
    key = env;
  }
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  if (key.empty()) {
    throw CLI::ValidationError(
        "api key", file.empty() ? "set SMARTLEAD_API_KEY or give --api-key-file FILE"
                                : file + ": the first line is empty");
  }
  return key;
}

void add_api_flags(CLI::App& cmd, api_flags& f) {
  const auto* api = "SmartLead";
  cmd.add_option("--base-url", f.base_url, "API base URL")->capture_default_str()->group(api);
  cmd.add_option("--api-key-file", f.api_key_file,
                 "file whose first line is the API key (else SMARTLEAD_API_KEY)")
      ->group(api);
  cmd.add_option("--api-key", f.api_key_refused,
                 "refused: other users can read a process's command line")
      ->group("");
  cmd.add_option("--ca-file", f.ca_file, "extra CA certificate to trust (e.g. the simulator's)")
      ->group(api);
  cmd.add_option("--rate-limit", f.rate_limit,
                 "the account's limit: a preset (default, legacy, standard_tier, pro_tier), "
                 "rules like 60/60s,1000/1h, or none")
      ->capture_default_str()
      ->group(api);
  cmd.add_option("--connect-timeout", f.connect_timeout, "seconds")->capture_default_str()->group(api);
  cmd.add_option("--request-timeout", f.request_timeout, "seconds")->capture_default_str()->group(api);
}

rate_rules rate_limit_of(const api_flags& f) {
  std::string msg;
  auto rules = parse_rate_rules(f.rate_limit, &msg);
  if (!rules) throw CLI::ValidationError("--rate-limit", msg);
  return *rules;
}

net::api_options to_api_options(const api_flags& f) {
  if (!f.api_key_refused.empty()) {
    throw CLI::ValidationError("--api-key",
                               "is refused: other users can read a process's command line; set "
                               "SMARTLEAD_API_KEY or use --api-key-file");
  }
  net::api_options o;
  o.base_url = f.base_url;
  o.api_key = load_api_key(f.api_key_file);
  o.limiter.rules = rate_limit_of(f);
  o.tls.ca_file = f.ca_file;
  o.limits.connect = std::chrono::milliseconds(static_cast<std::int64_t>(f.connect_timeout * 1000));
  o.limits.request = std::chrono::milliseconds(static_cast<std::int64_t>(f.request_timeout * 1000));
  return o;
}

void add_set_flags(CLI::App& cmd, set_flags& f, bool for_import) {
  const auto* set = "Server skip sets";
  cmd.add_flag("--ignore-global-block-list", f.ignore_global_block_list,
               for_import ? "let the server add leads on the global block list"
                          : "the imports ignore the block list: do not fetch it")
      ->group(set);
  cmd.add_flag("--ignore-unsubscribe-list", f.ignore_unsubscribe_list,
               for_import ? "let the server add previously unsubscribed leads"
                          : "the imports ignore unsubscribes: do not fetch them")
      ->group(set);
  cmd.add_option("--cross-campaign", f.cross_campaign,
                 "leads already in another campaign of the account: skip them (their members "
                 "are cached too) or allow them")
      ->check(CLI::IsMember({"allow", "skip"}))
      ->capture_default_str()
      ->group(set);
  cmd.add_option("--cross-campaign-semantics", f.cross_campaign_semantics,
                 "how the server reads ignore_duplicate_leads_in_other_campaign: observed "
                 "(true skips, as live reports say) or documented (true allows)")
      ->check(CLI::IsMember({"observed", "documented"}))
      ->capture_default_str()
      ->group(set);
  cmd.add_option("--cache-dir", f.cache_dir,
                 "where cached sets live (default $XDG_CACHE_HOME/leadpipe or ~/.cache/leadpipe)")
      ->group(set);
  if (for_import) {
    cmd.add_option("--max-age", f.max_age,
                   "cached sets older than this are fetched again before sending (e.g. 1h, 30m)")
        ->capture_default_str()
        ->group(set);
    cmd.add_flag("--no-sync", f.no_sync, "use the cache as it is, however old: no sync request")
        ->group(set);
    cmd.add_flag("--refresh", f.refresh, "fetch every cached set again before sending")
        ->group(set);
  } else {
    f.max_age = "0";
    cmd.add_option("--max-age", f.max_age,
                   "fetch only sets older than this (default 0: fetch everything)")
        ->capture_default_str()
        ->group(set);
  }
}

net::sync_needs needs_of(const set_flags& f) {
  net::sync_needs n;
  n.members = true;
  n.block_list = !f.ignore_global_block_list;
  n.unsubscribed = !f.ignore_unsubscribe_list;
  n.other_campaigns = f.cross_campaign == "skip";
  return n;
}

net::cache_policy policy_of(const set_flags& f) {
  net::cache_policy p;
  p.dir = f.cache_dir;
  const auto age = parse_duration(ascii::trim_blanks(f.max_age));
  if (!age) throw CLI::ValidationError("--max-age", "'" + f.max_age + "' is not a duration like 1h, 30m or 3600");
  p.max_age = std::chrono::duration_cast<std::chrono::seconds>(*age);
  p.no_sync = f.no_sync;
  p.refresh = f.refresh;
  if (f.no_sync && f.refresh) {
    throw CLI::ValidationError("--no-sync", "cannot be combined with --refresh");
  }
  return p;
}

}  // namespace leadpipe::cli
