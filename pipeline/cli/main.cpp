// leadpipe: command-line entry point. Parses flags, runs one subcommand, and maps start-up and
// fatal errors to the documented exit codes (the only place exceptions are caught).
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/source.hpp"
#include "validate_cmd.hpp"

int main(int argc, char** argv) {
  using namespace leadpipe::cli;
  CLI::App app{"leadpipe: bulk import of lead CSVs into SmartLead campaigns"};
  app.set_version_flag("--version", std::string("leadpipe ") + LEADPIPE_VERSION);
  app.require_subcommand(1);
  validate_args validate;
  add_validate(app, validate);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  try {
    if (validate.cmd->parsed()) return run_validate(validate);
  } catch (const CLI::ParseError& e) {
    std::fputs(fmt::format("leadpipe: {}\n", e.what()).c_str(), stderr);
    return exit_usage;
  } catch (const leadpipe::source_error& e) {
    std::fputs(fmt::format("leadpipe: {}\n", e.what()).c_str(), stderr);
    return exit_fatal;
  } catch (const leadpipe::output_error& e) {
    std::fputs(fmt::format("leadpipe: {}\n", e.what()).c_str(), stderr);
    return exit_fatal;
  } catch (const std::exception& e) {
    std::fputs(fmt::format("leadpipe: {}\n", e.what()).c_str(), stderr);
    return exit_fatal;
  }
  return exit_usage;
}
