#include "template_cmd.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "leadpipe/json_writer.hpp"
#include "leadpipe/template_check.hpp"

namespace leadpipe::cli {
namespace {

// Counts, per variable, the accepted leads whose value is empty.
class blank_counter final : public lead_sink {
 public:
  blank_counter(const std::vector<variable_source>& sources,
                const std::vector<template_variable>& vars, const column_mapping& m)
      : sources_(sources), mapping_(m), blank_(sources.size(), 0) {
    for (const auto& v : vars) names_.push_back(v.name);
  }
  void accept(const accepted_lead& a) override {
    ++leads_;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const variable_source& s = sources_[i];
      bool empty = true;
      if (s.from == variable_source::kind::lead_field) {
        empty = a.lead->get(s.field).empty();
      } else if (s.from == variable_source::kind::custom_field) {
        const std::string& key = mapping_.header[s.column];
        for (const auto& c : a.lead->custom) {
          if (c.key.data() == key.data()) empty = false;
        }
      } else if (s.from == variable_source::kind::json_member) {
        for (const auto& c : a.lead->custom) {
          if (c.from_json && c.key == names_[i]) empty = false;
        }
      }
      if (empty) ++blank_[i];
    }
  }
  [[nodiscard]] std::uint64_t leads() const { return leads_; }
  [[nodiscard]] std::uint64_t blank(std::size_t i) const { return blank_[i]; }

 private:
  const std::vector<variable_source>& sources_;
  const column_mapping& mapping_;
  std::vector<std::string> names_;  // the variables' names, as sources_
  std::vector<std::uint64_t> blank_;
  std::uint64_t leads_ = 0;
};

}  // namespace

void add_check_template(CLI::App& app, template_args& a) {
  auto* cmd = app.add_subcommand(
      "check-template",
      "List the {{variables}} a sequence template uses, say which the input's columns cannot "
      "fill (SmartLead matches custom-field keys case-sensitively) and how many leads would get "
      "each one blank.");
  cmd->add_option("TEMPLATE", a.template_path, "the template text (subject and body), a file")
      ->required();
  add_cpu_flags(*cmd, a.flags, false);
  a.cmd = cmd;
}

namespace {

int check_template(const template_args& a, const cpu_options& opts, report& rep,
                   const std::atomic<bool>& stop) {
  // The outcome files first: a run that fails on its template or input leaves them with just
  // their headers, not an earlier run's rows.
  outcome_files files(a.flags.outcomes, a.flags.rejects);
  std::ifstream in(a.template_path, std::ios::binary);
  if (!in) throw std::runtime_error(a.template_path + ": cannot read the template");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto vars = parse_template(ss.str());
  const std::vector<std::string> syntax = template_syntax_problems(ss.str());

  cpu_pipeline pipe(opts, rep);
  std::fputs(pipe.banner().c_str(), stderr);
  std::vector<variable_source> sources;
  for (const auto& v : vars) sources.push_back(resolve_variable(pipe.mapping(), v.name));
  file_outcome_sink outcomes(files, rep);
  blank_counter counter(sources, vars, pipe.mapping());
  pipe.run(counter, outcomes, rep, {}, &stop);
  files.close();
  rep.stop_clock();
  std::fputs(pipe.closing().c_str(), stderr);

  bool problems = false;
  std::string json;
  json_writer w(json);
  w.begin_object().key("path").value(a.template_path).key("leads").value(counter.leads());
  w.key("variables").begin_array();
  std::string text = fmt::format("{}: {} variable(s); {} lead(s) checked\n", a.template_path,
                                 vars.size(), counter.leads());
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const auto& v = vars[i];
    const auto& s = sources[i];
    std::string where;
    std::string_view source = "missing";
    if (s.from == variable_source::kind::lead_field) {
      source = "lead_field";
      where = fmt::format("{} <- column '{}'", name(s.field), pipe.mapping().header[s.column]);
    } else if (s.from == variable_source::kind::custom_field) {
      source = "custom_field";
      where = fmt::format("custom field '{}'", pipe.mapping().header[s.column]);
    } else if (s.from == variable_source::kind::json_member) {
      source = "json_member";
      where = fmt::format("custom field from the JSON objects of column '{}'",
                          pipe.mapping().header[s.column]);
    } else {
      if (!s.near_miss.empty()) {
        where = fmt::format("MISSING: did you mean {{{{{}}}}}? ({})", s.near_miss, s.hint);
      } else if (!s.hint.empty()) {
        where = fmt::format("MISSING: {}", s.hint);
      } else {
        where = "MISSING: no column of that name";
      }
    }
    const std::uint64_t blank = s.from == variable_source::kind::missing ? counter.leads()
                                                                         : counter.blank(i);
    if (!v.has_fallback && (s.from == variable_source::kind::missing || blank > 0)) problems = true;
    text += fmt::format("  {{{{{}}}}}  {}  blank for {} of {} lead(s){}\n", v.name, where, blank,
                        counter.leads(), v.has_fallback ? " (has a fallback)" : "");
    w.begin_object().key("name").value(v.name).key("source").value(source);
    if (s.from != variable_source::kind::missing) w.key("column").value(pipe.mapping().header[s.column]);
    if (!s.near_miss.empty()) w.key("near_miss").value(s.near_miss);
    if (!s.hint.empty()) w.key("hint").value(s.hint);
    w.key("uses").value(v.uses).key("has_fallback").value(v.has_fallback);
    w.key("blank").value(blank).end_object();
  }
  w.end_array();
  // Text meant as a variable that is none goes out as it is: a problem like a blank variable.
  w.key("syntax_problems").begin_array();
  for (const auto& p : syntax) {
    w.value(p);
    text += fmt::format("  {}: {}\n", a.template_path, p);
    problems = true;
  }
  w.end_array().end_object();
  rep.sections["template"] = json;
  rep.exit_code = problems ? exit_not_imported : exit_ok;
  if (pipe.stopped()) {
    // The counts cover the rows read before the signal.
    rep.stop_reason = "stopped by a signal";
    rep.exit_code = exit_not_imported;
    text += "leadpipe: stopped by a signal: the counts cover the rows read before it\n";
  }
  std::fputs(text.c_str(), stdout);
  write_report(a.flags.report, rep);
  return rep.exit_code;
}

}  // namespace

int run_check_template(const template_args& a, const std::atomic<bool>& stop) {
  // The listing of variables goes to standard output: no output may share it.
  const std::string listing = "-";
  check_paths({{"the template", &a.template_path}}, {{"the listing of variables", &listing},
                                                     {"--outcomes", &a.flags.outcomes},
                                                     {"--rejects", &a.flags.rejects},
                                                     {"--report", &a.flags.report}});
  cpu_options opts = to_options(a.flags);
  opts.source.stop = &stop;
  report rep("check-template");
  rep.start_clock();
  record_policy_settings(rep, opts);
  rep.input.path = opts.input;
  // A run that cannot start has a report of the same shape: its template section is empty.
  std::string empty;
  json_writer(empty)
      .begin_object()
      .key("path")
      .value(a.template_path)
      .key("leads")
      .value(std::uint64_t{0})
      .key("variables")
      .begin_array()
      .end_array()
      .key("syntax_problems")
      .begin_array()
      .end_array()
      .end_object();
  rep.sections["template"] = empty;
  try {
    return check_template(a, opts, rep, stop);
  } catch (const std::exception& e) {
    write_failed_report(a.flags.report, rep, e.what(), failure_exit_code(e));
    throw reported_error(e.what(), failure_exit_code(e));
  }
}

}  // namespace leadpipe::cli
