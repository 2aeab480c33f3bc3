// `leads set-status`: email,status rows turned into the calls of contract §11.2.
#include "leads_cmd.hpp"

#include <array>
#include <optional>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "leadpipe/ascii.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/workflow.hpp"

namespace leadpipe::cli {

namespace http = boost::beast::http;

namespace {

constexpr std::array<std::string_view, 5> kEmailColumn = {"email", "email_address", "address",
                                                          "lead_email", "mail"};
constexpr std::array<std::string_view, 4> kStatusColumn = {"status", "lead_status", "state",
                                                           "new_status"};

struct status_row {
  std::uint64_t line = 0;
  std::string email;
  std::string status;
  std::string error;  // a malformed CSV row
};

struct row_outcome {
  std::string_view outcome;
  std::string detail;
};

// The request a change makes and how the outcome describes it.
struct change_call {
  std::string path;
  std::string body;
  std::string what;
};

change_call call_for(const workflow::status_change& c, std::int64_t campaign, std::int64_t lead) {
  const std::string member = fmt::format("/campaigns/{}/leads/{}", campaign, lead);
  switch (c.action) {
    case workflow::status_action::resume:
      return {member + "/resume", {}, "resumed (the server resumes paused leads only)"};
    case workflow::status_action::pause:
      return {member + "/pause", {}, "paused"};
    case workflow::status_action::set_category:
      return {member + "/category",
              fmt::format(R"({{"category_id":{},"pause_lead":{}}})", c.category_id, c.pause_lead),
              fmt::format("category {}{}", c.category_id, c.pause_lead ? ", paused" : "")};
    case workflow::status_action::campaign_unsubscribe:
      return {member + "/unsubscribe", {}, "unsubscribed from the campaign (STOPPED)"};
    case workflow::status_action::global_unsubscribe:
      return {fmt::format("/leads/{}/unsubscribe", lead),
              {},
              "unsubscribed from every campaign of the account"};
    case workflow::status_action::not_settable:
      break;
  }
  return {};
}

class status_setter {
 public:
  status_setter(net::api_session& session, const email_validator& validator, std::int64_t campaign)
      : session_(session), check_(validator), campaign_(campaign) {}

  // The outcome of a row the local checks settle (no request), else nothing: `address` and
  // `change` are then set for apply().
  std::optional<row_outcome> local(const status_row& r, std::string& address,
                                   std::optional<workflow::status_change>& change) {
    if (!r.error.empty()) return row_outcome{"invalid_email", "malformed row: " + r.error};
    if (!check_.address(r.email, address)) return row_outcome{"invalid_email", address};
    change = workflow::change_for_word(r.status);
    if (!change) {
      return row_outcome{"unknown_status", r.status.empty()
                                               ? std::string("no status given")
                                               : fmt::format("'{}' is not a status word; use {}",
                                                             r.status, workflow::settable_words())};
    }
    if (change->action == workflow::status_action::not_settable) {
      return row_outcome{
          "not_settable",
          fmt::format("{} is set by the server, no request can set it", change->word)};
    }
    return std::nullopt;
  }

  row_outcome apply(const status_row& r) {
    std::string address;
    std::optional<workflow::status_change> change;
    if (auto settled = local(r, address, change)) return *settled;
    const std::string lookup_path = "/leads/?email=" + net::url_encode(address);
    const net::api_answer found = call_or_fail(session_, http::verb::get, lookup_path);
    if (!found.ok()) return {"failed", "lookup: " + server_said(found)};
    std::string msg;
    const auto lead = reader_.read_lookup(found.body, &msg);
    if (!lead) return {"failed", "lookup: " + msg};
    if (!lead->found) return {"not_found", "no lead with this address in the account"};
    if (!lead->in_campaign(campaign_)) {
      return {"not_in_campaign",
              fmt::format("lead {} is not in campaign {}", lead->lead_id, campaign_)};
    }
    const change_call call = call_for(*change, campaign_, lead->lead_id);
    const net::api_answer done = call_or_fail(session_, http::verb::post, call.path, call.body);
    if (!done.ok()) return {"failed", server_said(done)};
    return {"updated", call.what};
  }

 private:
  net::api_session& session_;
  workflow::entry_checker check_;
  workflow::page_reader reader_;
  std::int64_t campaign_;
};

std::vector<status_row> read_rows(const std::string& path, input_identity& identity,
                                  std::vector<std::string>& warnings,
                                  const std::atomic<bool>& stop) {
  std::vector<status_row> rows;
  const std::array<std::span<const std::string_view>, 2> columns = {kEmailColumn, kStatusColumn};
  identity = workflow::read_list(
      path, columns,
      [&](const workflow::list_row& r) {
        rows.push_back(status_row{r.line, std::string(ascii::trim_blanks(r.cells[0])),
                                  std::string(ascii::trim_blanks(r.cells[1])),
                                  std::string(r.error)});
      },
      &warnings, &stop);
  return rows;
}

}  // namespace

int run_set_status(const leads_args& a, const std::atomic<bool>& stop) {
  const net::api_options api = to_api_options(a.api);
  report rep("leads set-status");
  rep.start_clock();
  const email_validator validator{email_options{}};
  const std::vector<status_row> rows = read_rows(a.input, rep.input, rep.warnings, stop);
  for (const auto& w : rep.warnings)
    std::fputs(fmt::format("leadpipe: warning: {}\n", w).c_str(), stderr);
  std::optional<output_file> out;
  if (!a.outcomes.empty()) {
    out.emplace(a.outcomes, a.outcomes != "-");
    out->write("line,email,status,outcome,detail\n");
  }
  net::api_session session(api, &stop);
  status_setter setter(session, validator, a.campaign_id);
  progress_line progress(progress_of(a.outputs));
  outcome_tally tally;
  for (const auto* name : {"updated", "invalid_email", "unknown_status", "not_settable",
                           "not_found", "not_in_campaign", "failed"}) {
    tally.declare(name);
  }
  problem_lines problems;
  int rc = exit_ok;
  std::uint64_t done = 0;
  // A campaign id that is wrong (a typo, another account's) would cost one request per row and
  // mark every row not_in_campaign: one look at the campaign settles it first (exit 3).
  if (!rows.empty()) {
    try {
      (void)session.call_ok(http::verb::get, fmt::format("/campaigns/{}", a.campaign_id), {},
                            fmt::format("campaign {}", a.campaign_id));
    } catch (const net::api_error& e) {
      rep.stop_reason = e.what();
      rc = exit_fatal;
    }
  }
  bool stopped = rc == exit_fatal;
  for (const auto& r : rows) {
    row_outcome o{"failed", {}};
    if (stopped) {
      // Rows the local checks settle keep their own outcome; the others were not attempted.
      std::string address;
      std::optional<workflow::status_change> change;
      if (auto settled = setter.local(r, address, change)) {
        o = std::move(*settled);
      } else {
        o.detail = "not attempted: " + rep.stop_reason;
      }
    } else {
      try {
        o = setter.apply(r);
      } catch (const net::api_error& e) {
        rep.stop_reason = e.what();
        // A signal is the operator's choice, as for an import (exit 1); anything else means the
        // API failed as a whole (exit 3).
        rc = stop.load() ? exit_not_imported : exit_fatal;
        stopped = true;
        o.detail = e.what();
      }
    }
    tally.add(o.outcome);
    if (o.outcome != "updated") {
      problems.add(fmt::format("{}:{}: {}: {}: {}", a.input, r.line, r.email, o.outcome, o.detail));
    }
    if (out) {
      append_csv_line(out->buffer(),
                      {fmt::format("{}", r.line), r.email, r.status, o.outcome, o.detail});
      out->maybe_spill();
    }
    progress.update(fmt::format("leads set-status: {} of {} rows", ++done, rows.size()));
  }
  progress.clear();
  if (out) out->close();
  if (rc == exit_ok && tally.get("updated") != rows.size()) rc = exit_not_imported;
  return finish_run(rep, &session, rc, "leads_set_status",
                    fmt::format("{{\"campaign_id\":{},\"rows\":{},{}}}", a.campaign_id, rows.size(),
                                tally.json_members()),
                    a.outputs.report,
                    fmt::format("leadpipe: leads set-status in campaign {}: {} rows: {}\n{}",
                                a.campaign_id, rows.size(), tally.text(), problems.text()));
}

}  // namespace leadpipe::cli
