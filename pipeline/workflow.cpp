#include "leadpipe/workflow.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "leadpipe/ascii.hpp"
#include "leadpipe/contract_email.hpp"
#include "leadpipe/csv.hpp"
#include "leadpipe/import_response.hpp"
#include "leadpipe/json_writer.hpp"
#include "leadpipe/mapping.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/server_sets.hpp"
#include "leadpipe/source.hpp"

namespace leadpipe::workflow {
namespace {

// Words compare ignoring case, and '-' or ' ' stand for '_' ("not-contacted", "in progress").
bool same_word(std::string_view given, std::string_view word) noexcept {
  if (given.size() != word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = ascii::lower(given[i]);
    if (c == '-' || c == ' ') c = '_';
    if (c != ascii::lower(word[i])) return false;
  }
  return true;
}

struct filter_word {
  std::string_view word;
  list_filter filter;
};

// §11.2's reading column first, then the API's own values (§6.2).
constexpr std::array<filter_word, 21> kFilterWords = {{
    {"NOT_CONTACTED", {"status", "STARTED"}},
    {"IN_PROGRESS", {"status", "INPROGRESS"}},
    {"COMPLETED", {"status", "COMPLETED"}},
    {"INTERESTED", {"lead_category_id", "1"}},
    {"NOT_INTERESTED", {"lead_category_id", "3"}},
    {"DO_NOT_CONTACT", {"lead_category_id", "4"}},
    {"BOUNCED", {"emailStatus", "is_bounced"}},
    {"UNSUBSCRIBED", {"emailStatus", "is_unsubscribed"}},
    {"STARTED", {"status", "STARTED"}},
    {"INPROGRESS", {"status", "INPROGRESS"}},
    {"PAUSED", {"status", "PAUSED"}},
    {"STOPPED", {"status", "STOPPED"}},
    {"is_opened", {"emailStatus", "is_opened"}},
    {"is_clicked", {"emailStatus", "is_clicked"}},
    {"is_replied", {"emailStatus", "is_replied"}},
    {"is_bounced", {"emailStatus", "is_bounced"}},
    {"is_unsubscribed", {"emailStatus", "is_unsubscribed"}},
    {"is_spam", {"emailStatus", "is_spam"}},
    {"is_accepted", {"emailStatus", "is_accepted"}},
    {"not_replied", {"emailStatus", "not_replied"}},
    {"is_sender_bounced", {"emailStatus", "is_sender_bounced"}},
}};

constexpr std::array<status_change, 12> kChanges = {{
    {status_action::resume, 0, false, "IN_PROGRESS"},
    {status_action::resume, 0, false, "INPROGRESS"},
    {status_action::pause, 0, false, "PAUSED"},
    {status_action::set_category, 1, false, "INTERESTED"},
    {status_action::set_category, 3, false, "NOT_INTERESTED"},
    {status_action::set_category, 4, true, "DO_NOT_CONTACT"},
    {status_action::global_unsubscribe, 0, false, "UNSUBSCRIBED"},
    {status_action::campaign_unsubscribe, 0, false, "STOPPED"},
    {status_action::not_settable, 0, false, "NOT_CONTACTED"},
    {status_action::not_settable, 0, false, "STARTED"},
    {status_action::not_settable, 0, false, "COMPLETED"},
    {status_action::not_settable, 0, false, "BOUNCED"},
}};

void assign_lower(std::string& out, std::string_view s) {
  out.clear();
  append_ascii_lower(out, s);
}

}  // namespace

std::optional<list_filter> filter_for_word(std::string_view word) noexcept {
  word = ascii::trim_blanks(word);
  for (const auto& f : kFilterWords) {
    if (same_word(word, f.word)) return f.filter;
  }
  return std::nullopt;
}

std::string_view filter_words() noexcept {
  return "NOT_CONTACTED, IN_PROGRESS, COMPLETED, INTERESTED, NOT_INTERESTED, DO_NOT_CONTACT, "
         "BOUNCED, UNSUBSCRIBED (the guide's); STARTED, INPROGRESS, PAUSED, STOPPED (status); "
         "is_opened, is_clicked, is_replied, is_bounced, is_unsubscribed, is_spam, is_accepted, "
         "not_replied, is_sender_bounced (emailStatus)";
}

std::optional<status_change> change_for_word(std::string_view word) noexcept {
  word = ascii::trim_blanks(word);
  for (const auto& c : kChanges) {
    if (same_word(word, c.word)) return c;
  }
  return std::nullopt;
}

std::string_view settable_words() noexcept {
  return "IN_PROGRESS (or INPROGRESS), PAUSED, INTERESTED, NOT_INTERESTED, DO_NOT_CONTACT, "
         "UNSUBSCRIBED, STOPPED; not settable: NOT_CONTACTED, STARTED, COMPLETED, BOUNCED";
}

entry_kind entry_checker::block_entry(std::string_view raw, std::string& out) {
  std::string_view t = contract_trim(raw);
  const std::size_t at = t.find('@');
  // "@rival.example" is how suppression lists often write a whole domain.
  const bool is_domain =
      at == std::string_view::npos || (at == 0 && t.find('@', 1) == std::string_view::npos);
  if (!is_domain) return address(t, out) ? entry_kind::address : entry_kind::invalid;
  if (at == 0) t.remove_prefix(1);
  if (is_contract_domain(t)) {
    assign_lower(out, t);
    return entry_kind::domain;
  }
  // A domain is repaired exactly as the domain of an address would be (U-label -> A-label).
  probe_.assign("x@");
  probe_.append(t);
  validator_.validate(probe_, result_);
  if (result_.status != email_status::invalid && is_contract_domain(domain_of(result_.sent))) {
    assign_lower(out, domain_of(result_.sent));
    return entry_kind::domain;
  }
  out = t.empty() ? std::string("empty entry")
                  : fmt::format("not a valid domain: {}",
                                result_.status == email_status::invalid
                                    ? describe(result_.reason)
                                    : std::string_view("outside the server's domain rule"));
  return entry_kind::invalid;
}

bool entry_checker::address(std::string_view raw, std::string& out) {
  const std::string_view t = contract_trim(raw);
  if (is_contract_email(t)) {
    assign_lower(out, t);
    return true;
  }
  validator_.validate(t, result_);
  if (result_.status != email_status::invalid && is_contract_email(result_.sent)) {
    assign_lower(out, result_.sent);
    return true;
  }
  if (t.empty()) {
    out = "empty address";
  } else if (result_.status == email_status::invalid) {
    out = fmt::format("not a valid address: {}", describe(result_.reason));
  } else {
    out = "not a valid address: outside the server's rule (contract 7.1: ascii only)";
  }
  return false;
}

input_identity read_list(const std::string& path,
                         std::span<const std::span<const std::string_view>> columns,
                         const std::function<void(const list_row&)>& on_row,
                         std::vector<std::string>* warnings, const std::atomic<bool>* stop) {
  input_identity id;
  id.path = path;
  std::string message;
  source_options how;
  how.stop = stop;  // standard input that holds back its data does not hold a stop back
  auto reader = csv_reader::open(byte_source::open(path, how), {}, &message);
  if (!reader) {
    if (reader.error() == make_error_code(csv_errc::empty_input)) return id;
    throw std::runtime_error(message);
  }
  const auto& header = reader->header();
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<std::size_t> index(columns.size(), none);
  std::size_t matched = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    for (std::size_t h = 0; h < header.size(); ++h) {
      const std::string name = normalise_header(header[h]);
      const bool hit = std::any_of(columns[i].begin(), columns[i].end(),
                                   [&](std::string_view w) { return name == normalise_header(w); });
      if (!hit) continue;
      if (index[i] == none) {
        index[i] = h;
        ++matched;
      } else if (warnings != nullptr) {
        // Two columns for one thing ("email", "email_address"): the first is read; say so.
        warnings->push_back(fmt::format(
            "{}:{}: columns {} '{}' and {} '{}' both name the {} column: column {} is read", path,
            reader->header_line(), index[i] + 1, header[index[i]], h + 1, header[h], columns[i][0],
            index[i] + 1));
      }
    }
  }
  std::string wanted;
  for (const auto& names : columns)
    wanted += fmt::format("{}{}", wanted.empty() ? "" : ",", names[0]);
  if (matched != 0 && matched != columns.size()) {
    throw std::runtime_error(
        fmt::format("{}:{}: the header must name the columns {} (or leave "
                    "the header out)",
                    path, reader->header_line(), wanted));
  }
  const bool headerless = matched == 0;
  if (headerless) {
    if (header.size() > columns.size() || (columns.size() > 1 && header.size() < columns.size())) {
      throw std::runtime_error(fmt::format(
          "{}:{}: expected rows of {} (one per line, no header) or a header naming them; the "
          "first line has {} columns",
          path, reader->header_line(), wanted, header.size()));
    }
    for (std::size_t i = 0; i < columns.size(); ++i) index[i] = i;
  }
  std::vector<std::string_view> cells(columns.size());
  const auto emit = [&](std::span<const std::string_view> fields, std::uint64_t line,
                        std::string_view error) {
    bool blank = true;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      // A spreadsheet's (or leadpipe's own) guard before a formula-like cell is not data.
      cells[i] = index[i] < fields.size() ? unguard_cell(ascii::trim_blanks(fields[index[i]]))
                                          : std::string_view();
      blank = blank && cells[i].empty();
    }
    if (error.empty() && (blank || ascii::trim_blanks(cells[0]).starts_with('#'))) return;
    on_row(list_row{line, cells, error});
  };
  if (headerless) {
    const std::vector<std::string_view> first(header.begin(), header.end());
    emit(first, reader->header_line(), {});
  }
  csv_record rec;
  while (reader->next(rec)) {
    emit(rec.fields, rec.line,
         rec.error == csv_error::none ? std::string_view() : to_string(rec.error));
  }
  return identity_of(path, *reader);
}

input_identity identity_of(const std::string& path, const csv_reader& reader) {
  input_identity id;
  id.path = path;
  const byte_source& src = reader.source();
  id.size = src.raw_bytes_read();
  id.xxh3_128 = src.raw_digest();
  id.gzip = src.compressed();
  id.encoding = src.encoding();
  id.delimiter = reader.delimiter();
  return id;
}

std::string block_add_body(std::span<const std::string_view> entries,
                           std::optional<std::int64_t> client_id) {
  std::string body;
  body.reserve(64 + entries.size() * 32);
  json_writer w(body);
  w.begin_object().key("domain_block_list").begin_array();
  for (const auto e : entries) w.value(e);
  w.end_array().key("client_id");
  if (client_id) {
    w.value(*client_id);
  } else {
    w.null();
  }
  w.end_object();
  return body;
}

namespace {

// "domain_block_list.7" or "domain_block_list[7]" (maybe followed by more path) -> 7.
std::optional<std::size_t> element_of(std::string_view key) {
  constexpr std::string_view prefix = "domain_block_list";
  if (!key.starts_with(prefix) || key.size() < prefix.size() + 2) return std::nullopt;
  key.remove_prefix(prefix.size());
  if (key.front() != '.' && key.front() != '[') return std::nullopt;
  key.remove_prefix(1);
  std::size_t i = 0;
  const auto r = std::from_chars(key.data(), key.data() + key.size(), i);
  if (r.ec != std::errc{} || r.ptr == key.data()) return std::nullopt;
  return i;
}

// Sends index sets, splitting refused ones until each refused entry stands alone.
class adder {
 public:
  adder(std::span<const std::string_view> entries, const add_sender& send,
        std::span<add_result> results)
      : entries_(entries), send_(send), results_(results) {}

  void run(std::vector<std::size_t> idx) {
    while (!idx.empty() && sum_.fatal.empty()) {
      batch_.clear();
      for (const std::size_t i : idx) batch_.push_back(entries_[i]);
      const add_reply r = send_(batch_);
      ++sum_.requests;
      if ((r.status >= 200 && r.status < 300) || r.status == 409) {  // 409: already there (§2.3)
        mark(idx, add_state::added, {});
        return;
      }
      const error_body eb = parser_.parse_error(r.body);
      if (r.status == 400 || r.status == 422) {
        std::vector<std::size_t> named;
        bool other_field = false;
        for (const auto& key : eb.validation_keys) {
          const auto n = element_of(key);
          if (n && *n < idx.size()) {
            named.push_back(*n);
          } else if (!n && key != "domain_block_list") {
            other_field = true;
          }
        }
        if (!named.empty()) {
          idx = set_aside(std::move(idx), named, eb.message);
          ++sum_.splits;
          continue;
        }
        if (!other_field) {
          if (idx.size() == 1) {
            mark(idx, add_state::rejected, fmt::format("{}: {}", r.status, eb.message));
            return;
          }
          ++sum_.splits;
          const auto mid = idx.begin() + static_cast<std::ptrdiff_t>(idx.size() / 2);
          run(std::vector<std::size_t>(idx.begin(), mid));
          run(std::vector<std::size_t>(mid, idx.end()));
          return;
        }
      }
      if (r.status == 400 || r.status == 422 || r.status == 401 || r.status == 403 ||
          r.status == 404) {
        sum_.fatal = fmt::format("the server refused the request ({}): {}", r.status, eb.message);
        sum_.fatal_status = r.status;
        return;
      }
      mark(idx, add_state::not_sent,
           fmt::format("the server answered {}: {}", r.status, eb.message));
      return;
    }
  }

  [[nodiscard]] add_summary summary() const { return sum_; }

 private:
  void mark(const std::vector<std::size_t>& idx, add_state s, const std::string& detail) {
    for (const std::size_t i : idx) results_[i] = add_result{s, detail};
  }

  // Rejects the named positions of `idx` and returns the others, in order.
  std::vector<std::size_t> set_aside(std::vector<std::size_t> idx, std::vector<std::size_t>& named,
                                     const std::string& message) {
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    std::vector<std::size_t> rest;
    std::size_t k = 0;
    for (std::size_t pos = 0; pos < idx.size(); ++pos) {
      if (k < named.size() && named[k] == pos) {
        results_[idx[pos]] = add_result{add_state::rejected, "400: " + message};
        ++k;
      } else {
        rest.push_back(idx[pos]);
      }
    }
    return rest;
  }

  std::span<const std::string_view> entries_;
  const add_sender& send_;
  std::span<add_result> results_;
  add_summary sum_;
  response_parser parser_;
  std::vector<std::string_view> batch_;
};

}  // namespace

add_summary add_entries(std::span<const std::string_view> entries, std::size_t max_per_request,
                        const add_sender& send, std::span<add_result> results) {
  const std::size_t per =
      std::clamp<std::size_t>(max_per_request, 1, max_block_entries_per_request);
  adder a(entries, send, results);
  for (std::size_t first = 0; first < entries.size(); first += per) {
    std::vector<std::size_t> idx;
    for (std::size_t i = first; i < std::min(entries.size(), first + per); ++i) idx.push_back(i);
    a.run(std::move(idx));
    if (!a.summary().fatal.empty()) break;
  }
  return a.summary();
}

}  // namespace leadpipe::workflow
