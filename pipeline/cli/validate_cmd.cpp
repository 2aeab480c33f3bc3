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

int validate_run(const validate_args& a, const cpu_options& opts, report& rep) {
  cpu_pipeline pipe(opts, rep);
  std::fputs(pipe.banner().c_str(), stderr);
  record_policy_settings(rep, opts);

  outcome_files files(a.flags.outcomes, a.flags.rejects);
  std::optional<csv_lead_writer> out;
  counting_sink counter;
  if (!a.flags.out.empty()) out.emplace(a.flags.out, pipe.mapping());
  lead_sink& sink = out ? static_cast<lead_sink&>(*out) : counter;
  file_outcome_sink outcomes(files, rep);
  pipe.run(sink, outcomes, rep);
  files.close();
  if (out) out->close();
  rep.stop_clock();
  rep.exit_code = exit_ok;
  write_report(a.flags.report, rep);
  std::fputs((summary(rep) + "\n").c_str(), stderr);
  std::fputs(pipe.closing().c_str(), stderr);
  return exit_ok;
}

}  // namespace

int run_validate(const validate_args& a) {
  const cpu_options opts = to_options(a.flags);
  report rep("validate");
  rep.start_clock();
  try {
    return validate_run(a, opts, rep);
  } catch (const std::exception& e) {
    write_failed_report(a.flags.report, rep, e.what(), exit_fatal);
    throw;
  }
}

}  // namespace leadpipe::cli
