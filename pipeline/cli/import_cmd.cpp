#include "import_cmd.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "leadpipe/email.hpp"
#include "leadpipe/net/import_job.hpp"

namespace leadpipe::cli {

void add_import(CLI::App& app, import_args& a) {
  auto* cmd = app.add_subcommand(
      "import",
      "Import a lead CSV into a SmartLead campaign: everything validate does, then full 400-lead "
      "batches over concurrent HTTPS connections under the account's rate limit, every row "
      "accounted once, resumable after a crash. Leads the server would skip (block list, "
      "unsubscribed, already in the campaign, in other campaigns) are skipped locally from a "
      "cache that is refreshed when older than --max-age. The API key comes from "
      "SMARTLEAD_API_KEY or --api-key-file, never from the command line.");
  add_cpu_flags(*cmd, a.flags, false);
  cmd->add_option("--campaign", a.campaign_id, "campaign id to import into")
      ->required()
      ->group("SmartLead")
      ->check(positive_id());
  add_api_flags(*cmd, a.api);
  add_set_flags(*cmd, a.sets, true);
  cmd->add_flag("--no-cache", a.no_cache,
                "neither read nor fetch cached sets (only list files given with --block-list, "
                "--unsubscribed, --existing pre-skip)")
      ->group("Server skip sets");
  cmd->add_flag("--ignore-community-bounce-list", a.ignore_community_bounce_list,
                "let the server add leads on the community bounce list")
      ->group("Server skip sets");
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
  cmd->add_option("--concurrency", a.concurrency,
                  "most requests in flight (default automatic: as many as the rate needs, up to 16)")
      ->check(CLI::Range(1, 256))
      ->group(sending);
  auto* safety = "Crash safety";
  cmd->add_option("--state-dir", a.state_dir,
                  "where the journal lives (default $XDG_STATE_HOME/leadpipe or "
                  "~/.local/state/leadpipe)")
      ->group(safety);
  cmd->add_flag("--no-journal", a.no_journal, "keep no journal (the job cannot be resumed)")
      ->group(safety);
  cmd->add_flag("--resume", a.resume,
                "finish an interrupted import of the same input into the same campaign (the "
                "cached sets are used as they are: no sync)")
      ->group(safety);
  cmd->add_flag("--dry-run", a.dry_run,
                "do everything but send: count the requests and the time they need (cached "
                "sets are used as they are when a key is set)")
      ->group(safety);
  a.cmd = cmd;
}

int run_import(const import_args& a, const std::atomic<bool>& stop,
               const std::atomic<bool>& abandon) {
  net::import_options o;
  o.cpu = to_options(a.flags, a.api.api_key_file);
  o.cpu.source.stop = &stop;  // a stalled input pipe does not hold a stop request back
  // Flags that cannot go together are usage errors (exit 2), found before anything starts.
  if (a.resume && a.no_journal)
    throw CLI::ValidationError("--resume", "cannot go with --no-journal");
  if (a.resume && o.cpu.input == "-") {
    throw CLI::ValidationError("--resume",
                               "needs the input to be a regular file, not standard input (a "
                               "job read from standard input keeps no journal)");
  }
  o.base_url = a.api.base_url;
  o.campaign_id = a.campaign_id;
  std::optional<net::api_options> api;
  if (!a.dry_run) {
    api = to_api_options(a.api);
  } else if (!a.api.api_key_refused.empty() || std::getenv("SMARTLEAD_API_KEY") != nullptr ||
             !a.api.api_key_file.empty()) {
    api = to_api_options(a.api);  // a dry run needs no key, but uses the cache when it has one
  } else {
    o.limiter.rules = rate_limit_of(a.api);
  }
  if (api) {
    o.api_key = api->api_key;
    o.limiter = api->limiter;
    o.tls = api->tls;
    o.limits = api->limits;
  }
  o.settings.ignore_global_block_list = a.sets.ignore_global_block_list;
  o.settings.ignore_unsubscribe_list = a.sets.ignore_unsubscribe_list;
  o.settings.ignore_community_bounce_list = a.ignore_community_bounce_list;
  // §7.3: the flag means opposite things in the documentation and in the live service.
  const bool skip = a.sets.cross_campaign == "skip";
  o.settings.ignore_duplicate_leads_in_other_campaign =
      a.sets.cross_campaign_semantics == "observed" ? skip : !skip;
  o.cpu.filter.ignore_global_block_list = a.sets.ignore_global_block_list;
  o.cpu.filter.ignore_unsubscribe_list = a.sets.ignore_unsubscribe_list;
  o.cpu.filter.skip_in_other_campaigns = skip;
  o.batching.max_leads = a.batch_size;
  o.batching.max_body_bytes = a.max_body_bytes;
  o.concurrency = a.concurrency;
  o.state_dir = a.no_journal ? "" : (a.state_dir.empty() ? default_state_dir() : a.state_dir);
  o.resume = a.resume;
  o.dry_run = a.dry_run;
  o.outcomes_path = a.flags.outcomes;
  o.rejects_path = a.flags.rejects;

  report rep("import");
  rep.start_clock();
  rep.settings["cross_campaign"] = a.sets.cross_campaign;
  rep.settings["cross_campaign_semantics"] = a.sets.cross_campaign_semantics;
  rep.settings["batch_size"] = std::to_string(a.batch_size);
  record_policy_settings(rep, o.cpu);
  // Without HOME (a systemd unit, some cron setups) the defaults are relative to the working
  // directory: a --resume started elsewhere would not find the journal.
  const auto relative_default = [&rep](const std::string& dir, const char* flag) {
    if (dir.empty() || dir.front() == '/') return;
    rep.warn(fmt::format(
        "neither HOME nor XDG_*_HOME is set: {} defaults to {} in the working directory; run "
        "--resume from this directory, or give {}",
        flag, dir, flag));
  };
  if (a.state_dir.empty() && !a.no_journal) relative_default(o.state_dir, "--state-dir");
  if (a.sets.cache_dir.empty() && !a.no_cache && !a.dry_run) {
    relative_default(default_cache_dir(), "--cache-dir");
  }
  rep.settings["rate_limit"] = to_string(o.limiter.rules);
  // Present in every import's report, whatever happens: the run below fills it; a run that
  // stops first (a refused key, a missing campaign, nothing left to resume) leaves zeros and
  // the sync's requests.
  rep.network.emplace();
  rep.network->base_url = o.base_url;
  rep.network->campaign_id = o.campaign_id;
  rep.network->rate_limit = to_string(o.limiter.rules);
  int rc = exit_fatal;
  std::optional<net::api_session> session;
  // The sync's requests count against the same key and budget.
  const auto add_sync_requests = [&] {
    if (!session || !rep.network) return;
    const network_stats s = session->stats();
    for (const auto& [status, n] : s.requests) rep.network->requests[status] += n;
    rep.network->retries += s.retries;
  };
  // Filled by the sync, and in the report however the job ends: a nightly job parses the same
  // shape whether the key was refused or every lead added.
  net::cache_outcome cached;
  const bool syncs = api && !a.no_cache;
  try {
    // Local problems end the job before the first request: a sync can take hours.
    for (const std::string* out : {&a.flags.outcomes, &a.flags.rejects, &a.flags.report}) {
      check_can_write(*out);
    }
    net::lock_import(o);
    // A new job's outcome files are this run's from the start: one that fails in its sync (an
    // unreachable server, a refused key) leaves them with just their headers, not an earlier
    // run's rows. (A --resume appends to the earlier run's; lock_import() has refused a new
    // job over an unfinished one, whose files a --resume still needs.)
    // Only files: standard output, a FIFO or /dev/stdout would get the header twice.
    if (!a.resume && !a.dry_run) {
      const auto stored = [](const std::string& path) {
        std::error_code ec;
        return path != "-" && !path.empty() &&
               (!std::filesystem::exists(path, ec) || std::filesystem::is_regular_file(path, ec));
      };
      outcome_files(stored(a.flags.outcomes) ? a.flags.outcomes : std::string(),
                    stored(a.flags.rejects) ? a.flags.rejects : std::string())
          .close();
    }
    std::optional<sync_cache> cache;
    const net::sync_needs needs = needs_of(a.sets);
    net::cache_policy policy = policy_of(a.sets);
    // A resumed or dry run sends no sync request: a resumed job keeps the sets its first run
    // fetched (a fresh member list would show its own leads as "already in the campaign").
    // A --resume without a journal has no first run to continue (it stopped in its sync, before
    // sending anything): it syncs as a fresh job does.
    const bool continues = a.resume && o.journal_found;
    policy.no_sync = policy.no_sync || continues || a.dry_run;
    policy.progress = o.cpu.progress;
    if (syncs) {
      session.emplace(*api, &stop);
      const email_validator v(o.cpu.email);
      cache = net::prepare_cache(*session, v, a.campaign_id, needs, policy, rep, cached);
      if (!a.dry_run) cached.would_fetch.clear();
      net::describe_cache(*cache, needs, cached, rep);
      o.cache = &*cache;
      o.limiter_shared = session->shared_limiter();
      rep.settings["cache"] = cached.path;
    }
    rc = net::run_import(o, rep, stop, abandon);
    add_sync_requests();
    if (a.dry_run && !cached.would_fetch.empty()) {
      std::string groups;
      for (const auto& g : cached.would_fetch) groups += (groups.empty() ? "" : ", ") + g;
      const std::uint64_t n = cached.estimated_requests;
      std::fputs(fmt::format("leadpipe: dry run: the cache is stale or missing for {}, so a real "
                             "run first syncs it: {}{} requests (under {} at least {})\n",
                             groups,
                             cached.estimate_floor     ? "at least "
                             : cached.estimate_ceiling ? "at most "
                                                       : "about ",
                             n, to_string(o.limiter.rules),
                             progress_line::clock(
                                 std::chrono::duration<double>(time_to_send(o.limiter, n)).count()))
                     .c_str(),
                 stderr);
    }
    if (cache) {
      if (!a.dry_run) {
        write_cache(cached.path, *cache);  // with what the import taught it
        cached.written = true;
      }
      rep.sections["sync"] = net::sync_section_json(cached);
    }
  } catch (const std::exception& e) {
    add_sync_requests();
    if (syncs) {
      rep.sections["sync"] = net::sync_section_json(cached);
      if (!cached.path.empty()) rep.settings["cache"] = cached.path;
    }
    // A signal during the sync ends the job like one during the import: exit 1, with a report.
    const bool signalled = stop.load();
    write_failed_report(a.flags.report, rep, e.what(), signalled ? exit_not_imported : exit_fatal);
    if (!signalled) throw;
    std::fputs(fmt::format("leadpipe: stopped: {}\n", e.what()).c_str(), stderr);
    return exit_not_imported;
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
