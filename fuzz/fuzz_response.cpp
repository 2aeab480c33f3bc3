// Fuzz target "response": what the send stage reads back from SmartLead (import_response.hpp):
// add-leads answers and resolve_leads, error bodies, rate-limit header values.
//
// Input: 1 option byte (bit 0: the batch was resent), then NUL-separated parts:
//   body \0 the batch's addresses, one per LF-separated line \0 the four header values
//   (X-RateLimit-Limit, -Remaining, -Reset, Retry-After), one per line.
// The same body is read both as an add-leads answer and as an error body.
//
// Promises checked: text references stay inside the answer's text; a reused import_response gives
// what a fresh one gives; counters are at least their lists' lengths; resolve_leads gives one
// outcome per lead and never accounts for more leads than the batch holds (the unattributed
// split covers at most the leads no counter pins); error bodies keep their limits;
// header values are never negative and blanks around them do not matter.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "fuzz_entries.hpp"
#include "leadpipe/contract_email.hpp"
#include "leadpipe/import_response.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe::fuzz {
namespace {

constexpr std::int64_t now_epoch_ms = 1'700'000'000'000;

std::vector<std::string_view> split(std::string_view s, char sep, std::size_t max_parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_parts) {
    const std::size_t at = s.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  out.push_back(s);
  return out;
}

void check_ref(const import_response& r, text_ref t) {
  check(std::uint64_t{t.offset} + t.size <= r.text.size(), "text_ref outside the answer's text");
}

void check_refs(const import_response& r) {
  for (const auto& e : r.extra_counts) check_ref(r, e.name);
  for (const auto t : r.invalid_emails) check_ref(r, t);
  for (const auto t : r.unsubscribed_leads) check_ref(r, t);
  for (const auto& s : r.skipped_leads) {
    check_ref(r, s.email);
    check_ref(r, s.reason_text);
  }
  for (const auto* list : {&r.newly_added, &r.existing, &r.existing_in_other_campaigns}) {
    for (const auto& e : *list) check_ref(r, e.email);
  }
  check_ref(r, r.error);
}

// The fields that say what the answer means (text offsets aside, which reuse must not change
// either, so they are compared through view()).
std::string summary(const import_response& r) {
  std::string out =
      fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} {}|", r.ok, r.is_lead_limit_exhausted,
                  r.added.value_or(-1), r.added.has_value(), r.upload_count, r.invalid_email_count,
                  r.duplicate_count, r.already_added_to_campaign, r.block_count,
                  r.unsubscribed_count, r.bounce_count, r.skipped_in_other_campaign_count,
                  r.lead_import_stopped_count, r.skipped_count.value_or(-1), r.has_skipped_leads);
  for (const auto& e : r.extra_counts) out += fmt::format("{}={},", r.view(e.name), e.count);
  for (const auto t : r.invalid_emails) out += fmt::format("i:{},", r.view(t));
  for (const auto t : r.unsubscribed_leads) out += fmt::format("u:{},", r.view(t));
  for (const auto& s : r.skipped_leads) {
    out += fmt::format("s:{}:{}:{},", r.view(s.email), to_string(s.reason), r.view(s.reason_text));
  }
  for (const auto* list : {&r.newly_added, &r.existing, &r.existing_in_other_campaigns}) {
    for (const auto& e : *list) out += fmt::format("m:{}={},", r.view(e.email), e.id);
    out += '/';
  }
  return out + std::string(r.view(r.error));
}

void check_answer(const import_response& r) {
  check_refs(r);
  check(r.invalid_email_count >= static_cast<std::int64_t>(r.invalid_emails.size()),
        "invalid_email_count below the list's length");
  check(r.unsubscribed_count >= static_cast<std::int64_t>(r.unsubscribed_leads.size()),
        "unsubscribed_count below the list's length");
  check(r.has_skipped_leads || r.skipped_leads.empty(), "skipped leads without the list");
}

void check_resolved(const import_response& r, std::span<const std::string_view> emails,
                    bool resent) {
  const resolved_batch b = resolve_leads(r, emails, resent);
  check(b.leads.size() == emails.size(), "resolve_leads: not one outcome per lead");
  std::int64_t unknown_by_count = 0;
  for (const auto& lead : b.leads) {
    check_ref(r, lead.reason_text);
    check(!lead.confirmed_on_retry || (resent && lead.result == lead_result::added),
          "confirmed_on_retry on a lead that was not resent or not added");
    check(!resent || !r.ok || lead.result != lead_result::already_in_campaign,
          "a resent batch's lead left already_in_campaign");
    check(!lead.by_count || !r.has_skipped_leads || !r.ok,
          "a lead attributed by count although skipped_leads names every skip");
    // Leads no counter pins: unknown_skip, or lead_limit_exhausted when credit ran out.
    if ((lead.result == lead_result::unknown_skip ||
         lead.result == lead_result::lead_limit_exhausted) &&
        lead.by_count) {
      ++unknown_by_count;
    }
  }
  std::int64_t split = 0;
  for (const auto& u : b.unattributed) {
    check_ref(r, u.reason_text);
    check(u.count > 0, "an unattributed reason with a count below 1");
    check(u.reason != lead_result::added && u.reason != lead_result::unknown_skip,
          "an unattributed split that is not a skip reason");
    // Capped so the sum cannot overflow; a count this large still fails the check below.
    split += std::min(u.count, static_cast<std::int64_t>(emails.size()) + 1);
  }
  check(split <= unknown_by_count,
        fmt::format("resolve_leads: the unattributed split accounts for {} leads but only {} "
                    "are left unpinned by count (batch of {})",
                    split, unknown_by_count, emails.size()));
  if (!r.ok) {
    check(b.unattributed.empty() && b.unmatched == 0 &&
              std::all_of(b.leads.begin(), b.leads.end(),
                          [&](const lead_outcome& l) { return l.result == b.leads[0].result; }),
          "a refused call's leads do not share one outcome");
  }
}

void check_error_body(response_parser& parser, std::string_view body) {
  const error_body e = parser.parse_error(body);
  check(std::is_sorted(e.element_indexes.begin(), e.element_indexes.end()) &&
            std::adjacent_find(e.element_indexes.begin(), e.element_indexes.end()) ==
                e.element_indexes.end(),
        "element_indexes not sorted and distinct");
  check(e.is_json || (e.code.empty() && !e.retry_after && e.validation_keys.empty()),
        "a body that is not JSON yields JSON fields");
  if (!e.is_json) {
    check(e.message.size() <= 500, "raw error message over 500 bytes");
    // An HTML page gives its text without the markup; any other body, a prefix of itself.
    const std::string_view trimmed = contract_trim(body);
    if (!trimmed.starts_with('<')) {
      check(body.find(e.message) != std::string_view::npos, "raw message is not from the body");
    } else {
      check(e.message.find('<') == std::string::npos ||
                body.find(e.message) != std::string_view::npos,
            "an HTML page's message keeps markup");
    }
    check(!utf8::is_valid(body) || utf8::is_valid(e.message), "raw message cut inside a character");
  }
}

void check_headers(std::string_view text) {
  const auto v = split(text, '\n', 4);
  const auto at = [&](std::size_t i) { return i < v.size() ? v[i] : std::string_view{}; };
  const rate_limit_headers h = parse_rate_limit_headers(at(0), at(1), at(2), at(3), now_epoch_ms);
  check(!h.remaining || *h.remaining >= 0, "negative X-RateLimit-Remaining");
  check(!h.reset || *h.reset >= 0, "negative X-RateLimit-Reset");
  check(!h.retry_after || h.retry_after->count() >= 0, "negative Retry-After");
  std::vector<std::string> padded;
  for (std::size_t i = 0; i < 4; ++i) padded.push_back(fmt::format(" \t{} ", at(i)));
  const rate_limit_headers p =
      parse_rate_limit_headers(padded[0], padded[1], padded[2], padded[3], now_epoch_ms);
  check(p.limit == h.limit && p.remaining == h.remaining && p.reset == h.reset &&
            p.retry_after == h.retry_after,
        "blanks around header values change their meaning");
}

class response_target final : public target {
 public:
  void run(std::span<const std::uint8_t> input) override {
    input_reader in(input);
    const bool resent = (in.take() & 1U) != 0;
    const auto parts = split(in.rest(), '\0', 3);
    const std::string_view body = parts[0];
    std::vector<std::string_view> emails;
    if (parts.size() > 1 && !parts[1].empty()) emails = split(parts[1], '\n', 1000);

    import_response fresh;
    std::string message;
    if (response_parser().parse_import(body, fresh, &message)) {
      const auto again = parser_.parse_import(body, reused_);
      check(again.has_value() && summary(reused_) == summary(fresh),
            "a reused import_response or parser changes the answer");
      check_answer(fresh);
      check_resolved(fresh, emails, resent);
    } else {
      check(!message.empty(), "parse_import failed without a message");
    }
    check_error_body(parser_, body);
    if (parts.size() > 2) check_headers(parts[2]);
  }

 private:
  response_parser parser_;
  import_response reused_;
};

}  // namespace

std::unique_ptr<target> make_response_target() { return std::make_unique<response_target>(); }

}  // namespace leadpipe::fuzz
