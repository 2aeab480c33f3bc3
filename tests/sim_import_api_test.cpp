// The add-leads call over real sockets (HTTP and TLS): every outcome and counter of §7.2, the
// options of §10/§11 switched at run time through POST /_sim/config, and what landed in
// GET /_sim/state.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/sim_harness.hpp"

using namespace leadpipe::testing;
using leadpipe::sim::default_config;

namespace {

void configure(http_client& c, std::string_view body) {
  auto r = c.post("/_sim/config", body);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

http_reply import(http_client& c, std::string body, std::int64_t campaign = 1) {
  return c.post(api(fmt::format("/campaigns/{}/leads", campaign)), body);
}

std::int64_t sum_of_outcomes(const json_doc& r) {
  return r.integer("total_leads") + r.integer("invalid_email_count") + r.integer("duplicate_count") +
         r.integer("already_added_to_campaign") + r.integer("block_count") +
         static_cast<std::int64_t>(r["unsubscribed_leads"].get_array().size()) + r.integer("bounce_count") +
         (r.has("skipped_in_other_campaign_count") ? r.integer("skipped_in_other_campaign_count") : 0) +
         r.integer("lead_import_stopped_count");
}

std::vector<std::string> members_of(http_client& c, int campaign) {
  json_doc s(c.get(fmt::format("/_sim/state?campaign={}", campaign)).body);
  std::vector<std::string> out;
  for (auto m : s["campaigns"].at(0)["members"].get_array()) out.emplace_back(m["email"].get_string().value());
  return out;
}

}  // namespace

TEST_CASE("every outcome of section 7.2 in one call, and the invariant") {
  for_each_transport([](sim_harness&, http_client& c) {
    configure(c, R"({"community_bounce_set":["bounced@example.org"]})");
    REQUIRE(c.post(api("/leads/add-domain-block-list"), R"({"domain_block_list":["blocked.example"]})").status == 200);
    REQUIRE(import(c, leads_body({"member@example.org"})).status == 200);
    REQUIRE(import(c, leads_body({"elsewhere@example.org", "gone@example.org"}), 2).status == 200);
    json_doc gone(c.get(api("/leads/", "email=gone%40example.org")).body);
    REQUIRE(c.post(api(fmt::format("/leads/{}/unsubscribe", gone.integer("id"))), "").status == 200);
    auto r = import(c, leads_body({"bad address", "new@example.org", "NEW@example.org", "member@example.org",
                                   "x@blocked.example", "gone@example.org", "bounced@example.org",
                                   "elsewhere@example.org"},
                                  R"("settings":{"ignore_duplicate_leads_in_other_campaign":true})"));
    REQUIRE(r.status == 200);
    json_doc d(r.body);
    CHECK(d.integer("upload_count") == 8);
    CHECK(d.integer("total_leads") == 1);
    CHECK(d.integer("invalid_email_count") == 1);
    CHECK(d.integer("duplicate_count") == 1);
    CHECK(d.integer("already_added_to_campaign") == 1);
    CHECK(d.integer("block_count") == 1);
    CHECK(d["unsubscribed_leads"].at(0).get_string().value() == "gone@example.org");
    CHECK(d.integer("bounce_count") == 1);
    CHECK(d.integer("skipped_in_other_campaign_count") == 1);
    CHECK(d.integer("upload_count") == sum_of_outcomes(d));
    CHECK(d.integer("skipped_count") == 7);
    CHECK(members_of(c, 1) == std::vector<std::string>{"member@example.org", "new@example.org"});
    CHECK(r.has_header("X-RateLimit-Remaining"));
  });
}

TEST_CASE("resending a batch is harmless: already_added_to_campaign, nothing duplicated") {
  for_each_transport([](sim_harness&, http_client& c) {
    const std::string batch = leads_body({"a@example.org", "b@example.org"});
    CHECK(json_doc(import(c, batch).body).integer("total_leads") == 2);
    json_doc again(import(c, batch).body);
    CHECK(again.integer("total_leads") == 0);
    CHECK(again.integer("already_added_to_campaign") == 2);
    CHECK(members_of(c, 1).size() == 2);
  });
}

TEST_CASE("return_lead_ids over the wire") {
  for_each_transport([](sim_harness&, http_client& c) {
    json_doc d(import(c, leads_body({"Ana@Example.org"}, R"("settings":{"return_lead_ids":true})")).body);
    std::string_view id;
    REQUIRE(d["emailToLeadIdMap"]["newlyAddedLeads"]["Ana@Example.org"].get_string().get(id) == simdjson::SUCCESS);
    CHECK(std::stoll(std::string(id)) > 3'000'000'000);
    CHECK(d["emailToLeadIdMap"]["existingLeads"].get_object().size() == 0);
    CHECK_FALSE(json_doc(import(c, leads_body({"b@example.org"})).body).has("emailToLeadIdMap"));
  });
}

TEST_CASE("lead credit over the wire: partial, then refusal, state unchanged") {
  for_each_transport([](sim_harness&, http_client& c) {
    configure(c, R"({"accounts":[{"id":1,"lead_credit_remaining":1}]})");
    json_doc partial(import(c, leads_body({"a@example.org", "b@example.org"})).body);
    CHECK(partial.flag("ok"));
    CHECK(partial.flag("is_lead_limit_exhausted"));
    CHECK(partial.integer("lead_import_stopped_count") == 1);
    auto refused = import(c, leads_body({"c@example.org", "d@example.org", "e@example.org"}));
    CHECK(refused.status == 200);
    json_doc r(refused.body);
    CHECK_FALSE(r.flag("ok"));
    CHECK(r.integer("lead_import_stopped_count") == 3);
    CHECK(members_of(c, 1) == std::vector<std::string>{"a@example.org"});
    json_doc s(c.get("/_sim/state?members=false").body);
    CHECK(s["accounts"].at(0)["lead_credit_remaining"].get_int64().value() == 0);
  });
}

TEST_CASE("cross-campaign semantics switched at run time (section 7.3)") {
  for_each_transport([](sim_harness&, http_client& c) {
    REQUIRE(import(c, leads_body({"s1@example.org", "s2@example.org", "s3@example.org", "s4@example.org"}), 2).status == 200);
    const auto with_flag = [&](const char* email, const char* flag) {
      return json_doc(import(c, leads_body({email}, fmt::format(
          R"("settings":{{"ignore_duplicate_leads_in_other_campaign":{}}})", flag))).body).integer("total_leads");
    };
    CHECK(with_flag("s1@example.org", "true") == 0);   // observed: true skips
    CHECK(with_flag("s2@example.org", "false") == 1);  // observed: false adds
    configure(c, R"({"options":{"cross_campaign_flag_semantics":"documented"}})");
    CHECK(with_flag("s3@example.org", "true") == 1);   // documented: true allows
    CHECK(with_flag("s4@example.org", "false") == 0);  // documented: false skips
  });
}

TEST_CASE("options over the wire: response_shape, invalid_email_policy, strict keys, max leads") {
  for_each_transport([](sim_harness&, http_client& c) {
    configure(c, R"({"options":{"response_shape":"guide"}})");
    json_doc guide(import(c, leads_body({"a@example.org", "nope"})).body);
    CHECK(guide.root().get_object().size() == 4);
    CHECK(guide["skipped_leads"].at(0)["reason"].get_string().value() == "invalid_email");
    configure(c, R"({"options":{"response_shape":"live","always_emit_other_campaign_count":true}})");
    json_doc live(import(c, leads_body({"b@example.org"})).body);
    CHECK_FALSE(live.has("added_count"));
    CHECK(live.integer("skipped_in_other_campaign_count") == 0);
    configure(c, R"({"options":{"invalid_email_policy":"reject_request"}})");
    auto rejected = import(c, leads_body({"c@example.org", "bad one"}));
    CHECK(rejected.status == 400);
    json_doc e(rejected.body);
    CHECK(e["validation"]["keys"].at(0).get_string().value() == "lead_list.1.email");
    CHECK(e.integer("statusCode") == 400);
    CHECK(e.text("error") == "Bad Request");
    CHECK(members_of(c, 1).size() == 2);  // nothing of the rejected call landed
    auto strict = import(c, R"({"lead_list":[{"email":"d@example.org","role":"CFO"}]})");
    CHECK(strict.status == 400);
    configure(c, R"({"options":{"strict_lead_keys":false,"max_leads_per_request":2}})");
    CHECK(import(c, R"({"lead_list":[{"email":"d@example.org","role":"CFO"}]})").status == 200);
    auto big = import(c, leads_body({"e@example.org", "f@example.org", "g@example.org"}));
    CHECK(big.status == 400);
    CHECK(json_doc(big.body).text("message").find("size limit") != std::string::npos);
    CHECK(c.post("/_sim/config", R"({"options":{"response_shape":"fancy"}})").status == 400);
    CHECK(c.post("/_sim/config", R"({"options":{"no_such_option":1}})").status == 400);
  });
}

TEST_CASE("400 for the request-level checks of section 7.2, in order") {
  for_each_transport([](sim_harness&, http_client& c) {
    CHECK(c.post(api("/campaigns/x/leads"), "{not json").status == 400);     // path id before body
    CHECK(c.post(api("/campaigns/99/leads"), "{not json").status == 404);    // campaign before body
    CHECK(c.post(api("/campaigns/1/leads"), "{not json").status == 400);
    CHECK(c.post(api("/campaigns/1/leads"), R"({"lead_list":[]})").status == 400);
    CHECK(c.post("/api/v1/campaigns/1/leads?api_key=bad", "{not json").status == 401);
    auto r = c.post(api("/campaigns/1/leads"), R"({"lead_list":[{"email":"a@example.org"},{}]})");
    CHECK(json_doc(r.body)["validation"]["keys"].at(0).get_string().value() == "lead_list.1.email");
  });
}

TEST_CASE("400 leads of realistic size in one call; plain-text delete success") {
  sim_harness h(default_config("sim-key", kStartMs));
  http_client c = h.client();
  std::string body = R"({"lead_list":[)";
  for (int i = 0; i < 400; ++i) {
    body += fmt::format(R"({}{{"email":"lead{}@example.org","first_name":"F{}","custom_fields":{{"i":{}}}}})",
                        i ? "," : "", i, i, i);
  }
  body += "]}";
  json_doc d(import(c, body).body);
  CHECK(d.integer("total_leads") == 400);
  configure(c, R"({"options":{"plain_text_success_on_delete":true}})");
  json_doc page(c.get(api("/campaigns/1/leads", "limit=1")).body);
  const auto id = page["data"].at(0)["lead"]["id"].get_int64().value();
  auto del = c.del(api(fmt::format("/campaigns/1/leads/{}", id)));
  CHECK(del.status == 200);
  CHECK(del.body == "success");
  CHECK(del.header("Content-Type") == "text/plain; charset=utf-8");
}
