#include "block_cmd.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>
#include <boost/unordered/unordered_flat_map.hpp>

#include "cli_common.hpp"
#include "leadpipe/ascii.hpp"
#include "leadpipe/csv.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/paging.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/server_sets.hpp"
#include "leadpipe/source.hpp"
#include "leadpipe/utf8.hpp"
#include "leadpipe/workflow.hpp"

namespace leadpipe::cli {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr std::uint64_t kListPage = 1000;  // §6.10: limit 1..1000

// One input row of `block add` and what became of it.
struct entry_row {
  std::uint64_t line = 0;
  std::string raw;    // trimmed text as given
  std::string value;  // the form sent; the reason when invalid
  workflow::entry_kind kind = workflow::entry_kind::invalid;
  bool malformed = false;            // a CSV error, not a bad entry
  std::size_t duplicate_of = kNone;  // row holding the same value first
  std::size_t sent_as = kNone;       // position in the list handed to add_entries
};

std::optional<std::int64_t> client_of(const CLI::Option* opt, std::int64_t id) {
  if (opt == nullptr || opt->count() == 0) return std::nullopt;
  return id;
}

std::string client_text(std::optional<std::int64_t> c) {
  return c ? fmt::format("client {}", *c) : std::string("no client");
}

// Every entry of the input: one per line, or each non-empty cell of the columns list_columns()
// finds (an Email and a Domain column side by side both count, as for validate --block-list).
// A row with none of them filled but something elsewhere still gets a row (an empty entry,
// never sent), so that every input row has an outcome; blank lines, rows of empty cells and
// lines starting with # are skipped.
std::vector<entry_row> read_entries(const std::string& path, const email_validator& validator,
                                    input_identity& identity, const std::atomic<bool>& stop) {
  std::vector<entry_row> rows;
  workflow::entry_checker check(validator);
  boost::unordered_flat_map<std::string, std::size_t> first;
  identity.path = path;
  std::string message;
  source_options how;
  how.stop = &stop;  // standard input that holds back its data does not hold a stop back
  auto reader = csv_reader::open(byte_source::open(path, how), {}, &message);
  if (!reader) {
    if (reader.error() == make_error_code(csv_errc::empty_input)) return rows;
    throw std::runtime_error(message);
  }
  const auto& header = reader->header();
  std::vector<std::size_t> columns = list_columns(header, true);
  const bool headerless = columns.empty();
  if (headerless && header.size() > 1) {
    throw std::runtime_error(
        fmt::format("{}:{}: a list needs one entry per line or a column named email, domain or "
                    "email_or_domain (the header has {} columns, none of them)",
                    path, reader->header_line(), header.size()));
  }
  if (headerless) columns.push_back(0);
  const auto add = [&](std::uint64_t line, std::string_view cell, std::string_view error) {
    entry_row e;
    e.line = line;
    // `block list` (like every CSV leadpipe writes) guards "=eq@x.io" as "'=eq@x.io".
    e.raw = std::string(unguard_cell(utf8::trim_space(cell)));
    if (!error.empty()) {
      e.malformed = true;
      e.value = std::string(error);
    } else if (!e.raw.empty()) {
      e.kind = check.block_entry(e.raw, e.value);
      if (e.kind != workflow::entry_kind::invalid) {
        const auto [it, fresh] = first.try_emplace(e.value, rows.size());
        if (!fresh) e.duplicate_of = it->second;
      }
    }
    rows.push_back(std::move(e));
  };
  const auto row = [&](std::span<const std::string_view> fields, std::uint64_t line,
                       std::string_view error) {
    const auto cell = [&](std::size_t c) {
      return c < fields.size() ? fields[c] : std::string_view();
    };
    if (!fields.empty() && ascii::trim_blanks(fields[0]).starts_with('#')) return;
    if (!error.empty()) return add(line, cell(columns.front()), error);
    bool any = false;
    for (const std::size_t c : columns) {
      if (ascii::trim_blanks(cell(c)).empty()) continue;
      any = true;
      add(line, cell(c), {});
    }
    // A row of empty cells (",,," as spreadsheets write below the data) is a blank line.
    const bool content = std::any_of(fields.begin(), fields.end(), [](std::string_view f) {
      return !ascii::trim_blanks(f).empty();
    });
    if (!any && content) add(line, {}, {});
  };
  if (headerless) {
    const std::vector<std::string_view> line(header.begin(), header.end());
    row(line, reader->header_line(), {});
  }
  csv_record rec;
  while (reader->next(rec)) {
    row(rec.fields, rec.line,
        rec.error == csv_error::none ? std::string_view() : to_string(rec.error));
  }
  identity = workflow::identity_of(path, *reader);
  return rows;
}

// The outcomes file's reason, outcome and detail of one row.
struct row_verdict {
  std::string_view outcome;
  std::string_view reason;
  std::string detail;
};

row_verdict verdict_of(const std::vector<entry_row>& rows, const entry_row& e,
                       const std::vector<workflow::add_result>& results) {
  if (e.malformed) return {"invalid", "malformed_row", e.value};
  if (e.raw.empty()) return {"invalid", "empty_entry", "no address or domain in this row"};
  if (e.kind == workflow::entry_kind::invalid) {
    const bool domain = e.raw.find('@') == std::string::npos || e.raw.front() == '@';
    return {"invalid", domain ? "invalid_domain" : "invalid_address", e.value};
  }
  if (e.duplicate_of != kNone) {
    return {"duplicate", "duplicate_in_input",
            fmt::format("same entry as line {}", rows[e.duplicate_of].line)};
  }
  const workflow::add_result& r = results[e.sent_as];
  const std::string_view kind = e.kind == workflow::entry_kind::domain ? "domain" : "address";
  switch (r.state) {
    case workflow::add_state::added:
      return {"added", "", std::string(kind)};
    case workflow::add_state::rejected:
      return {"rejected_by_server", "server_refused", r.detail};
    case workflow::add_state::not_sent:
      return {"not_sent", "request_failed", r.detail};
    case workflow::add_state::pending:
      break;
  }
  return {"not_sent", "stopped", r.detail};
}

// Writes every row's outcome (when asked) and counts them; returns the count of each outcome.
outcome_tally report_rows(const block_args& a, const std::vector<entry_row>& rows,
                          const std::vector<workflow::add_result>& results,
                          problem_lines& problems) {
  std::optional<output_file> out;
  if (!a.add_outcomes.empty()) {
    out.emplace(a.add_outcomes, a.add_outcomes != "-");
    out->write("line,entry,outcome,reason,detail\n");
  }
  outcome_tally tally;
  for (const auto* name : {"added", "duplicate", "invalid", "rejected_by_server", "not_sent"}) {
    tally.declare(name);
  }
  for (const auto& e : rows) {
    const row_verdict v = verdict_of(rows, e, results);
    tally.add(v.outcome);
    const bool valid = e.kind != workflow::entry_kind::invalid && !e.malformed;
    const std::string_view entry = valid ? std::string_view(e.value) : std::string_view(e.raw);
    if (v.outcome != "added" && v.outcome != "duplicate") {
      problems.add(fmt::format("{}:{}: '{}': {}: {}", a.input, e.line, utf8::printable(entry),
                               v.outcome, v.detail));
    }
    if (out) {
      append_csv_line(out->buffer(),
                      {fmt::format("{}", e.line), entry, v.outcome, v.reason, v.detail});
      out->maybe_spill();
    }
  }
  if (out) out->close();
  return tally;
}

// The report's block_add section.
std::string add_section(std::optional<std::int64_t> client, std::size_t entries,
                        const outcome_tally& tally, std::uint64_t requests, std::uint64_t splits) {
  return fmt::format(R"({{"client_id":{},"entries":{},{},"requests":{},"splits":{}}})",
                     client ? fmt::format("{}", *client) : "null", entries, tally.json_members(),
                     requests, splits);
}

int run_add(const block_args& a, const std::atomic<bool>& stop) {
  const net::api_options api = to_api_options(a.api);
  const std::optional<std::int64_t> client = client_of(a.client_opt_add, a.client_id);
  report rep("block add");
  rep.start_clock();
  const email_validator validator{email_options{}};
  std::vector<entry_row> rows;
  try {
    rows = read_entries(a.input, validator, rep.input, stop);
  } catch (const std::exception& e) {
    // A run that read nothing: an outcomes file of just its header, so that it is this run's,
    // and a report of the shape of every block add report, with nothing sent.
    problem_lines none;
    rep.network = network_stats{};
    rep.sections["block_add"] = add_section(client, 0, report_rows(a, {}, {}, none), 0, 0);
    write_failed_report(a.outputs.report, rep, e.what(), failure_exit_code(e));
    throw reported_error(e.what(), failure_exit_code(e));
  }
  std::vector<std::string_view> send;
  for (auto& e : rows) {
    if (e.kind != workflow::entry_kind::invalid && !e.malformed && e.duplicate_of == kNone) {
      e.sent_as = send.size();
      send.push_back(e.value);
    }
  }
  std::vector<workflow::add_result> results(send.size());
  net::api_session session(api, &stop);
  progress_line progress(progress_of(a.outputs));
  std::uint64_t sent = 0;
  std::uint64_t requests = 0;
  const workflow::add_sender sender = [&](std::span<const std::string_view> batch) {
    ++requests;
    const net::api_answer ans = session.call(http::verb::post, "/leads/add-domain-block-list",
                                             workflow::block_add_body(batch, client));
    sent += batch.size();
    progress.update(fmt::format("block add: {} of {} entries sent", sent, send.size()));
    return workflow::add_reply{ans.status, ans.body};
  };
  int rc = exit_ok;
  workflow::add_summary sum;
  try {
    sum = workflow::add_entries(send, a.batch_size, sender, results);
    if (!sum.fatal.empty()) {
      rep.stop_reason = "/leads/add-domain-block-list: " + sum.fatal;
      rc = exit_fatal;
    }
  } catch (const net::api_error& e) {
    rep.stop_reason = e.what();
    rc = exit_fatal;
  }
  progress.clear();
  for (auto& r : results) {
    if (r.state == workflow::add_state::pending) r.detail = "not sent: " + rep.stop_reason;
  }
  problem_lines problems;
  const outcome_tally tally = report_rows(a, rows, results, problems);
  if (rc == exit_ok && tally.get("added") + tally.get("duplicate") != rows.size()) {
    rc = exit_not_imported;
  }
  std::string section = add_section(client, rows.size(), tally, requests, sum.splits);
  return finish_run(
      rep, &session, rc, "block_add", std::move(section), a.outputs.report,
      fmt::format("leadpipe: block add ({}): {} entries, {} requests: {}\n{}", client_text(client),
                  rows.size(), requests, tally.text(), problems.text()));
}

int run_list(const block_args& a, const std::atomic<bool>& stop) {
  const net::api_options api = to_api_options(a.api);
  const std::optional<std::int64_t> client = client_of(a.client_opt_list, a.client_id);
  report rep("block list");
  rep.start_clock();
  net::api_session session(api, &stop);
  std::string filter;
  if (client) filter += fmt::format("&filter_client_id={}", *client);
  if (!a.filter.empty()) filter += "&filter_email_or_domain=" + net::url_encode(a.filter);
  output_file out(a.out, a.out != "-");
  out.write(workflow::block_csv_header);
  workflow::page_reader reader;
  progress_line progress(progress_of(a.outputs));
  std::uint64_t entries = 0;
  std::uint64_t pages = 0;
  int rc = exit_ok;
  try {
    for (page_walk walk;;) {
      const std::string path = fmt::format("/leads/get-domain-block-list?offset={}&limit={}{}",
                                           walk.offset(), kListPage, filter);
      const net::api_answer ans = session.call_ok(http::verb::get, path, {}, "the block list");
      std::string msg;
      const auto n = reader.append_block_rows(ans.body, out.buffer(), &msg);
      if (!n) throw net::api_error(fmt::format("{}: {}", path, msg), ans.status);
      out.maybe_spill();
      ++pages;
      entries += *n;
      progress.update(fmt::format("block list: {} entries", entries));
      if (walk.last(*n)) break;  // no total is given (§6.10)
    }
    out.close();
  } catch (const net::api_error& e) {
    rep.stop_reason = e.what();
    rc = exit_fatal;
  }
  progress.clear();
  std::string section = fmt::format(R"({{"client_id":{},"entries":{},"pages":{}}})",
                                    client ? fmt::format("{}", *client) : "null", entries, pages);
  return finish_run(rep, &session, rc, "block_list", std::move(section), a.outputs.report,
                    fmt::format("leadpipe: block list: {} entries in {} pages", entries, pages));
}

int run_remove(const block_args& a, const std::atomic<bool>& stop) {
  const net::api_options api = to_api_options(a.api);
  report rep("block remove");
  rep.start_clock();
  net::api_session session(api, &stop);
  output_file out(a.remove_outcomes, a.remove_outcomes != "-");
  out.write("id,outcome,detail\n");
  outcome_tally tally;
  for (const auto* name : {"removed", "not_found", "failed"}) tally.declare(name);
  int rc = exit_ok;
  for (const std::int64_t id : a.ids) {
    std::string_view outcome = "removed";
    std::string detail;
    if (rc == exit_fatal) {
      outcome = "failed";
      detail = "not attempted: " + rep.stop_reason;
    } else {
      try {
        const net::api_answer ans = call_or_fail(
            session, http::verb::delete_, fmt::format("/leads/delete-domain-block-list?id={}", id));
        if (ans.status == 404 && ans.resent) {
          detail = "the first copy of a resent request removed it";
        } else if (ans.status == 404) {
          outcome = "not_found";
          detail = "no block-list entry with this id";
        } else if (!ans.ok()) {
          outcome = "failed";
          detail = server_said(ans);
        }
      } catch (const net::api_error& e) {
        rep.stop_reason = e.what();
        rc = exit_fatal;
        outcome = "failed";
        detail = e.what();
      }
    }
    tally.add(outcome);
    append_csv_line(out.buffer(), {fmt::format("{}", id), outcome, detail});
  }
  out.close();
  if (rc == exit_ok && tally.get("removed") != a.ids.size()) rc = exit_not_imported;
  return finish_run(rep, &session, rc, "block_remove",
                    fmt::format("{{\"ids\":{},{}}}", a.ids.size(), tally.json_members()),
                    a.outputs.report,
                    fmt::format("leadpipe: block remove: {} ids: {}", a.ids.size(), tally.text()));
}

}  // namespace

void add_block(CLI::App& app, block_args& a) {
  a.cmd = app.add_subcommand(
      "block",
      "The account's global block list (emails and domains the server refuses to import, "
      "contract 6.10): add, list, remove. Every request goes through the account's rate limiter.");
  a.cmd->require_subcommand(1);

  a.add = a.cmd->add_subcommand(
      "add",
      "Add emails and domains to the block list. FILE (or - for standard input) holds one entry "
      "per line (blank and # lines skipped) or is a CSV with a column named email_or_domain, "
      "email, domain or value. Each entry is checked first as the server would (an address or a "
      "domain, contract 7.1) and lower-cased; invalid entries are never sent and repeats are "
      "reported once. Entries go in requests of at most 1,000; a request the server refuses is "
      "split until the refused entry is found, and the rest is added.");
  a.add->add_option("FILE", a.input, "entries: a path, a .gz file, or - for standard input")
      ->required();
  a.client_opt_add = a.add
                         ->add_option("--client-id", a.client_id,
                                      "add the entries for this client of the account (default: "
                                      "for the account itself)")
                         ->check(positive_id())
                         ->group("SmartLead");
  a.add->add_option("--batch-size", a.batch_size, "entries per request (1..1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->group("SmartLead");
  add_output_flag(*a.add, "--outcomes", a.add_outcomes,
                  "one CSV line per input entry: line,entry,outcome,reason,detail");
  add_workflow_flags(*a.add, a.api, a.outputs, true);

  a.list = a.cmd->add_subcommand(
      "list",
      "Write the block list as CSV (id,email_or_domain,client_id,source,created_at), newest "
      "first, reading pages of 1,000 until a short one.");
  a.client_opt_list =
      a.list->add_option("--client-id", a.client_id, "only the entries of this client")
          ->check(positive_id())
          ->group("SmartLead");
  a.list->add_option("--filter", a.filter, "only entries containing this text (any case)")
      ->group("SmartLead");
  add_output_flag(*a.list, "--out", a.out, "where the CSV goes (default -)");
  add_workflow_flags(*a.list, a.api, a.outputs, true);

  a.remove = a.cmd->add_subcommand(
      "remove",
      "Remove block-list entries by id (the id column of `block list`). Prints one CSV line per "
      "id: id,outcome,detail with outcome removed, not_found or failed.");
  a.remove->add_option("ID", a.ids, "entry ids")->required()->check(positive_id());
  add_output_flag(*a.remove, "--outcomes", a.remove_outcomes,
                  "where the outcome lines go (default -)");
  add_workflow_flags(*a.remove, a.api, a.outputs, false);
}

int run_block(const block_args& a, const std::atomic<bool>& stop) {
  const named_path key{"--api-key-file", &a.api.api_key_file};
  const named_path report{"--report", &a.outputs.report};
  const std::string& path = a.outputs.report;
  if (a.add->parsed()) {
    check_paths({{"INPUT", &a.input}, key}, {{"--outcomes", &a.add_outcomes}, report});
    return reporting_failure("block add", path, a.input, [&] { return run_add(a, stop); });
  }
  if (a.list->parsed()) {
    check_paths({key}, {{"--out", &a.out}, report});
    return reporting_failure("block list", path, {}, [&] { return run_list(a, stop); });
  }
  check_paths({key}, {{"--outcomes", &a.remove_outcomes}, report});
  return reporting_failure("block remove", path, {}, [&] { return run_remove(a, stop); });
}

}  // namespace leadpipe::cli
