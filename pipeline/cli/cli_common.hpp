#pragma once
// Shared pieces of the `leadpipe` subcommands: the CPU-side flags every input-reading command
// takes (input, mapping, policy, lists, outputs), exit codes, and the error-to-exit mapping.

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "leadpipe/pipeline.hpp"

namespace leadpipe::cli {

/// Exit codes, documented in the README.
enum exit_code : int {
  exit_ok = 0,            ///< everything done
  exit_not_imported = 1,  ///< done, but some leads were not imported (import)
  exit_usage = 2,         ///< bad flags or arguments
  exit_fatal = 3,         ///< the run could not start or could not continue
};

/// The flags of the CPU stages, as given, before they are checked and turned into cpu_options.
struct cpu_flags {
  std::string input;
  std::string delimiter;
  std::string encoding;
  std::size_t max_record_bytes = std::size_t{1} << 20;
  std::vector<std::string> map;
  bool no_custom_fields = false;
  std::vector<std::string> custom_field;
  std::vector<std::string> drop;  // repeatable, each a comma-separated list
  std::vector<std::string> keep;
  bool fold_provider_aliases = false;
  std::string block_list;
  std::string unsubscribed;
  std::string existing;
  std::string out;
  std::string outcomes;
  std::string rejects;
  std::string report = "";
  bool progress = false;
  bool no_progress = false;
};

/// Registers the CPU flags on `cmd` (INPUT positional included); --out (the accepted leads as a
/// CSV) only `with_out`: an import sends them, check-template reads them.
void add_cpu_flags(CLI::App& cmd, cpu_flags& f, bool with_out);

/// Checks the flags and builds cpu_options. Throws CLI::ValidationError with a clear message,
/// also for an output that names the input, a list or `api_key_file` (an import's key file,
/// which writing over would lose).
[[nodiscard]] cpu_options to_options(const cpu_flags& f, const std::string& api_key_file = {});

/// Records the email policy's settings in the report: `drop` (the risk flags dropped) and
/// `fold_provider_aliases`. Every command that validates leads does.
void record_policy_settings(report& rep, const cpu_options& opts);

/// Writes the report JSON to `path` ("-" = standard output; empty = nowhere). Throws output_error.
void write_report(const std::string& path, const report& rep);

/// For a run that ends by an exception: records `why` as the stop reason and `rc` as the exit
/// code and writes the report when --report was given, so that a nightly job always finds one.
/// Never throws (a report that cannot be written is left out).
/// Checks an id flag or argument (campaign, client, block-list entry): a positive whole number
/// that fits in 63 bits, with a message that says so ("must be a positive whole number (got
/// 'abc')").
[[nodiscard]] const CLI::Validator& positive_id();

/// A flag and the path it names.
using named_path = std::pair<const char*, const std::string*>;

/// Throws std::runtime_error ("PATH: cannot write: ...") when an output at `path` cannot be
/// created or replaced (a directory, no such directory, no permission), so that a job finds it
/// before its first request rather than after hours of them. Nothing for "" and "-".
void check_can_write(const std::string& path);

/// Refuses (CLI::ValidationError: exit 2) an output that names one of the inputs or another
/// output (outputs are renamed into place at the end: the user's file would be replaced), and
/// two outputs on standard output ("-"), which would interleave. Empty paths are not given.
/// Devices and FIFOs (/dev/null) may take several outputs.
void check_paths(std::initializer_list<named_path> inputs,
                 std::initializer_list<named_path> outputs);

void write_failed_report(const std::string& path, report& rep, std::string_view why,
                         int rc) noexcept;

/// Runs `body` (a subcommand) and returns what it returns. When it throws anything but a usage
/// error (a file that cannot be read or written, a header it cannot use), a report of `command`
/// with `input`, exit 3 and the error as stop_reason is written to `report_path` (when given)
/// before the exception goes on: a nightly job finds a report after every exit 3.
/// The exit code of a run ended by `e`: 1 for a stop request met while an input waited for data
/// (source_errc::stopped: a signal, as everywhere else), 3 for anything else.
[[nodiscard]] int failure_exit_code(const std::exception& e) noexcept;

/// An error whose report the command has written already, knowing more than
/// reporting_failure() would (its sections, its settings): passed on as it is.
class reported_error : public std::runtime_error {
 public:
  reported_error(const std::string& what, int exit_code)
      : std::runtime_error(what), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

template <class Body>
int reporting_failure(std::string_view command, const std::string& report_path,
                      const std::string& input, Body&& body) {
  try {
    return body();
  } catch (const CLI::ParseError&) {
    throw;
  } catch (const reported_error&) {
    throw;
  } catch (const std::exception& e) {
    if (!report_path.empty()) {
      report rep{std::string(command)};
      rep.start_clock();
      rep.input.path = input;
      write_failed_report(report_path, rep, e.what(), failure_exit_code(e));
    }
    throw;
  }
}

/// A short human summary of a report for standard error.
[[nodiscard]] std::string summary(const report& rep);

}  // namespace leadpipe::cli
