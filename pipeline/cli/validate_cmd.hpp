#pragma once
// `leadpipe validate`: the CPU pipeline on its own, writing outputs and a report.

#include "cli_common.hpp"

namespace leadpipe::cli {

struct validate_args {
  cpu_flags flags;
  CLI::App* cmd = nullptr;
};

/// Registers the subcommand and its flags on `app`.
void add_validate(CLI::App& app, validate_args& a);
/// Runs it. Throws on start-up and fatal errors (main maps them to exit codes).
[[nodiscard]] int run_validate(const validate_args& a, const std::atomic<bool>& stop);

}  // namespace leadpipe::cli
