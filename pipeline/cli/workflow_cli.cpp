#include "workflow_cli.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "leadpipe/import_response.hpp"
#include "leadpipe/json_writer.hpp"

namespace leadpipe::cli {

void add_workflow_flags(CLI::App& cmd, api_flags& api, workflow_outputs& o, bool with_progress) {
  add_api_flags(cmd, api);
  cmd.add_option("--report", o.report, "write the JSON report here (- for standard output)")
      ->group("Outputs");
  o.has_progress = with_progress;
  if (!with_progress) return;
  cmd.add_flag("--progress", o.progress, "draw progress on standard error even when not a terminal")
      ->group("Outputs");
  cmd.add_flag("--no-progress", o.no_progress, "never draw progress")->group("Outputs");
}

void add_campaign_flag(CLI::App& cmd, std::int64_t& campaign_id) {
  cmd.add_option("--campaign", campaign_id, "campaign id")
      ->required()
      ->check(positive_id())
      ->group("SmartLead");
}

void add_output_flag(CLI::App& cmd, const std::string& name, std::string& path,
                     const std::string& what) {
  cmd.add_option(name, path, what + " (a path, or - for standard output)")->group("Outputs");
}

progress_mode progress_of(const workflow_outputs& o) {
  if (!o.has_progress || o.no_progress) return progress_mode::off;
  return o.progress ? progress_mode::on : progress_mode::automatic;
}

net::api_answer call_or_fail(net::api_session& session, boost::beast::http::verb method,
                             const std::string& path, std::string_view body) {
  net::api_answer a = session.call(method, path, body);
  if (a.status == 401 || a.status == 403) {
    response_parser parser;
    throw net::api_error(fmt::format("{}: the api key was refused ({}): {}", path, a.status,
                                     parser.parse_error(a.body).message),
                         a.status);
  }
  return a;
}

std::string server_said(const net::api_answer& a) {
  response_parser parser;
  return fmt::format("the server answered {}: {}", a.status, parser.parse_error(a.body).message);
}

void outcome_tally::declare(std::string_view name) { add(name, 0); }

void outcome_tally::add(std::string_view name, std::uint64_t n) {
  for (auto& [k, v] : counts_) {
    if (k == name) {
      v += n;
      return;
    }
  }
  counts_.emplace_back(std::string(name), n);
}

std::uint64_t outcome_tally::get(std::string_view name) const {
  for (const auto& [k, v] : counts_) {
    if (k == name) return v;
  }
  return 0;
}

std::string outcome_tally::json_members() const {
  std::string out;
  for (const auto& [k, v] : counts_) {
    if (!out.empty()) out.push_back(',');
    append_json_string(out, k);
    out += fmt::format(":{}", v);
  }
  return out;
}

std::string outcome_tally::text() const {
  std::string out;
  for (const auto& [k, v] : counts_) {
    if (v == 0) continue;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", v, k);
  }
  return out.empty() ? "nothing" : out;
}

void problem_lines::add(std::string line) {
  if (lines_.size() < limit_) {
    lines_.push_back(std::move(line));
  } else {
    ++more_;
  }
}

std::string problem_lines::text() const {
  std::string out;
  for (const auto& l : lines_) out += "  " + l + "\n";
  if (more_ != 0) out += fmt::format("  ... and {} more (see the outcomes file)\n", more_);
  return out;
}

void append_csv_line(std::string& out, std::initializer_list<std::string_view> cells) {
  bool first = true;
  for (const auto c : cells) {
    if (!first) out.push_back(',');
    first = false;
    append_csv_cell(out, c);
  }
  out.push_back('\n');
}

int finish_run(report& rep, const net::api_session* session, int rc, std::string_view section_name,
               std::string section, const std::string& report_path, const std::string& summary) {
  rep.stop_clock();
  if (session != nullptr) rep.network = session->stats();
  rep.sections[std::string(section_name)] = std::move(section);
  rep.exit_code = rc;
  write_report(report_path, rep);
  std::string text = summary;
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  if (!rep.stop_reason.empty()) text += fmt::format("leadpipe: stopped: {}\n", rep.stop_reason);
  std::fputs(text.c_str(), stderr);
  return rc;
}

}  // namespace leadpipe::cli
