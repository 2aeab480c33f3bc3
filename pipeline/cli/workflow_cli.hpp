#pragma once
// What the workflow subcommands (`block ...`, `leads ...`) share: their output flags, API calls
// whose refused key is fatal, per-outcome counters for the report and the summary, and the
// end of a run (report written, summary on standard error, exit code).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "api_flags.hpp"
#include "leadpipe/net/api_client.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/progress.hpp"
#include "leadpipe/report.hpp"

namespace leadpipe::cli {

/// --report, and (for the long-running commands) --progress / --no-progress.
struct workflow_outputs {
  std::string report;
  bool progress = false;
  bool no_progress = false;
  bool has_progress = false;
};

/// Registers the flags every workflow subcommand has: the API's (api_flags.hpp), --report and,
/// `with_progress`, --progress / --no-progress.
void add_workflow_flags(CLI::App& cmd, api_flags& api, workflow_outputs& o, bool with_progress);

/// Registers a required `--campaign ID` under "SmartLead".
void add_campaign_flag(CLI::App& cmd, std::int64_t& campaign_id);

/// Registers an output-file option `name` (a path, or - for standard output) under "Outputs".
void add_output_flag(CLI::App& cmd, const std::string& name, std::string& path,
                     const std::string& what);

/// The progress mode the flags ask for (off for commands without progress flags).
[[nodiscard]] progress_mode progress_of(const workflow_outputs& o);

/// session.call(), except that 401 and 403 throw api_error (the key was refused: nothing else
/// will work either). Other statuses are returned for the caller to judge.
net::api_answer call_or_fail(net::api_session& session, boost::beast::http::verb method,
                             const std::string& path, std::string_view body = {});

/// "the server answered 500: message" from a non-2xx answer (the §2.2 message).
[[nodiscard]] std::string server_said(const net::api_answer& a);

/// Per-outcome counts in a stable order (the order of first use), for the report's section and
/// the summary. Not thread-safe.
class outcome_tally {
 public:
  /// Makes `name` appear (with 0) even when nothing ends that way.
  void declare(std::string_view name);
  void add(std::string_view name, std::uint64_t n = 1);
  [[nodiscard]] std::uint64_t get(std::string_view name) const;
  /// The counts as JSON members ("added":3,...) inside an object the caller opens.
  [[nodiscard]] std::string json_members() const;
  /// "3 added, 1 not_found" (zero counts left out; "nothing" when all are zero).
  [[nodiscard]] std::string text() const;

 private:
  std::vector<std::pair<std::string, std::uint64_t>> counts_;
};

/// Up to `limit` problem lines ("leads.csv:7: bo@x.io: not_found: ...") kept for the summary.
class problem_lines {
 public:
  explicit problem_lines(std::size_t limit = 10) : limit_(limit) {}
  void add(std::string line);
  /// The kept lines, each prefixed "  " and ended with '\n', plus "  ... and N more".
  [[nodiscard]] std::string text() const;

 private:
  std::size_t limit_;
  std::size_t more_ = 0;
  std::vector<std::string> lines_;
};

/// Appends one CSV line of `cells` (formula-safe, append_csv_cell) to `out`.
void append_csv_line(std::string& out, std::initializer_list<std::string_view> cells);

/// Ends a run: the session's figures (when there is one), `rc` and `section` (a JSON object
/// written under `section_name`) go into `rep`, which is written to `report_path` (empty:
/// nowhere); `summary` (and the stop reason, if any) is printed on standard error. Returns rc.
/// Throws output_error when the report cannot be written.
int finish_run(report& rep, const net::api_session* session, int rc, std::string_view section_name,
               std::string section, const std::string& report_path, const std::string& summary);

}  // namespace leadpipe::cli
