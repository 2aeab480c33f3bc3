#pragma once
// `leadpipe check-template TEMPLATE INPUT`: the template's {{variables}} against the input.

#include "cli_common.hpp"

namespace leadpipe::cli {

struct template_args {
  std::string template_path;
  cpu_flags flags;
  CLI::App* cmd = nullptr;
};

void add_check_template(CLI::App& app, template_args& a);
/// Prints one line per variable; returns 0 when every variable is filled for every accepted
/// lead (or has a fallback), 1 when some are missing or blank. Throws on start-up errors.
[[nodiscard]] int run_check_template(const template_args& a, const std::atomic<bool>& stop);

}  // namespace leadpipe::cli
