#include "leads_cmd.hpp"

#include <optional>

#include <fmt/format.h>
#include <boost/unordered/unordered_flat_set.hpp>

#include "cli_common.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/json_writer.hpp"
#include "leadpipe/paging.hpp"
#include "leadpipe/workflow.hpp"

namespace leadpipe::cli {

namespace http = boost::beast::http;

namespace {

constexpr std::uint64_t kLeadPage = 100;  // §6.2: limit 1..100

std::vector<workflow::list_filter> filters_of(const std::vector<std::string>& words) {
  std::vector<workflow::list_filter> out;
  for (const auto& w : words) {
    const auto f = workflow::filter_for_word(w);
    if (!f) {
      throw CLI::ValidationError("--status", fmt::format("unknown status word '{}'; use one of: {}",
                                                         w, workflow::filter_words()));
    }
    // NOT_CONTACTED and STARTED are one filter: list it once.
    bool known = false;
    for (const auto& g : out) known = known || (g.param == f->param && g.value == f->value);
    if (!known) out.push_back(*f);
  }
  return out;
}

int run_export(const leads_args& a, const std::atomic<bool>& stop) {
  const std::vector<workflow::list_filter> filters = filters_of(a.statuses);
  const net::api_options api = to_api_options(a.api);
  report rep("leads export");
  rep.start_clock();
  net::api_session session(api, &stop);
  output_file out(a.out, a.out != "-");
  out.write(workflow::lead_csv_header);
  workflow::page_reader reader;
  progress_line progress(progress_of(a.outputs));
  // Several filters are a union: a lead matching two of them is written once.
  boost::unordered_flat_set<std::int64_t> seen;
  auto* const dedupe = filters.size() > 1 ? &seen : nullptr;
  std::vector<std::string> queries;
  for (const auto& f : filters) {
    queries.push_back(fmt::format("&{}={}", f.param, net::url_encode(f.value)));
  }
  if (queries.empty()) queries.emplace_back();
  std::uint64_t rows = 0;
  std::uint64_t pages = 0;
  int rc = exit_ok;
  try {
    for (const auto& q : queries) {
      for (page_walk walk;;) {
        const std::string path = fmt::format("/campaigns/{}/leads?offset={}&limit={}{}",
                                             a.campaign_id, walk.offset(), kLeadPage, q);
        const net::api_answer ans =
            session.call_ok(http::verb::get, path, {}, fmt::format("campaign {}", a.campaign_id));
        std::string msg;
        const auto page = reader.append_lead_rows(ans.body, out.buffer(), dedupe, &msg);
        if (!page) throw net::api_error(fmt::format("{}: {}", path, msg), ans.status);
        out.maybe_spill();
        ++pages;
        rows += page->written;
        const bool last = walk.last(page->items, page->total);
        progress.update(fmt::format(
            "leads export: campaign {}: {} rows{}", a.campaign_id, rows,
            page->total ? fmt::format(" ({}{} of {})", q.empty() ? "" : q.substr(1) + ": ",
                                      walk.offset(), *page->total)
                        : std::string()));
        if (last) break;
      }
    }
    out.close();
  } catch (const net::api_error& e) {
    rep.stop_reason = e.what();
    rc = exit_fatal;
  }
  progress.clear();
  std::string section;
  json_writer w(section);
  w.begin_object().key("campaign_id").value(a.campaign_id).key("filters").begin_array();
  for (const auto& f : filters) w.value(fmt::format("{}={}", f.param, f.value));
  w.end_array().key("rows").value(rows).key("pages").value(pages).end_object();
  return finish_run(rep, &session, rc, "leads_export", std::move(section), a.outputs.report,
                    fmt::format("leadpipe: leads export of campaign {}: {} leads in {} pages",
                                a.campaign_id, rows, pages));
}

// Why the lead has no history to show in `campaign`, or nullopt when it is a member.
std::optional<std::string> absence(const workflow::lead_lookup& lead, std::string_view address,
                                   std::int64_t campaign) {
  if (!lead.found) return fmt::format("{}: no lead with this address in the account", address);
  if (lead.in_campaign(campaign)) return std::nullopt;
  std::string others;
  for (const auto& c : lead.campaigns) {
    others += fmt::format("{}{}", others.empty() ? "" : ", ", c.first);
  }
  return fmt::format("{} (lead {}) is not in campaign {} ({})", address, lead.lead_id, campaign,
                     others.empty() ? std::string("nor in any other") : "it is in " + others);
}

std::string count_text(std::uint64_t n) {
  return n == 0 ? std::string("no messages") : fmt::format("{} message{}", n, n == 1 ? "" : "s");
}

int run_activity(const leads_args& a, const std::atomic<bool>& stop) {
  const email_validator validator{email_options{}};
  workflow::entry_checker check(validator);
  std::string address;
  if (!check.address(a.email, address)) {
    throw CLI::ValidationError("--email", fmt::format("'{}': {}", a.email, address));
  }
  const net::api_options api = to_api_options(a.api);
  report rep("leads activity");
  rep.start_clock();
  net::api_session session(api, &stop);
  workflow::page_reader reader;
  int rc = exit_ok;
  std::string summary;
  std::uint64_t messages = 0;
  try {
    const std::string lookup_path = "/leads/?email=" + net::url_encode(address);
    const net::api_answer found = session.call_ok(http::verb::get, lookup_path, {}, "the lead");
    std::string msg;
    const auto lead = reader.read_lookup(found.body, &msg);
    if (!lead) throw net::api_error(fmt::format("{}: {}", lookup_path, msg), found.status);
    if (const auto why = absence(*lead, address, a.campaign_id)) {
      rc = exit_not_imported;
      summary = "leadpipe: " + *why;
    } else {
      const std::string path =
          fmt::format("/campaigns/{}/leads/{}/message-history", a.campaign_id, lead->lead_id);
      const net::api_answer hist = session.call_ok(http::verb::get, path, {}, "the membership");
      std::string text;
      const auto n = reader.append_history_text(hist.body, a.max_body, text, &msg);
      // --json prints the answer as it came, even in a shape this reader does not know.
      if (!n && !a.json) throw net::api_error(fmt::format("{}: {}", path, msg), hist.status);
      messages = n ? *n : 0;
      output_file out("-");
      if (a.json) {
        out.write(hist.body);
        out.write("\n");
      } else {
        out.write(fmt::format("{} (lead {}) in campaign {}: {}\n\n", lead->email, lead->lead_id,
                              a.campaign_id, count_text(messages)));
        out.write(text);
      }
      out.close();
      summary = "leadpipe: leads activity: " + count_text(messages);
    }
  } catch (const net::api_error& e) {
    rep.stop_reason = e.what();
    rc = exit_fatal;
  }
  std::string section;
  json_writer w(section);
  w.begin_object().key("campaign_id").value(a.campaign_id).key("email").value(address);
  w.key("messages").value(messages).end_object();
  return finish_run(rep, &session, rc, "leads_activity", std::move(section), a.outputs.report,
                    summary);
}

}  // namespace

void add_leads(CLI::App& app, leads_args& a) {
  a.cmd = app.add_subcommand(
      "leads", "A campaign's leads: export them as CSV, set their status, show a lead's messages.");
  a.cmd->require_subcommand(1);
  const std::string words = fmt::format("Status words (any case): {}.", workflow::filter_words());

  a.exp = a.cmd->add_subcommand(
      "export",
      "Write a campaign's leads as CSV (campaign_lead_map_id, lead_id, email, the lead fields, "
      "status, lead_category_id, is_unsubscribed, created_at, custom_fields as a JSON object), "
      "page by page as they arrive. With --status only the leads in those states; several "
      "--status give their union, each lead once. " +
          words);
  add_campaign_flag(*a.exp, a.campaign_id);
  a.exp->add_option("--status", a.statuses, "only leads in this state (repeatable)")
      ->group("SmartLead");
  add_output_flag(*a.exp, "--out", a.out, "where the CSV goes (default -)");
  add_workflow_flags(*a.exp, a.api, a.outputs, true);

  a.set_status = a.cmd->add_subcommand(
      "set-status",
      "Set lead statuses in a campaign from FILE (or -): rows email,status, with or without that "
      "header. Each lead is looked up by address and must be in the campaign. IN_PROGRESS "
      "resumes, PAUSED pauses, INTERESTED / NOT_INTERESTED set categories 1 / 3, DO_NOT_CONTACT "
      "sets category 4 and pauses, STOPPED unsubscribes from the campaign, UNSUBSCRIBED "
      "unsubscribes the lead from every campaign of the account (irreversible). NOT_CONTACTED, "
      "STARTED, COMPLETED and BOUNCED cannot be set. One outcome per row: updated, "
      "invalid_email, unknown_status, not_settable, not_found, not_in_campaign or failed.");
  add_campaign_flag(*a.set_status, a.campaign_id);
  a.set_status->add_option("FILE", a.input, "email,status rows: a path, a .gz file, or -")
      ->required();
  add_output_flag(*a.set_status, "--outcomes", a.outcomes,
                  "one CSV line per row: line,email,status,outcome,detail");
  add_workflow_flags(*a.set_status, a.api, a.outputs, true);

  a.activity = a.cmd->add_subcommand(
      "activity",
      "Print a lead's message history in a campaign: one block per message (time, SENT or "
      "REPLY, step, from -> to, subject, the body as plain text), or the server's JSON with "
      "--json. Exit 1 when the lead does not exist or is not in the campaign.");
  add_campaign_flag(*a.activity, a.campaign_id);
  a.activity->add_option("--email", a.email, "the lead's address")->required()->group("SmartLead");
  a.activity->add_flag("--json", a.json, "print the server's JSON answer as it is")
      ->group("Outputs");
  a.activity
      ->add_option("--max-body", a.max_body, "cut each message body to this many bytes (0: whole)")
      ->capture_default_str()
      ->group("Outputs");
  add_workflow_flags(*a.activity, a.api, a.outputs, false);
}

int run_leads(const leads_args& a, const std::atomic<bool>& stop) {
  const named_path key{"--api-key-file", &a.api.api_key_file};
  const named_path report{"--report", &a.outputs.report};
  const std::string& path = a.outputs.report;
  if (a.exp->parsed()) {
    check_paths({key}, {{"--out", &a.out}, report});
    return reporting_failure("leads export", path, {}, [&] { return run_export(a, stop); });
  }
  if (a.set_status->parsed()) {
    check_paths({{"INPUT", &a.input}, key}, {{"--outcomes", &a.outcomes}, report});
    return reporting_failure("leads set-status", path, a.input,
                             [&] { return run_set_status(a, stop); });
  }
  static const std::string messages_on_stdout = "-";
  check_paths({key}, {{"the messages", &messages_on_stdout}, report});
  return reporting_failure("leads activity", path, {}, [&] { return run_activity(a, stop); });
}

}  // namespace leadpipe::cli
