// leadpipe: command-line entry point. Parses flags, runs one subcommand, and maps start-up and
// fatal errors to the documented exit codes (the only place exceptions are caught).
#include <csignal>
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "block_cmd.hpp"
#include "cli_common.hpp"
#include "import_cmd.hpp"
#include "leadpipe/net/api_client.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/source.hpp"
#include "leads_cmd.hpp"
#include "sync_cmd.hpp"
#include "template_cmd.hpp"
#include "validate_cmd.hpp"

namespace {

// Set by the signal handler: the first SIGINT/SIGTERM/SIGHUP stops gracefully, the second
// abandons requests in flight (SIGHUP: a job started from an ssh session that drops). Lock-free
// atomics are safe to store from a handler.
std::atomic<bool> g_stop{false};
std::atomic<bool> g_abandon{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int) {
  if (g_stop.load()) {
    g_abandon.store(true);
  } else {
    g_stop.store(true);
  }
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  // A reader that goes away (`--out - | head -1`) makes writes fail with EPIPE, an output error
  // like any other (exit 3, the report and the other outputs written), instead of a silent
  // death that leaves buffered outcome lines unwritten.
  std::signal(SIGPIPE, SIG_IGN);
}

int fail(const char* what, int code) {
  std::fputs(fmt::format("leadpipe: {}\n", what).c_str(), stderr);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace leadpipe::cli;
  CLI::App app{"leadpipe: bulk import of lead CSVs into SmartLead campaigns"};
  app.set_version_flag("--version", std::string("leadpipe ") + LEADPIPE_VERSION);
  app.require_subcommand(1);
  validate_args validate;
  add_validate(app, validate);
  import_args import;
  add_import(app, import);
  sync_args sync;
  add_sync(app, sync);
  block_args block;
  add_block(app, block);
  leads_args leads;
  add_leads(app, leads);
  template_args tmpl;
  add_check_template(app, tmpl);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  install_signal_handlers();
  try {
    if (validate.cmd->parsed()) return run_validate(validate, g_stop);
    if (import.cmd->parsed()) return run_import(import, g_stop, g_abandon);
    if (sync.cmd->parsed()) {
      return reporting_failure("sync", sync.report, {}, [&] { return run_sync(sync, g_stop); });
    }
    if (block.cmd->parsed()) return run_block(block, g_stop);
    if (leads.cmd->parsed()) return run_leads(leads, g_stop);
    if (tmpl.cmd->parsed()) {
      return reporting_failure("check-template", tmpl.flags.report, tmpl.flags.input,
                               [&] { return run_check_template(tmpl, g_stop); });
    }
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), exit_usage);
  } catch (const reported_error& e) {
    return fail(e.what(), e.exit_code());
  } catch (const leadpipe::net::api_error& e) {
    return fail(e.what(), exit_fatal);
  } catch (const leadpipe::source_error& e) {
    return fail(e.what(), failure_exit_code(e));
  } catch (const leadpipe::output_error& e) {
    return fail(e.what(), exit_fatal);
  } catch (const std::exception& e) {
    return fail(e.what(), exit_fatal);
  }
  return exit_usage;
}
