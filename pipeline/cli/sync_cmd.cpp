#include "sync_cmd.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "leadpipe/email.hpp"

namespace leadpipe::cli {

void add_sync(CLI::App& app, sync_args& a) {
  auto* cmd = app.add_subcommand(
      "sync",
      "Fetch what the server would skip on import into the campaign's local cache: the global "
      "block list (emails and domains, scoped to the campaign's client), the campaign's members, "
      "the unsubscribed leads the API reveals, and with --cross-campaign skip the members of the "
      "account's other campaigns. Every page goes through the account's rate limiter. Imports "
      "use the cache automatically.");
  cmd->add_option("--campaign", a.campaign_id, "campaign id")
      ->required()
      ->check(positive_id())
      ->group("SmartLead");
  add_api_flags(*cmd, a.api);
  add_set_flags(*cmd, a.sets, false);
  cmd->add_option("--report", a.report, "write the JSON report here (- for standard output)")
      ->group("Outputs");
  cmd->add_flag("--progress", a.progress, "draw progress on standard error even when not a terminal")
      ->group("Outputs");
  cmd->add_flag("--no-progress", a.no_progress, "never draw progress")->group("Outputs");
  a.cmd = cmd;
}

int run_sync(const sync_args& a, const std::atomic<bool>& stop) {
  check_paths({{"--api-key-file", &a.api.api_key_file}}, {{"--report", &a.report}});
  const net::api_options api = to_api_options(a.api);
  net::cache_policy policy = policy_of(a.sets);
  policy.refresh = a.sets.max_age == "0";
  policy.progress = a.no_progress ? progress_mode::off
                                  : (a.progress ? progress_mode::on : progress_mode::automatic);
  const net::sync_needs needs = needs_of(a.sets);
  report rep("sync");
  rep.start_clock();
  net::api_session session(api, &stop);
  const email_validator validator{email_options{}};
  net::cache_outcome out;
  int rc = exit_ok;
  try {
    const sync_cache cache = net::prepare_cache(session, validator, a.campaign_id, needs, policy, rep, out);
    net::describe_cache(cache, needs, out, rep);
  } catch (const net::api_error& e) {
    rep.stop_reason = e.what();
    // A signal stops it as it stops an import (exit 1); the cache keeps what it had.
    rc = stop.load() ? exit_not_imported : exit_fatal;
  }
  rep.stop_clock();
  rep.network = session.stats();
  rep.network->campaign_id = a.campaign_id;
  rep.sections["sync"] = net::sync_section_json(out);
  rep.exit_code = rc;
  write_report(a.report, rep);
  std::string text =
      rc == exit_ok
          ? fmt::format("leadpipe: sync of campaign {} in {:.2f} s: {}", a.campaign_id,
                        rep.seconds(), out.path)
          : fmt::format("leadpipe: sync of campaign {} stopped after {:.2f} s: {}", a.campaign_id,
                        rep.seconds(),
                        out.written ? out.path : std::string("the cache file was not written"));
  for (const auto& f : out.fetched) {
    text += fmt::format("\n  {:<16} {:>6} requests {:>10} listed {:>10} kept", f.group,
                        f.requests, f.server_entries, f.kept);
    if (f.out_of_scope != 0) text += fmt::format(" ({} of another client)", f.out_of_scope);
    if (f.unusable != 0) text += fmt::format(" ({} unusable)", f.unusable);
  }
  if (out.fetched.empty() && rc == exit_ok) text += "\n  every set is fresh: nothing fetched";
  for (const auto& w : rep.warnings) text += "\n  warning: " + w;
  std::fputs((text + "\n").c_str(), stderr);
  if (rc != exit_ok) std::fputs(fmt::format("leadpipe: {}\n", rep.stop_reason).c_str(), stderr);
  return rc;
}

}  // namespace leadpipe::cli
