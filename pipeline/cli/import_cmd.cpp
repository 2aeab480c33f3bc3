#include "import_cmd.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "leadpipe/net/import_job.hpp"

namespace leadpipe::cli {

std::string default_state_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && *x != '\0') {
    return std::string(x) + "/leadpipe";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return std::string(h) + "/.local/state/leadpipe";
  }
  return ".leadpipe-state";
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

void add_import(CLI::App& app, import_args& a) {
  auto* cmd = app.add_subcommand(
      "import",
      "Import a lead CSV into a SmartLead campaign: everything validate does, then full 400-lead "
      "batches over concurrent HTTPS connections under the account's rate limit, every row "
      "accounted once, resumable after a crash. The API key comes from SMARTLEAD_API_KEY or "
      "--api-key-file, never from the command line.");
  add_cpu_flags(*cmd, a.flags);
  auto* api = "SmartLead";
  cmd->add_option("--campaign", a.campaign_id, "campaign id to import into")->required()->group(api);
  cmd->add_option("--base-url", a.base_url, "API base URL")->capture_default_str()->group(api);
  cmd->add_option("--api-key-file", a.api_key_file,
                  "file whose first line is the API key (else SMARTLEAD_API_KEY)")
      ->group(api);
  cmd->add_option("--api-key", a.api_key_refused,
                  "refused: other users can read a process's command line")
      ->group("");
  cmd->add_option("--ca-file", a.ca_file, "extra CA certificate to trust (e.g. the simulator's)")
      ->group(api);
  auto* set = "Import settings";
  cmd->add_flag("--ignore-global-block-list", a.ignore_global_block_list,
                "let the server add leads on the global block list")
      ->group(set);
  cmd->add_flag("--ignore-unsubscribe-list", a.ignore_unsubscribe_list,
                "let the server add previously unsubscribed leads")
      ->group(set);
  cmd->add_flag("--ignore-community-bounce-list", a.ignore_community_bounce_list,
                "let the server add leads on the community bounce list")
      ->group(set);
  cmd->add_option("--cross-campaign", a.cross_campaign,
                  "leads already in another campaign of the account: skip them or allow them")
      ->check(CLI::IsMember({"allow", "skip"}))
      ->capture_default_str()
      ->group(set);
  cmd->add_option("--cross-campaign-semantics", a.cross_campaign_semantics,
                  "how the server reads ignore_duplicate_leads_in_other_campaign: observed "
                  "(true skips, as live reports say) or documented (true allows)")
      ->check(CLI::IsMember({"observed", "documented"}))
      ->capture_default_str()
      ->group(set);
  auto* sending = "Sending";
  cmd->add_option("--batch-size", a.batch_size, "leads per request (at most 400)")
      ->check(CLI::Range(1, 400))
      ->capture_default_str()
      ->group(sending);
  cmd->add_option("--max-body-bytes", a.max_body_bytes,
                  "largest request body; batches close before it")
      ->check(CLI::Range(4096, 64 << 20))
      ->capture_default_str()
      ->group(sending);
  cmd->add_option("--rate-limit", a.rate_limit,
                  "the account's limit: a preset (default, legacy, standard_tier, pro_tier), "
                  "rules like 60/60s,1000/1h, or none")
      ->capture_default_str()
      ->group(sending);
  cmd->add_option("--concurrency", a.concurrency,
                  "most requests in flight (default automatic: as many as the rate needs, up to 16)")
      ->check(CLI::Range(1, 256))
      ->group(sending);
  cmd->add_option("--connect-timeout", a.connect_timeout, "seconds")->capture_default_str()->group(sending);
  cmd->add_option("--request-timeout", a.request_timeout, "seconds")->capture_default_str()->group(sending);
  auto* safety = "Crash safety";
  cmd->add_option("--state-dir", a.state_dir,
                  "where the journal lives (default $XDG_STATE_HOME/leadpipe or "
                  "~/.local/state/leadpipe)")
      ->group(safety);
  cmd->add_flag("--no-journal", a.no_journal, "keep no journal (the job cannot be resumed)")
      ->group(safety);
  cmd->add_flag("--resume", a.resume,
                "finish an interrupted import of the same input into the same campaign")
      ->group(safety);
  cmd->add_flag("--dry-run", a.dry_run,
                "do everything but send: count the requests and the time they need")
      ->group(safety);
  a.cmd = cmd;
}

int run_import(const import_args& a, const std::atomic<bool>& stop,
               const std::atomic<bool>& abandon) {
  if (!a.api_key_refused.empty()) {
    throw CLI::ValidationError("--api-key",
                               "is refused: other users can read a process's command line; set "
                               "SMARTLEAD_API_KEY or use --api-key-file");
  }
  net::import_options o;
  o.cpu = to_options(a.flags);
  o.base_url = a.base_url;
  o.campaign_id = a.campaign_id;
  if (!a.dry_run) o.api_key = load_api_key(a.api_key_file);
  o.settings.ignore_global_block_list = a.ignore_global_block_list;
  o.settings.ignore_unsubscribe_list = a.ignore_unsubscribe_list;
  o.settings.ignore_community_bounce_list = a.ignore_community_bounce_list;
  // §7.3: the flag means opposite things in the documentation and in the live service.
  const bool skip = a.cross_campaign == "skip";
  o.settings.ignore_duplicate_leads_in_other_campaign =
      a.cross_campaign_semantics == "observed" ? skip : !skip;
  o.cpu.filter.ignore_global_block_list = a.ignore_global_block_list;
  o.cpu.filter.ignore_unsubscribe_list = a.ignore_unsubscribe_list;
  o.cpu.filter.skip_in_other_campaigns = skip;
  o.batching.max_leads = a.batch_size;
  o.batching.max_body_bytes = a.max_body_bytes;
  std::string msg;
  auto rules = parse_rate_rules(a.rate_limit, &msg);
  if (!rules) throw CLI::ValidationError("--rate-limit", msg);
  o.limiter.rules = *rules;
  o.concurrency = a.concurrency;
  o.tls.ca_file = a.ca_file;
  o.limits.connect = std::chrono::milliseconds(static_cast<std::int64_t>(a.connect_timeout * 1000));
  o.limits.request = std::chrono::milliseconds(static_cast<std::int64_t>(a.request_timeout * 1000));
  o.state_dir = a.no_journal ? "" : (a.state_dir.empty() ? default_state_dir() : a.state_dir);
  o.resume = a.resume;
  o.dry_run = a.dry_run;
  o.outcomes_path = a.flags.outcomes;
  o.rejects_path = a.flags.rejects;

  report rep("import");
  rep.start_clock();
  rep.settings["cross_campaign"] = a.cross_campaign;
  rep.settings["cross_campaign_semantics"] = a.cross_campaign_semantics;
  rep.settings["batch_size"] = std::to_string(a.batch_size);
  rep.settings["rate_limit"] = to_string(o.limiter.rules);
  int rc = exit_fatal;
  try {
    rc = net::run_import(o, rep, stop, abandon);
  } catch (...) {
    rep.stop_clock();
    throw;
  }
  rep.stop_clock();
  rep.exit_code = rc;
  write_report(a.flags.report, rep);
  std::fputs((summary(rep) + "\n").c_str(), stderr);
  if (!rep.stop_reason.empty()) {
    std::fputs(fmt::format("leadpipe: stopped: {}\n", rep.stop_reason).c_str(), stderr);
  }
  return rc;
}

}  // namespace leadpipe::cli
