#include "leadpipe/import_response.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using leadpipe::error_body;
using leadpipe::import_response;
using leadpipe::lead_result;
using leadpipe::resolve_leads;
using leadpipe::resolved_batch;
using leadpipe::response_parser;

namespace {

import_response parse(std::string_view body) {
  response_parser p;
  import_response r;
  std::string message;
  const auto ok = p.parse_import(body, r, &message);
  INFO(message);
  REQUIRE(ok.has_value());
  return r;
}

// The batch of §6.1's example: one malformed, one repeated, one already in the campaign, one
// blocked by a domain entry, two new.
const std::vector<std::string_view> batch = {"ana@example.org",   "bob(at)example.com",
                                             "Ana@Example.org",   "cy@example.com",
                                             "dee@rival.example", "eve@example.net"};

constexpr std::string_view live_counters =
    R"("ok": true, "upload_count": 6, "total_leads": 2, "block_count": 1, "duplicate_count": 1,
       "invalid_email_count": 1, "invalid_emails": ["bob(at)example.com"],
       "already_added_to_campaign": 1, "unsubscribed_leads": [], "is_lead_limit_exhausted": false,
       "lead_import_stopped_count": 0, "bounce_count": 0)";

// What each lead of `batch` became in the example.
const std::vector<lead_result> example_outcomes = {lead_result::added,
                                                   lead_result::invalid_email,
                                                   lead_result::duplicate_in_request,
                                                   lead_result::already_in_campaign,
                                                   lead_result::blocked,
                                                   lead_result::added};

std::vector<lead_result> results(const resolved_batch& b) {
  std::vector<lead_result> out;
  for (const auto& l : b.leads) out.push_back(l.result);
  return out;
}

std::vector<bool> by_count(const resolved_batch& b) {
  std::vector<bool> out;
  for (const auto& l : b.leads) out.push_back(l.by_count);
  return out;
}

}  // namespace

TEST_CASE("live shape: the twelve keys are read") {
  const auto r = parse("{" + std::string(live_counters) + "}");
  CHECK(r.ok);
  CHECK(r.added == 2);
  CHECK(r.upload_count == 6);
  CHECK(r.block_count == 1);
  CHECK(r.duplicate_count == 1);
  CHECK(r.invalid_email_count == 1);
  REQUIRE(r.invalid_emails.size() == 1);
  CHECK(r.view(r.invalid_emails[0]) == "bob(at)example.com");
  CHECK(r.already_added_to_campaign == 1);
  CHECK(r.unsubscribed_count == 0);
  CHECK_FALSE(r.is_lead_limit_exhausted);
  CHECK_FALSE(r.has_skipped_leads);
  CHECK_FALSE(r.has_lead_id_map);
  CHECK(r.known_skips() == 4);
}

TEST_CASE("live shape with emailToLeadIdMap: every lead is named") {
  const auto r = parse("{" + std::string(live_counters) + R"(, "emailToLeadIdMap": {
      "newlyAddedLeads": {"ana@example.org": "3000000123", "eve@example.net": 3000000124},
      "existingLeads": {"CY@example.com": "3000000007"}, "existingLeadsInOtherCampaigns": {}}})");
  REQUIRE(r.newly_added.size() == 2);
  CHECK(r.newly_added[0].id == 3000000123);
  CHECK(r.newly_added[1].id == 3000000124);
  CHECK(r.view(r.existing[0].email) == "CY@example.com");
  const auto b = resolve_leads(r, batch, false);
  CHECK(results(b) == example_outcomes);
  // The blocked lead is the only one left and block_count the only counter left: exact.
  CHECK(by_count(b) == std::vector<bool>(6, false));
  CHECK(b.unmatched == 0);
  CHECK(b.unattributed.empty());
}

TEST_CASE("live shape without the map: counters are attributed as the header says") {
  const auto b = resolve_leads(parse("{" + std::string(live_counters) + "}"), batch, false);
  // Named: the invalid address and the repeat. Left: ana, cy, dee, eve for 2 added,
  // 1 already, 1 blocked -- several categories, so the first two are added by count and the
  // others unknown_skip, with the counters' split reported.
  CHECK(results(b) == std::vector{lead_result::added, lead_result::invalid_email,
                                  lead_result::duplicate_in_request, lead_result::added,
                                  lead_result::unknown_skip, lead_result::unknown_skip});
  CHECK(by_count(b) == std::vector<bool>{true, false, false, true, true, true});
  REQUIRE(b.unattributed.size() == 2);
  CHECK(b.unattributed[0].reason == lead_result::already_in_campaign);
  CHECK(b.unattributed[0].count == 1);
  CHECK(b.unattributed[1].reason == lead_result::blocked);
  CHECK(b.unattributed[1].count == 1);
}

TEST_CASE("guide shape: skipped_leads names each lead, the rest are added") {
  const auto r = parse(R"({"ok": true, "added_count": 2, "skipped_count": 4, "skipped_leads": [
      {"email": "bob(at)example.com", "reason": "invalid_email"},
      {"email": "Ana@Example.org", "reason": "duplicate_in_request"},
      {"email": "cy@example.com", "reason": "already_in_campaign"},
      {"email": "dee@rival.example", "reason": "blocked"}]})");
  CHECK(r.added == 2);
  CHECK(r.skipped_count == 4);
  CHECK(r.has_skipped_leads);
  const auto b = resolve_leads(r, batch, false);
  CHECK(results(b) == example_outcomes);
  CHECK(by_count(b) == std::vector<bool>(6, false));
}

TEST_CASE("a duplicate_in_request entry names the repeat, not the first occurrence") {
  const std::vector<std::string_view> twice = {"x@example.com", "X@EXAMPLE.COM"};
  const auto r = parse(R"({"ok": true, "added_count": 1, "skipped_count": 1,
      "skipped_leads": [{"email": "x@example.com", "reason": "duplicate_in_request"}]})");
  CHECK(results(resolve_leads(r, twice, false)) ==
        std::vector{lead_result::added, lead_result::duplicate_in_request});
}

TEST_CASE("both shape: skipped_leads wins over the counters") {
  const auto r = parse("{" + std::string(live_counters) + R"(, "added_count": 2,
      "skipped_count": 4, "skipped_leads": [
      {"email": "bob(at)example.com", "reason": "invalid_email"},
      {"email": "ana@example.org", "reason": "duplicate_in_request"},
      {"email": "cy@example.com", "reason": "already_in_campaign"},
      {"email": "dee@rival.example", "reason": "blocked"}]})");
  const auto b = resolve_leads(r, batch, false);
  CHECK(results(b) == example_outcomes);
}

TEST_CASE("every skip reason of section 11.1 is read from skipped_leads") {
  std::string body = R"({"ok": true, "added_count": 0, "skipped_leads": [)";
  std::vector<std::string> emails;
  std::vector<lead_result> expected;
  for (auto r = lead_result::invalid_email; r != lead_result::other_reason;
       r = static_cast<lead_result>(static_cast<int>(r) + 1)) {
    emails.push_back("l" + std::to_string(emails.size()) + "@example.com");
    if (r == lead_result::duplicate_in_request) emails.back() = emails.front();
    body += (expected.empty() ? "" : ",") + std::string(R"({"email": ")") + emails.back() +
            R"(", "reason": ")" + std::string(leadpipe::to_string(r)) + "\"}";
    expected.push_back(r);
  }
  body += "]}";
  const std::vector<std::string_view> views(emails.begin(), emails.end());
  CHECK(results(resolve_leads(parse(body), views, false)) == expected);
}

TEST_CASE("an unknown skipped_leads reason is kept as other_reason with its word") {
  const std::vector<std::string_view> one = {"a@example.com"};
  const auto r = parse(R"({"ok": true, "added_count": 0,
      "skipped_leads": [{"email": "a@example.com", "reason": "domain_paused"}]})");
  const auto b = resolve_leads(r, one, false);
  CHECK(b.leads[0].result == lead_result::other_reason);
  CHECK(r.view(b.leads[0].reason_text) == "domain_paused");
}

TEST_CASE("tolerant numbers: strings, null and missing keys") {
  const auto r = parse(R"({"ok": "true", "upload_count": "5", "total_leads": " 3 ",
      "block_count": null, "bounce_count": 2.0, "is_lead_limit_exhausted": 0})");
  CHECK(r.ok);
  CHECK(r.upload_count == 5);
  CHECK(r.added == 3);
  CHECK(r.block_count == 0);
  CHECK(r.bounce_count == 2);
  CHECK(r.duplicate_count == 0);
  CHECK_FALSE(r.is_lead_limit_exhausted);
}

TEST_CASE("added: total_leads, else added_count, else upload_count minus the skips") {
  CHECK(parse(R"({"total_leads": 4, "added_count": 9})").added == 4);
  CHECK(parse(R"({"added_count": "9"})").added == 9);
  CHECK(
      parse(R"({"upload_count": 10, "block_count": 3, "unsubscribed_leads": ["a@b.cd"]})").added ==
      6);
  CHECK(parse(R"({"upload_count": 2, "block_count": 3})").added == 0);  // never below 0
  // upload_count alone says nothing about what was added.
  CHECK_FALSE(parse(R"({"upload_count": 10})").added.has_value());
}

TEST_CASE("unsubscribed_leads as strings, objects or a number") {
  const auto list = parse(R"({"unsubscribed_leads": ["a@x.io", {"email": "b@x.io", "id": 3}]})");
  REQUIRE(list.unsubscribed_leads.size() == 2);
  CHECK(list.view(list.unsubscribed_leads[1]) == "b@x.io");
  CHECK(list.unsubscribed_count == 2);
  CHECK(parse(R"({"unsubscribed_leads": 4})").unsubscribed_count == 4);
  CHECK(parse(R"({"unsubscribed_leads": "4"})").unsubscribed_count == 4);

  const std::vector<std::string_view> two = {"a@x.io", "b@x.io"};
  const auto b = resolve_leads(list, two, false);
  CHECK(results(b) == std::vector{lead_result::unsubscribed, lead_result::unsubscribed});
}

TEST_CASE("an unknown *_count key is an extra skip reason by name") {
  const auto r = parse(R"({"ok": true, "upload_count": 3, "total_leads": 2,
      "paused_domain_count": 1, "skipped_count": 1, "note_count": "x"})");
  REQUIRE(r.extra_counts.size() == 1);
  CHECK(r.view(r.extra_counts[0].name) == "paused_domain_count");
  CHECK(r.extra_counts[0].count == 1);
  CHECK(r.known_skips() == 1);
  // With the map naming the added leads, the extra reason covers the last one exactly.
  const auto named = parse(R"({"ok": true, "total_leads": 2, "paused_domain_count": 1,
      "emailToLeadIdMap": {"newlyAddedLeads": {"a@x.io": "1", "b@x.io": "2"}}})");
  const std::vector<std::string_view> three = {"a@x.io", "c@x.io", "b@x.io"};
  const auto b = resolve_leads(named, three, false);
  CHECK(b.leads[1].result == lead_result::other_reason);
  CHECK_FALSE(b.leads[1].by_count);
  CHECK(named.view(b.leads[1].reason_text) == "paused_domain_count");
}

TEST_CASE("skipped_in_other_campaign_count and existingLeadsInOtherCampaigns") {
  const auto r = parse(R"({"ok": true, "total_leads": 1, "skipped_in_other_campaign_count": 1,
      "emailToLeadIdMap": {"newlyAddedLeads": {"a@x.io": "1"},
                           "existingLeadsInOtherCampaigns": {"b@x.io": "42"}}})");
  CHECK(r.skipped_in_other_campaign_count == 1);
  CHECK(r.existing_in_other_campaigns[0].id == 42);
  const std::vector<std::string_view> two = {"b@x.io", "a@x.io"};
  CHECK(results(resolve_leads(r, two, false)) ==
        std::vector{lead_result::in_other_campaign, lead_result::added});
}

TEST_CASE("a lead-credit refusal: ok false, nothing written, every lead not imported") {
  const auto r = parse(R"({"ok": false, "is_lead_limit_exhausted": true,
      "lead_import_stopped_count": 6,
      "error": "Lead credit limit reached; no further leads can be imported."})");
  CHECK_FALSE(r.ok);
  CHECK(r.is_lead_limit_exhausted);
  CHECK(r.view(r.error).starts_with("Lead credit limit reached"));
  const auto b = resolve_leads(r, batch, false);
  CHECK(results(b) == std::vector<lead_result>(6, lead_result::lead_limit_exhausted));
}

TEST_CASE("credit running out part-way: the leads left are lead_limit_exhausted") {
  const auto r = parse(R"({"ok": true, "upload_count": 3, "total_leads": 1,
      "is_lead_limit_exhausted": true, "lead_import_stopped_count": 2,
      "emailToLeadIdMap": {"newlyAddedLeads": {"a@x.io": "1"}}})");
  const std::vector<std::string_view> three = {"a@x.io", "b@x.io", "c@x.io"};
  const auto b = resolve_leads(r, three, false);
  CHECK(results(b) == std::vector{lead_result::added, lead_result::lead_limit_exhausted,
                                  lead_result::lead_limit_exhausted});
  CHECK(by_count(b) == std::vector<bool>(3, false));
}

TEST_CASE("a resent batch: already in the campaign means added, confirmed on retry") {
  const std::vector<std::string_view> two = {"a@x.io", "b@x.io"};
  const auto guide = parse(R"({"ok": true, "added_count": 1, "skipped_count": 1,
      "skipped_leads": [{"email": "a@x.io", "reason": "already_in_campaign"}]})");
  auto b = resolve_leads(guide, two, true);
  CHECK(results(b) == std::vector{lead_result::added, lead_result::added});
  CHECK(b.leads[0].confirmed_on_retry);
  CHECK_FALSE(b.leads[1].confirmed_on_retry);
  // Not resent: the same answer is a skip.
  CHECK(resolve_leads(guide, two, false).leads[0].result == lead_result::already_in_campaign);
  // Counters only: the already residual joins the added one, so both leads are added.
  const auto counters = parse(R"({"ok": true, "total_leads": 1, "already_added_to_campaign": 1})");
  b = resolve_leads(counters, two, true);
  CHECK(results(b) == std::vector{lead_result::added, lead_result::added});
  CHECK(by_count(b) == std::vector<bool>{false, false});
}

TEST_CASE("addresses match trimmed and case-insensitively; unknown ones are counted") {
  const std::vector<std::string_view> two = {" Bo@Example.NET ", "zed@x.io"};
  const auto r = parse(R"({"ok": true, "total_leads": 1, "already_added_to_campaign": 1,
      "emailToLeadIdMap": {"newlyAddedLeads": {"nobody@x.io": "5"},
                           "existingLeads": {"bo@example.net": "7"}}})");
  const auto b = resolve_leads(r, two, false);
  CHECK(b.leads[0].result == lead_result::already_in_campaign);
  CHECK(b.unmatched == 1);
  // zed is the only lead left and `added` the only residual: added, exactly.
  CHECK(b.leads[1].result == lead_result::added);
}

TEST_CASE("leads no counter pins are lead credit ones when credit ran out, so --resume resends") {
  // QA: credit ran out part-way; 10 bounced and 38 stopped for credit were told apart by no
  // list. Taken as skipped, the 38 were never sent again.
  const std::vector<std::string_view> four = {"a@x.io", "b@x.io", "c@x.io", "d@x.io"};
  const auto r = parse(R"({"ok": true, "total_leads": 1, "bounce_count": 1,
      "lead_import_stopped_count": 2, "is_lead_limit_exhausted": true,
      "emailToLeadIdMap": {"newlyAddedLeads": {"b@x.io": "7"}}})");
  const auto b = resolve_leads(r, four, false);
  CHECK(results(b) == std::vector{lead_result::lead_limit_exhausted, lead_result::added,
                                  lead_result::lead_limit_exhausted,
                                  lead_result::lead_limit_exhausted});
  CHECK(by_count(b) == std::vector<bool>{true, false, true, true});
  REQUIRE(b.unattributed.size() == 2);
  CHECK(b.unattributed[0].reason == lead_result::bounced);
  CHECK(b.unattributed[1].reason == lead_result::lead_limit_exhausted);
}

TEST_CASE("leads beyond every counter are unknown_skip") {
  const std::vector<std::string_view> three = {"a@x.io", "b@x.io", "c@x.io"};
  const auto r = parse(R"({"ok": true, "total_leads": 1})");
  const auto b = resolve_leads(r, three, false);
  CHECK(results(b) ==
        std::vector{lead_result::added, lead_result::unknown_skip, lead_result::unknown_skip});
  CHECK(by_count(b) == std::vector<bool>{true, true, true});
  // An answer with no figures at all leaves every lead unknown.
  CHECK(results(resolve_leads(parse("{}"), three, false)) ==
        std::vector<lead_result>(3, lead_result::unknown_skip));
}

TEST_CASE("keys of an unexpected type are ignored, not fatal") {
  const auto r = parse(R"({"total_leads": 1, "invalid_emails": null, "skipped_leads": {},
      "unsubscribed_leads": null, "emailToLeadIdMap": [], "invalid_email_count": [1],
      "skipped_count": {"a": 1}, "error": 5})");
  CHECK(r.added == 1);
  CHECK_FALSE(r.has_skipped_leads);
  CHECK_FALSE(r.has_lead_id_map);
  CHECK(r.invalid_email_count == 0);
  CHECK_FALSE(r.skipped_count.has_value());
  const auto items = parse(R"({"skipped_leads": [3, "x", {"reason": "blocked"},
      {"email": "a@x.io", "reason": "blocked"}], "invalid_emails": [1, {"id": 2}, "b@x.io"]})");
  REQUIRE(items.skipped_leads.size() == 1);
  CHECK(items.skipped_leads[0].reason == lead_result::blocked);
  REQUIRE(items.invalid_emails.size() == 1);
  CHECK(items.view(items.invalid_emails[0]) == "b@x.io");
  response_parser p;
  const auto e = p.parse_error(R"({"message": "m", "validation": {"keys": "lead_list.1"}})");
  CHECK(e.is_json);
  CHECK(e.message == "m");
  CHECK(e.validation_keys.empty());
}

TEST_CASE("bodies that are not a JSON object fail with a message") {
  response_parser p;
  import_response r;
  for (const char* bad : {"success", "[1, 2]", R"({"total_leads": 3,)", "", "{\"a\" 1}"}) {
    CAPTURE(bad);
    std::string message;
    CHECK_FALSE(p.parse_import(bad, r, &message).has_value());
    CHECK(message.starts_with("add-leads answer is not a json object"));
  }
}

TEST_CASE("a parser reused for a second answer keeps nothing of the first") {
  response_parser p;
  import_response r;
  REQUIRE(p.parse_import(R"({"total_leads": 2, "invalid_emails": ["x"], "foo_count": 1,
      "skipped_leads": [{"email": "y", "reason": "blocked"}]})",
                         r)
              .has_value());
  REQUIRE(p.parse_import(R"({"added_count": 1})", r).has_value());
  CHECK(r.added == 1);
  CHECK(r.invalid_emails.empty());
  CHECK(r.extra_counts.empty());
  CHECK(r.skipped_leads.empty());
  CHECK_FALSE(r.has_skipped_leads);
  CHECK(r.text.empty());
}

TEST_CASE("error bodies: the first non-empty of message, error, error.message, err") {
  response_parser p;
  auto e = p.parse_error(R"({"statusCode": 400, "error": "Bad Request", "message": "bad email",
      "validation": {"source": "body", "keys": ["lead_list.3.email", "lead_list.1", "lead_list.3"]}})");
  CHECK(e.is_json);
  CHECK(e.message == "bad email");
  CHECK(e.validation_keys.size() == 3);
  CHECK(e.element_indexes == std::vector<std::uint32_t>{1, 3});
  CHECK(p.parse_error(R"({"message": "", "error": "Unauthorized"})").message == "Unauthorized");
  e = p.parse_error(R"({"error": {"code": "RATE_LIMIT_EXCEEDED",
      "message": "Rate limit hit; wait 17 s and resend.", "retry_after": 17}})");
  CHECK(e.message == "Rate limit hit; wait 17 s and resend.");
  CHECK(e.code == "RATE_LIMIT_EXCEEDED");
  CHECK(e.retry_after == 17);
  CHECK(p.parse_error(R"({"err": "boom"})").message == "boom");
  CHECK(p.parse_error(R"({"message": ["lead_list.0.email must be a string", "x"]})").message ==
        "lead_list.0.email must be a string; x");
  CHECK(p.parse_error(R"({"statusCode": 500})").message == R"({"statusCode": 500})");
  // A proxy's HTML page: its text, title first, not the page source.
  CHECK(p.parse_error("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
                      "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx/1.22.1"
                      "</center>\r\n</body>\r\n</html>\r\n")
            .message == "504 Gateway Time-out (nginx/1.22.1)");
  CHECK(p.parse_error("<!DOCTYPE html><p>Bad\n  gateway</p>").message == "Bad gateway");
  CHECK(p.parse_error("plain text").message == "plain text");
}

TEST_CASE("element indexes from bracket keys, and from the message when there are no keys") {
  response_parser p;
  CHECK(p.parse_error(R"({"validation": {"keys": ["lead_list[7].email", "lead_list"]}})")
            .element_indexes == std::vector<std::uint32_t>{7});
  CHECK(p.parse_error(R"({"message": "\"lead_list[2].email\" is required; lead_list.5 bad"})")
            .element_indexes == std::vector<std::uint32_t>{2, 5});
  CHECK(p.parse_error(R"({"message": "lead_list must hold at most 400 items"})")
            .element_indexes.empty());
  CHECK(p.parse_error(R"({"validation": {"keys": ["settings.foo", "lead_listing.3"]}})")
            .element_indexes.empty());
}

TEST_CASE("a body that is not JSON becomes the message, cut at 500 bytes on a boundary") {
  response_parser p;
  auto e = p.parse_error("  <html>Bad gateway</html>\n");
  CHECK_FALSE(e.is_json);
  CHECK(e.message == "Bad gateway");  // HTML: its text
  CHECK(p.parse_error("").message.empty());
  std::string long_body(499, 'a');
  long_body += "\xc3\xa9 tail";  // a two-byte character across byte 500
  e = p.parse_error(long_body);
  CHECK(e.message == std::string(499, 'a'));
  CHECK(p.parse_error(R"({"message": "cut)").message == R"({"message": "cut)");
}

TEST_CASE("rate-limit header values are read tolerantly") {
  constexpr std::int64_t now = 1'760'000'000'000;
  auto h = leadpipe::parse_rate_limit_headers(" 60 ", "0", "1760000017", "17", now);
  CHECK(h.limit == 60);
  CHECK(h.remaining == 0);
  CHECK(h.reset == 1760000017);
  CHECK(h.retry_after == 17s);
  h = leadpipe::parse_rate_limit_headers("", "-3", "12.2", "0.5", now);
  CHECK_FALSE(h.limit.has_value());
  CHECK(h.remaining == 0);
  CHECK(h.reset == 13);  // an upper bound: rounded up
  CHECK(h.retry_after == 500ms);
  h = leadpipe::parse_rate_limit_headers("sixty", "1e1", "soon", "", now);
  CHECK_FALSE(h.limit.has_value());
  CHECK(h.remaining == 10);
  CHECK_FALSE(h.reset.has_value());
  CHECK_FALSE(h.retry_after.has_value());
}

TEST_CASE("Retry-After as an HTTP-date is a delay from now") {
  // 2025-10-09T08:53:20Z is epoch second 1760000000.
  constexpr std::int64_t now = 1'760'000'000'000;
  auto h = leadpipe::parse_rate_limit_headers("", "", "", "Thu, 09 Oct 2025 08:53:37 GMT", now);
  CHECK(h.retry_after == 17s);
  h = leadpipe::parse_rate_limit_headers("", "", "", "Thu, 09 Oct 2025 08:53:00 GMT", now);
  CHECK(h.retry_after == 0s);  // in the past: no wait
  for (const char* bad : {"Thu, 32 Oct 2025 08:53:37 GMT", "Thu, 09 Okt 2025 08:53:37 GMT",
                          "09 Oct 2025 08:53:37 GMT", "Thu, 09 Oct 2025 08:53:37 UTC"}) {
    CAPTURE(bad);
    CHECK_FALSE(leadpipe::parse_rate_limit_headers("", "", "", bad, now).retry_after.has_value());
  }
}

TEST_CASE("outcome words round-trip; only skip words are reasons") {
  CHECK(leadpipe::to_string(lead_result::added) == "added");
  CHECK(leadpipe::to_string(lead_result::unknown_skip) == "unknown_skip");
  CHECK(leadpipe::lead_result_from_reason("in_other_campaign") == lead_result::in_other_campaign);
  CHECK(leadpipe::lead_result_from_reason("lead_limit_exhausted") ==
        lead_result::lead_limit_exhausted);
  CHECK_FALSE(leadpipe::lead_result_from_reason("added").has_value());
  CHECK_FALSE(leadpipe::lead_result_from_reason("unknown_skip").has_value());
  CHECK_FALSE(leadpipe::lead_result_from_reason("Blocked").has_value());
}

TEST_CASE("regression (fuzz): counters that claim more skips than leads are cut to the leads left") {
  // fuzz/regressions/response/unattributed_split_exceeds_batch: §6.1's example with
  // already_added_to_campaign 2 instead of 1, so the counters add up to 7 for 6 leads. Two leads
  // are left unknown_skip; the split used to report 2 already + 1 blocked = 3 for them.
  std::string body = "{" + std::string(live_counters) + "}";
  body.replace(body.find("\"already_added_to_campaign\": 1"), 30,
               "\"already_added_to_campaign\": 2");
  const auto b = resolve_leads(parse(body), batch, false);
  CHECK(results(b) == std::vector{lead_result::added, lead_result::invalid_email,
                                  lead_result::duplicate_in_request, lead_result::added,
                                  lead_result::unknown_skip, lead_result::unknown_skip});
  REQUIRE(b.unattributed.size() == 1);
  CHECK(b.unattributed[0].reason == lead_result::already_in_campaign);
  CHECK(b.unattributed[0].count == 2);
}

TEST_CASE("regression: counts are pinned to 0..2^32 so sums of server figures cannot overflow") {
  // fuzz/regressions/response/skip_counters_sum_overflows and
  // resent_added_plus_already_overflows: known_skips() and resolve_leads added counters near
  // 2^63 (signed overflow, caught by UBSan in the fuzz build).
  const auto r = parse(R"({"upload_count": 1, "block_count": 9223372036854775807,
                           "bounce_count": "1e30", "duplicate_count": -5, "spam_count": -1})");
  CHECK(r.block_count == std::int64_t{1} << 32);
  CHECK(r.bounce_count == std::int64_t{1} << 32);
  CHECK(r.duplicate_count == 0);
  REQUIRE(r.extra_counts.size() == 1);
  CHECK(r.extra_counts[0].count == 0);
  CHECK(r.known_skips() == std::int64_t{2} << 32);
  CHECK(r.added == 0);
  const std::vector<std::string_view> two = {"a@b.io", "c@d.io"};
  const auto b = resolve_leads(parse(R"({"ok": true, "total_leads": 9223372036854775807,
      "already_added_to_campaign": 9223372036854775807, "block_count": 1})"), two, true);
  CHECK(results(b) == std::vector{lead_result::added, lead_result::added});
}

TEST_CASE("a 429 body of §3.4 names the wait when the Retry-After header is missing") {
  using std::chrono::milliseconds;
  CHECK(leadpipe::retry_after_in_body(
            R"({"error":{"code":"RATE_LIMIT_EXCEEDED","message":"wait","retry_after":17}})") ==
        milliseconds(17000));
  CHECK(leadpipe::retry_after_in_body(R"({"error":{"retry_after":1.5}})") == milliseconds(1500));
  CHECK(leadpipe::retry_after_in_body(R"({"error":{"retry_after":"3"}})") == milliseconds(3000));
  CHECK_FALSE(leadpipe::retry_after_in_body(R"({"error":{"retry_after":-1}})").has_value());
  CHECK_FALSE(leadpipe::retry_after_in_body(R"({"statusCode":429,"message":"slow"})").has_value());
  CHECK_FALSE(leadpipe::retry_after_in_body("<html>429 Too Many Requests</html>").has_value());
  CHECK_FALSE(leadpipe::retry_after_in_body("").has_value());
}
