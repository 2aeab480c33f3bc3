#include "leadpipe/report.hpp"

#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "leadpipe/email.hpp"
#include "leadpipe/json_writer.hpp"
#include "leadpipe/mapping.hpp"

namespace leadpipe {
namespace {

bool is_import_like(std::string_view command) { return command == "import"; }

// The outcomes every report of a command lists, so that nightly jobs can rely on their keys.
// Commands that read no lead rows (sync, block, leads) list none: their figures are sections.
bool listed(outcome o, std::string_view command) {
  if (command != "validate" && command != "import") return false;
  if (o == outcome::accepted) return !is_import_like(command);
  if (o == outcome::added) return is_import_like(command);
  switch (o) {
    case outcome::bounced:
    case outcome::in_other_campaign:
    case outcome::duplicate_in_request:
    case outcome::rejected_by_server:
    case outcome::server_skipped:
    case outcome::not_imported_lead_credit:
    case outcome::not_imported_retries_exhausted:
    case outcome::not_imported_stopped:
    case outcome::not_imported_auth:
    case outcome::not_imported_campaign_missing:
      return is_import_like(command);
    default:
      return true;
  }
}

}  // namespace

std::string iso8601(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ms.count() % 1000);
}

report::report(std::string command) : command_(std::move(command)) {}

void report::count(outcome o, decided_by by) {
  outcomes_.add(o);
  if (by == decided_by::server) by_server_.add(o);
}

void report::move(outcome from, outcome to, std::uint64_t k, decided_by by) {
  outcomes_.n[static_cast<std::size_t>(from)] -= k;
  outcomes_.add(to, k);
  if (by == decided_by::server) by_server_.add(to, k);
}

void report::count_flags(std::uint8_t flags) {
  for (std::size_t bit = 0; bit < flags_.size(); ++bit) {
    if (((static_cast<unsigned>(flags) >> bit) & 1U) != 0) ++flags_[bit];
  }
}

std::uint64_t report::flag_count(std::uint8_t single_flag) const {
  for (std::size_t bit = 0; bit < flags_.size(); ++bit) {
    if (single_flag == (1U << bit)) return flags_[bit];
  }
  return 0;
}

void report::start_clock() {
  t0_ = std::chrono::steady_clock::now();
  started_at_ = std::chrono::system_clock::now();
}
void report::stop_clock() { t1_ = std::chrono::steady_clock::now(); }
double report::seconds() const {
  const auto end = t1_ == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::now() : t1_;
  return std::chrono::duration<double>(end - t0_).count();
}

std::string report::to_json() const {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("schema_version").value(report_schema_version);
  w.key("tool").value("leadpipe");
  w.key("version").value(LEADPIPE_VERSION);
  w.key("command").value(command_);
  w.key("started_at").value(iso8601(started_at_));
  w.key("seconds").value(seconds());
  w.key("exit_code").value(exit_code);
  if (!stop_reason.empty()) w.key("stop_reason").value(stop_reason);
  w.key("input").begin_object();
  w.key("path").value(input.path).key("size").value(input.size).key("xxh3_128").value(input.xxh3_128);
  w.key("gzip").value(input.gzip).key("encoding").value(input.encoding);
  w.key("delimiter").value(std::string_view(&input.delimiter, 1));
  w.end_object();
  w.key("bytes").value(bytes_);
  w.key("rows_read").value(rows_read_);
  w.key("blank_lines").value(blank_lines_);
  w.key("resumed_rows").value(resumed_rows_);
  w.key("outcomes").begin_object();
  for (std::size_t i = 0; i < outcome_count; ++i) {
    const auto o = static_cast<outcome>(i);
    if (listed(o, command_) || outcomes_[o] != 0) w.key(name(o)).value(outcomes_[o]);
  }
  w.end_object();
  if (is_import_like(command_)) {
    w.key("skipped_by_server").begin_object();
    for (std::size_t i = 0; i < outcome_count; ++i) {
      const auto o = static_cast<outcome>(i);
      if (o != outcome::added && by_server_[o] != 0) w.key(name(o)).value(by_server_[o]);
    }
    w.end_object();
  }
  w.key("flags").begin_object();
  for (std::size_t bit = 0; bit < 5; ++bit) {
    w.key(flag_name(static_cast<std::uint8_t>(1U << bit))).value(flags_[bit]);
  }
  w.end_object();
  w.key("repaired_encoding").value(repaired_encoding_);
  if (!mapping_json.empty()) {
    w.key("mapping").raw(mapping_json);
  } else if (command_ == "validate" || command_ == "import" || command_ == "check-template") {
    // A run that stopped before its header was mapped: the same shape, nothing mapped, so that
    // a nightly job reads mapping.fields the same way after every run.
    w.key("mapping").begin_object().key("fields").begin_object();
    for (std::size_t f = 0; f < lead_field_count; ++f)
      w.key(name(static_cast<lead_field>(f))).null();
    w.end_object();
    w.key("custom_fields").begin_array().end_array();
    w.key("ignored").begin_array().end_array();
    w.end_object();
  } else {
    w.key("mapping").raw("{}");
  }
  w.key("sets").begin_array();
  for (const auto& s : sets) {
    w.begin_object().key("name").value(s.name).key("source").value(s.source);
    w.key("entries").value(s.entries).key("domains").value(s.domains);
    w.key("invalid_entries").value(s.invalid_entries).key("bytes").value(s.bytes);
    w.key("skipped").value(s.skipped);
    if (s.age_seconds) w.key("age_seconds").value(*s.age_seconds);
    if (s.server_skipped) w.key("server_skipped").value(*s.server_skipped);
    w.end_object();
  }
  w.end_array();
  if (network) {
    const auto& n = *network;
    w.key("network").begin_object();
    w.key("base_url").value(n.base_url);
    if (n.campaign_id) w.key("campaign_id").value(*n.campaign_id);
    w.key("rate_limit").value(n.rate_limit);
    w.key("requests").begin_object();
    for (const auto& [status, k] : n.requests) w.key(status).value(k);
    w.end_object();
    w.key("retries").value(n.retries).key("batches").value(n.batches);
    w.key("leads_sent").value(n.leads_sent).key("rate_limited").value(n.rate_limited);
    w.key("paused_seconds").value(n.paused_seconds);
    w.key("overloaded").value(n.overloaded).key("pace_cuts").value(n.pace_cuts);
    w.key("paced_after_429").value(n.paced_after_429);
    w.key("paced_rate").value(n.paced_rate);
    w.key("leads_per_minute").value(n.leads_per_minute);
    w.key("requests_allowed").value(n.requests_allowed);
    w.key("rate_limit_use").value(n.rate_limit_use);
    w.key("server_skipped_after_cache").value(n.server_skipped_after_cache);
    w.key("unattributed_skips").begin_object();
    for (const auto& [k, v] : n.unattributed) w.key(k).value(v);
    w.end_object();
    w.end_object();
  }
  w.key("settings").begin_object();
  for (const auto& [k, v] : settings) w.key(k).value(v);
  w.end_object();
  w.key("warnings").begin_array();
  for (const auto& s : warnings) w.value(s);
  w.end_array();
  for (const auto& [k, v] : sections) w.key(k).raw(v);
  w.key("balanced").value(balanced());
  w.end_object();
  out.push_back('\n');
  return out;
}

void report::warn(std::string text) {
  std::fputs(fmt::format("leadpipe: warning: {}\n", text).c_str(), stderr);
  warnings.push_back(std::move(text));
}

}  // namespace leadpipe
