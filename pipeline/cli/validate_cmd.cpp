#include "validate_cmd.hpp"

#include <cstdio>
#include <optional>

#include <fmt/format.h>

namespace leadpipe::cli {

void add_validate(CLI::App& app, validate_args& a) {
  auto* cmd = app.add_subcommand(
      "validate",
      "Read a lead CSV, validate and deduplicate every row, drop what the server would skip, "
      "and write clean leads, per-row outcomes and a report. Sends nothing.");
  add_cpu_flags(*cmd, a.flags, true);
  a.cmd = cmd;
}

namespace {

int validate_run(const validate_args& a, const cpu_options& opts, report& rep,
                 const std::atomic<bool>& stop) {
  // The outcome files first: a run that fails on its input (missing, empty, no email column)
  // leaves them with just their headers, not an earlier run's rows.
  outcome_files files(a.flags.outcomes, a.flags.rejects);
  cpu_pipeline pipe(opts, rep);
  std::fputs(pipe.banner().c_str(), stderr);

  std::optional<csv_lead_writer> out;
  counting_sink counter;
  if (!a.flags.out.empty()) out.emplace(a.flags.out, pipe.mapping());
  lead_sink& sink = out ? static_cast<lead_sink&>(*out) : counter;
  file_outcome_sink outcomes(files, rep);
  pipe.run(sink, outcomes, rep, {}, &stop);
  files.close();
  if (out) out->close();
  rep.stop_clock();
  // A signal ends the run at a row boundary: the outputs hold the rows read before it.
  const int rc = pipe.stopped() ? exit_not_imported : exit_ok;
  if (pipe.stopped()) {
    rep.stop_reason = "stopped by a signal: the outputs hold the rows read before it";
  }
  rep.exit_code = rc;
  write_report(a.flags.report, rep);
  std::fputs((summary(rep) + "\n").c_str(), stderr);
  std::fputs(pipe.closing().c_str(), stderr);
  if (pipe.stopped()) std::fputs(fmt::format("leadpipe: {}\n", rep.stop_reason).c_str(), stderr);
  return rc;
}

}  // namespace

int run_validate(const validate_args& a, const std::atomic<bool>& stop) {
  cpu_options opts = to_options(a.flags);
  opts.source.stop = &stop;
  report rep("validate");
  rep.start_clock();
  record_policy_settings(rep, opts);
  try {
    return validate_run(a, opts, rep, stop);
  } catch (const std::exception& e) {
    write_failed_report(a.flags.report, rep, e.what(), failure_exit_code(e));
    throw;
  }
}

}  // namespace leadpipe::cli
