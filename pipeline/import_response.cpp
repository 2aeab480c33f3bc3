#include "leadpipe/import_response.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/system/errc.hpp>

#include "leadpipe/contract_email.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

constexpr std::size_t raw_message_limit = 500;

// A decimal number in text: blanks around, a sign, a fraction and an exponent are accepted.
std::optional<double> lenient_number(std::string_view s) {
  s = contract_trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::int64_t saturate(double v) {
  constexpr double top = 9.2e18;
  return static_cast<std::int64_t>(std::clamp(v, -top, top));
}

std::optional<std::int64_t> lenient_int(std::string_view s) {
  const auto v = lenient_number(s);
  if (!v) return std::nullopt;
  return saturate(std::trunc(*v));
}

// A JSON value read as an integer: numbers, and numbers written as strings (§7.4).
std::optional<std::int64_t> json_int(od::value v) {
  od::json_type type{};
  if (v.type().get(type) != simdjson::SUCCESS) return std::nullopt;
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
    return lenient_int(s);
  }
  if (type != od::json_type::number) return std::nullopt;
  od::number n;
  if (v.get_number().get(n) != simdjson::SUCCESS) return std::nullopt;
  if (n.is_int64()) return n.get_int64();
  if (n.is_uint64()) return std::numeric_limits<std::int64_t>::max();
  return saturate(std::trunc(n.get_double()));
}

// A count of leads (§6.1 counters, *_count keys): json_int pinned to [0, 2^32]. No request or
// account comes near the top, and it keeps every sum of counters far from overflowing, whatever
// figures a server sends.
constexpr std::int64_t max_count = std::int64_t{1} << 32;

std::optional<std::int64_t> json_count(od::value v) {
  const auto n = json_int(v);
  if (!n) return std::nullopt;
  return std::clamp<std::int64_t>(*n, 0, max_count);
}

std::optional<bool> json_bool(od::value v) {
  od::json_type type{};
  if (v.type().get(type) != simdjson::SUCCESS) return std::nullopt;
  if (type == od::json_type::boolean) {
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) return std::nullopt;
    return b;
  }
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
    if (contract_trim(s) == "true") return true;
    if (contract_trim(s) == "false") return false;
    return std::nullopt;
  }
  if (const auto n = json_int(v)) return *n != 0;
  return std::nullopt;
}

text_ref keep(import_response& out, std::string_view s) {
  text_ref r{static_cast<std::uint32_t>(out.text.size()), static_cast<std::uint32_t>(s.size())};
  out.text.append(s);
  return r;
}

bool is(od::value v, od::json_type type) {
  od::json_type actual{};
  return v.type().get(actual) == simdjson::SUCCESS && actual == type;
}

// Calls `on_field(key, value)` for each field of an object value (nothing for another type);
// stops at the first error.
template <typename OnField>
error_code for_each_field(od::value v, OnField&& on_field) {
  if (!is(v, od::json_type::object)) return simdjson::SUCCESS;
  od::object obj;
  if (auto e = v.get_object().get(obj)) return e;
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    od::value value;
    if (auto e = field.value().get(value)) return e;
    if (auto e = on_field(key, value)) return e;
  }
  return simdjson::SUCCESS;
}

// An address given as a string or as an object's `email`; `found` stays false for other shapes.
error_code read_address(od::value v, std::string_view& address, bool& found) {
  found = false;
  od::json_type type{};
  if (auto e = v.type().get(type)) return e;
  if (type == od::json_type::string) {
    found = v.get_string().get(address) == simdjson::SUCCESS;
    return simdjson::SUCCESS;
  }
  if (type != od::json_type::object) return simdjson::SUCCESS;
  return for_each_field(v, [&](std::string_view key, od::value field) -> error_code {
    if (key == "email") found = field.get_string().get(address) == simdjson::SUCCESS;
    return simdjson::SUCCESS;
  });
}

error_code read_address_list(od::value v, import_response& out, std::vector<text_ref>& list) {
  if (!is(v, od::json_type::array)) return simdjson::SUCCESS;
  od::array arr;
  if (auto e = v.get_array().get(arr)) return e;
  for (auto element : arr) {
    od::value item;
    if (auto e = element.get(item)) return e;
    std::string_view address;
    bool found = false;
    if (auto e = read_address(item, address, found)) return e;
    if (found) list.push_back(keep(out, address));
  }
  return simdjson::SUCCESS;
}

error_code read_skipped_leads(od::value v, import_response& out) {
  if (!is(v, od::json_type::array)) return simdjson::SUCCESS;
  od::array arr;
  if (auto e = v.get_array().get(arr)) return e;
  out.has_skipped_leads = true;
  for (auto element : arr) {
    od::value item;
    if (auto e = element.get(item)) return e;
    skipped_lead lead;
    bool has_email = false;
    auto e = for_each_field(item, [&](std::string_view key, od::value field) -> error_code {
      std::string_view s;
      if (field.get_string().get(s) != simdjson::SUCCESS) return simdjson::SUCCESS;
      if (key == "email") {
        lead.email = keep(out, s);
        has_email = true;
      } else if (key == "reason") {
        const auto known = lead_result_from_reason(contract_trim(s));
        lead.reason = known.value_or(lead_result::other_reason);
        if (!known) lead.reason_text = keep(out, contract_trim(s));
      }
      return simdjson::SUCCESS;
    });
    if (e) return e;
    if (has_email) out.skipped_leads.push_back(lead);
  }
  return simdjson::SUCCESS;
}

error_code read_lead_id_map(od::value v, import_response& out) {
  if (!is(v, od::json_type::object)) return simdjson::SUCCESS;
  out.has_lead_id_map = true;
  return for_each_field(v, [&](std::string_view group, od::value members) -> error_code {
    std::vector<lead_id_entry>* list = nullptr;
    if (group == "newlyAddedLeads") list = &out.newly_added;
    if (group == "existingLeads") list = &out.existing;
    if (group == "existingLeadsInOtherCampaigns") list = &out.existing_in_other_campaigns;
    if (list == nullptr) return simdjson::SUCCESS;
    return for_each_field(members, [&](std::string_view email, od::value id) -> error_code {
      list->push_back({keep(out, email), json_int(id).value_or(0)});
      return simdjson::SUCCESS;
    });
  });
}

// The integer skip counters of §6.1 by key.
std::int64_t* counter_for(import_response& out, std::string_view key) {
  if (key == "invalid_email_count") return &out.invalid_email_count;
  if (key == "duplicate_count") return &out.duplicate_count;
  if (key == "already_added_to_campaign") return &out.already_added_to_campaign;
  if (key == "block_count") return &out.block_count;
  if (key == "bounce_count") return &out.bounce_count;
  if (key == "skipped_in_other_campaign_count") return &out.skipped_in_other_campaign_count;
  if (key == "lead_import_stopped_count") return &out.lead_import_stopped_count;
  return nullptr;
}

struct import_totals {
  std::optional<std::int64_t> total_leads;
  std::optional<std::int64_t> added_count;
  bool has_upload = false;
  bool has_skip_figure = false;
};

error_code read_import_field(std::string_view key, od::value v, import_response& out,
                             import_totals& totals) {
  if (key == "ok") {
    if (const auto b = json_bool(v)) out.ok = *b;
  } else if (key == "is_lead_limit_exhausted") {
    if (const auto b = json_bool(v)) out.is_lead_limit_exhausted = *b;
  } else if (key == "total_leads") {
    totals.total_leads = json_count(v);
  } else if (key == "added_count") {
    totals.added_count = json_count(v);
  } else if (key == "upload_count") {
    const auto n = json_count(v);
    totals.has_upload = n.has_value();
    out.upload_count = n.value_or(0);
  } else if (key == "skipped_count") {
    out.skipped_count = json_count(v);
    totals.has_skip_figure = totals.has_skip_figure || out.skipped_count.has_value();
  } else if (std::int64_t* counter = counter_for(out, key)) {
    const auto n = json_count(v);
    totals.has_skip_figure = totals.has_skip_figure || n.has_value();
    *counter = n.value_or(0);
  } else if (key == "invalid_emails") {
    return read_address_list(v, out, out.invalid_emails);
  } else if (key == "unsubscribed_leads") {
    od::json_type type{};
    if (auto e = v.type().get(type)) return e;
    totals.has_skip_figure = true;
    if (type == od::json_type::array) return read_address_list(v, out, out.unsubscribed_leads);
    out.unsubscribed_count = json_count(v).value_or(0);
  } else if (key == "skipped_leads") {
    totals.has_skip_figure = true;
    return read_skipped_leads(v, out);
  } else if (key == "emailToLeadIdMap") {
    return read_lead_id_map(v, out);
  } else if (key == "error" || key == "message") {
    std::string_view s;
    if (out.error.size == 0 && v.get_string().get(s) == simdjson::SUCCESS) out.error = keep(out, s);
  } else if (key.ends_with("_count")) {
    // Future-proofing (§7.4): an unknown integer *_count is a skip reason of its own.
    if (const auto n = json_count(v)) {
      out.extra_counts.push_back({keep(out, key), *n});
      totals.has_skip_figure = true;
    }
  }
  return simdjson::SUCCESS;
}

void finish_import(import_response& out, const import_totals& totals) {
  out.invalid_email_count =
      std::max(out.invalid_email_count, static_cast<std::int64_t>(out.invalid_emails.size()));
  out.unsubscribed_count =
      std::max(out.unsubscribed_count, static_cast<std::int64_t>(out.unsubscribed_leads.size()));
  if (totals.total_leads) {
    out.added = totals.total_leads;
  } else if (totals.added_count) {
    out.added = totals.added_count;
  } else if (totals.has_upload && totals.has_skip_figure) {
    const std::int64_t skips = out.skipped_count.value_or(
        std::max(out.known_skips(), static_cast<std::int64_t>(out.skipped_leads.size())));
    out.added = std::max<std::int64_t>(0, out.upload_count - skips);
  }
}

// Resets `out` to an empty answer but keeps the capacity of its text and lists.
void clear(import_response& out) {
  import_response fresh;
  const auto reuse = [](auto& from, auto& to) {
    to.swap(from);
    to.clear();
  };
  reuse(out.text, fresh.text);
  reuse(out.extra_counts, fresh.extra_counts);
  reuse(out.invalid_emails, fresh.invalid_emails);
  reuse(out.unsubscribed_leads, fresh.unsubscribed_leads);
  reuse(out.skipped_leads, fresh.skipped_leads);
  reuse(out.newly_added, fresh.newly_added);
  reuse(out.existing, fresh.existing);
  reuse(out.existing_in_other_campaigns, fresh.existing_in_other_campaigns);
  out = std::move(fresh);
}

// The element index of `lead_list.<i>` or `lead_list[<i>]` at the start of `text`, followed by
// the end, '.', ']' or (when `in_prose`) anything but a digit.
std::optional<std::uint32_t> element_index(std::string_view text, bool in_prose) {
  constexpr std::string_view prefix = "lead_list";
  if (!text.starts_with(prefix) || text.size() == prefix.size()) return std::nullopt;
  text.remove_prefix(prefix.size());
  const char open = text.front();
  if (open != '.' && open != '[') return std::nullopt;
  text.remove_prefix(1);
  std::uint32_t i = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  const std::string_view rest = text.substr(static_cast<std::size_t>(end - text.data()));
  if (open == '[') return rest.starts_with("]") ? std::optional(i) : std::nullopt;
  if (rest.empty() || rest.front() == '.' || in_prose) return i;
  return std::nullopt;
}

// Element indexes from the validation keys, else from `lead_list.<i>` mentions in the message.
void find_elements(error_body& out) {
  for (const auto& key : out.validation_keys) {
    if (const auto i = element_index(key, false)) out.element_indexes.push_back(*i);
  }
  if (out.validation_keys.empty()) {
    const std::string_view m = out.message;
    for (std::size_t at = m.find("lead_list"); at != std::string_view::npos;
         at = m.find("lead_list", at + 1)) {
      if (const auto i = element_index(m.substr(at), true)) out.element_indexes.push_back(*i);
    }
  }
  std::sort(out.element_indexes.begin(), out.element_indexes.end());
  out.element_indexes.erase(std::unique(out.element_indexes.begin(), out.element_indexes.end()),
                            out.element_indexes.end());
}

struct error_candidates {
  std::string message;  // `message`
  std::string error;    // `error` as a string
  std::string error_message;
  std::string err;
};

error_code read_string_or_list(od::value v, std::string& out) {
  od::json_type type{};
  if (auto e = v.type().get(type)) return e;
  std::string_view s;
  if (type == od::json_type::string) {
    if (auto e = v.get_string().get(s)) return e;
    out.assign(contract_trim(s));
  } else if (type == od::json_type::array) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return e;
    for (auto element : arr) {
      if (element.get_string().get(s) != simdjson::SUCCESS || contract_trim(s).empty()) continue;
      if (!out.empty()) out += "; ";
      out += contract_trim(s);
    }
  }
  return simdjson::SUCCESS;
}

error_code read_error_field(std::string_view key, od::value v, error_body& body,
                            error_candidates& c) {
  if (key == "message") return read_string_or_list(v, c.message);
  if (key == "err") return read_string_or_list(v, c.err);
  if (key == "error") {
    od::json_type type{};
    if (auto e = v.type().get(type)) return e;
    if (type != od::json_type::object) return read_string_or_list(v, c.error);
    return for_each_field(v, [&](std::string_view k, od::value inner) -> error_code {
      if (k == "message") return read_string_or_list(inner, c.error_message);
      if (k == "code") return read_string_or_list(inner, body.code);
      if (k == "retry_after") body.retry_after = json_int(inner);
      return simdjson::SUCCESS;
    });
  }
  if (key == "validation") {
    return for_each_field(v, [&](std::string_view k, od::value inner) -> error_code {
      if (k != "keys" || !is(inner, od::json_type::array)) return simdjson::SUCCESS;
      od::array arr;
      if (auto e = inner.get_array().get(arr)) return e;
      for (auto element : arr) {
        std::string_view s;
        if (element.get_string().get(s) == simdjson::SUCCESS) body.validation_keys.emplace_back(s);
      }
      return simdjson::SUCCESS;
    });
  }
  return simdjson::SUCCESS;
}

// An HTML error page (a proxy's 502/504, a web server's 404): its text without the markup,
// white space collapsed, the <title> first if there is one ("504 Gateway Time-out"), instead of
// the page source line by line.
std::string html_text(std::string_view page) {
  std::string lower;
  append_ascii_lower(lower, page);
  const std::size_t t = lower.find("<title>");
  const std::size_t t_end = t == std::string::npos ? t : lower.find("</title>", t);
  std::string_view title;
  std::size_t from = 0;
  if (t_end != std::string::npos) {
    title = page.substr(t + 7, t_end - (t + 7));
    from = t_end + 8;
  }
  const std::size_t body = lower.find("<body", from);
  if (body != std::string::npos) from = body;
  std::string text;
  bool in_tag = false;
  bool space = true;
  const auto put = [&](char c) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (blank) {
      if (!space) text.push_back(' ');
      space = true;
      return;
    }
    text.push_back(c);
    space = false;
  };
  for (std::size_t i = from; i < page.size(); ++i) {
    const char c = page[i];
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        put(' ');
      }
    } else if (c == '<') {
      in_tag = true;
    } else {
      put(c);
    }
  }
  std::string t_text;
  for (const char c : title) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!blank || (!t_text.empty() && t_text.back() != ' ')) t_text.push_back(blank ? ' ' : c);
  }
  std::string_view tt = contract_trim(t_text);
  std::string_view bt = contract_trim(text);
  // Pages repeat their title as the first heading.
  if (!tt.empty() && bt.starts_with(tt)) bt = contract_trim(bt.substr(tt.size()));
  std::string out(tt);
  if (!bt.empty()) out += out.empty() ? std::string(bt) : fmt::format(" ({})", bt);
  return out;
}

std::string raw_message(std::string_view body) {
  const std::string_view trimmed = contract_trim(body);
  if (trimmed.starts_with('<')) {
    const std::string text = html_text(trimmed);
    if (!text.empty()) return std::string(utf8::prefix(text, raw_message_limit));
  }
  return std::string(utf8::prefix(trimmed, raw_message_limit));
}

std::optional<unsigned> fixed_digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return std::nullopt;
  unsigned v = 0;
  const char* first = s.data() + at;
  const auto [end, ec] = std::from_chars(first, first + n, v);
  if (ec != std::errc{} || end != first + n) return std::nullopt;
  return v;
}

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7) in epoch milliseconds.
std::optional<std::int64_t> http_date_ms(std::string_view s) {
  constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const std::size_t comma = s.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  s = contract_trim(s.substr(comma + 1));  // "06 Nov 1994 08:49:37 GMT"
  if (s.size() != 24 || s[2] != ' ' || s[6] != ' ' || s[11] != ' ' || s[14] != ':' ||
      s[17] != ':' || s.substr(20) != " GMT") {
    return std::nullopt;
  }
  const std::size_t month = months.find(s.substr(3, 3));
  const auto d = fixed_digits(s, 0, 2), y = fixed_digits(s, 7, 4), h = fixed_digits(s, 12, 2),
             m = fixed_digits(s, 15, 2), sec = fixed_digits(s, 18, 2);
  if (month == std::string_view::npos || month % 3 != 0 || !d || !y || !h || !m || !sec) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*y)),
                                         std::chrono::month(static_cast<unsigned>(month / 3 + 1)),
                                         std::chrono::day(*d)};
  if (!date.ok() || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
  const auto at = std::chrono::sys_days(date) + std::chrono::hours(*h) + std::chrono::minutes(*m) +
                  std::chrono::seconds(*sec);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

rate_limit_headers parse_rate_limit_headers(std::string_view limit, std::string_view remaining,
                                            std::string_view reset, std::string_view retry_after,
                                            std::int64_t now_epoch_ms) {
  rate_limit_headers h;
  h.limit = lenient_int(limit);
  if (const auto r = lenient_int(remaining)) h.remaining = std::max<std::int64_t>(*r, 0);
  if (const auto r = lenient_number(reset); r && *r >= 0) h.reset = saturate(std::ceil(*r));
  if (const auto seconds = lenient_number(retry_after)) {
    h.retry_after = std::chrono::milliseconds(saturate(std::ceil(std::max(*seconds, 0.0) * 1000)));
  } else if (const auto at = http_date_ms(retry_after)) {
    h.retry_after = std::chrono::milliseconds(std::max<std::int64_t>(*at - now_epoch_ms, 0));
  }
  return h;
}

std::optional<std::chrono::milliseconds> retry_after_in_body(std::string_view body) {
  if (body.empty() || body.size() > 64 * 1024) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::element v;
  if (doc.at_pointer("/error/retry_after").get(v) != simdjson::SUCCESS) return std::nullopt;
  double seconds = 0;
  if (v.is_int64()) {
    seconds = static_cast<double>(v.get_int64().value_unsafe());
  } else if (v.is_uint64()) {
    seconds = static_cast<double>(v.get_uint64().value_unsafe());
  } else if (v.is_double()) {
    seconds = v.get_double().value_unsafe();
  } else if (v.is_string()) {
    const auto n = lenient_number(v.get_string().value_unsafe());
    if (!n) return std::nullopt;
    seconds = *n;
  } else {
    return std::nullopt;
  }
  if (!(seconds >= 0)) return std::nullopt;
  return std::chrono::milliseconds(saturate(std::ceil(seconds * 1000)));
}

std::int64_t import_response::known_skips() const noexcept {
  std::int64_t sum = invalid_email_count + duplicate_count + already_added_to_campaign +
                     block_count + unsubscribed_count + bounce_count +
                     skipped_in_other_campaign_count + lead_import_stopped_count;
  for (const auto& extra : extra_counts) sum += extra.count;
  return sum;
}

struct response_parser::state {
  od::parser parser;
  std::string padded;  // the body plus simdjson's padding
  od::document doc;

  // Calls `on_field(key, value)` for each field of the body's top-level object.
  template <typename OnField>
  error_code each_field(std::string_view body, OnField&& on_field) {
    padded.assign(body);
    padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
    od::value root;
    error_code e = parser.iterate(padded.data(), body.size(), padded.size()).get(doc);
    if (!e) e = doc.get_value().get(root);
    if (!e && !is(root, od::json_type::object)) e = simdjson::INCORRECT_TYPE;
    return e ? e : for_each_field(root, std::forward<OnField>(on_field));
  }
};

response_parser::response_parser() : state_(std::make_unique<state>()) {}
response_parser::~response_parser() = default;
response_parser::response_parser(response_parser&&) noexcept = default;
response_parser& response_parser::operator=(response_parser&&) noexcept = default;

boost::system::result<void> response_parser::parse_import(std::string_view body,
                                                          import_response& out,
                                                          std::string* message) {
  clear(out);
  import_totals totals;
  const error_code e = state_->each_field(body, [&](std::string_view key, od::value v) {
    return read_import_field(key, v, out, totals);
  });
  if (e) {
    if (message != nullptr) {
      *message =
          std::string("add-leads answer is not a json object: ") + simdjson::error_message(e);
    }
    return boost::system::errc::make_error_code(boost::system::errc::bad_message);
  }
  finish_import(out, totals);
  return {};
}

error_body response_parser::parse_error(std::string_view body) {
  error_body out;
  error_candidates c;
  const error_code e = state_->each_field(
      body, [&](std::string_view key, od::value v) { return read_error_field(key, v, out, c); });
  if (e) {
    out = error_body{};
    out.message = raw_message(body);
    return out;
  }
  out.is_json = true;
  for (std::string* candidate : {&c.message, &c.error, &c.error_message, &c.err}) {
    if (!candidate->empty()) {
      out.message = std::move(*candidate);
      break;
    }
  }
  if (out.message.empty()) out.message = raw_message(body);
  find_elements(out);
  return out;
}

}  // namespace leadpipe
