// The add-leads semantics of contract §6.1/§7 as pure functions: parsing and validation, the
// §7.2 classifier and its invariant, applying the plan, and the reply shapes of §11.1.
#include "sim/import.hpp"

#include <random>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/simulator.hpp"
#include "support/sim_harness.hpp"

using namespace leadpipe::sim;
using leadpipe::testing::json_doc;
using leadpipe::testing::leads_body;

namespace {

using o = import_outcome;

// A state with the default account and campaigns 1 and 2, and one import call's worth of
// scratch space. run() parses, classifies and applies like the add-leads handler does.
struct importer {
  sim_config cfg = default_config("sim-key", 0);
  state& st = cfg.initial_state;
  sim_options opts;
  simdjson::dom::parser parser;
  std::string body;
  import_request req;
  import_plan plan;
  std::optional<request_error> error;
  std::string reply;

  void run(std::string text, std::int64_t campaign_id = 1) {
    body = std::move(text);
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element root;
    REQUIRE(parser.parse(body).get(root) == simdjson::SUCCESS);
    error = parse_import(root, body.size(), opts, req);
    reply.clear();
    if (error) return;
    campaign& c = *st.find_campaign(campaign_id);
    classify_import(st, c, req, opts, plan);
    apply_import(st, c, req, plan, 1000);
    leadpipe::json_writer w(reply);
    write_import_reply(w, st, req, plan, opts);
  }

  std::int64_t counted() const {
    std::int64_t sum = 0;
    for (std::size_t i = 1; i < plan.counts.size(); ++i) sum += plan.counts[i];
    return sum + plan.count(o::added);
  }
};

}  // namespace

TEST_CASE("the contract's six-lead example: one of each outcome plus two added") {
  importer t;
  t.st.add_block(1, "blocked.example", std::nullopt, "manual", 0);
  t.run(leads_body({"seed@example.org"}));
  t.run(leads_body({"bob(at)example.com", "new1@example.org", "NEW1@example.org",
                    "seed@example.org", "x@blocked.example", "new2@example.org"}));
  const json_doc r(t.reply);
  CHECK(r.flag("ok"));
  CHECK(r.integer("upload_count") == 6);
  CHECK(r.integer("total_leads") == 2);
  CHECK(r.integer("invalid_email_count") == 1);
  CHECK(r.integer("duplicate_count") == 1);
  CHECK(r.integer("already_added_to_campaign") == 1);
  CHECK(r.integer("block_count") == 1);
  CHECK(r.integer("bounce_count") == 0);
  CHECK(r.integer("lead_import_stopped_count") == 0);
  CHECK_FALSE(r.flag("is_lead_limit_exhausted"));
  CHECK(r["invalid_emails"].at(0).get_string().value() == "bob(at)example.com");
  CHECK(r["unsubscribed_leads"].get_array().size() == 0);
  CHECK_FALSE(r.has("skipped_in_other_campaign_count"));
  CHECK_FALSE(r.has("emailToLeadIdMap"));
  CHECK(r.integer("added_count") == 2);
  CHECK(r.integer("skipped_count") == 4);
  std::vector<std::string> reasons;
  for (auto s : r["skipped_leads"].get_array()) reasons.emplace_back(s["reason"].get_string().value());
  CHECK(reasons == std::vector<std::string>{"invalid_email", "duplicate_in_request",
                                            "already_in_campaign", "blocked"});
}

TEST_CASE("steps 5-6: unsubscribed and bounced, each switchable by its ignore_* setting") {
  importer t;
  lead gone;
  gone.account_id = 1;
  gone.email = "Gone@Example.org";
  gone.is_unsubscribed = true;
  t.st.add_lead(gone);
  t.st.add_bounce("bounced@example.org");
  t.run(leads_body({" gone@example.org ", "bounced@example.org"}));
  json_doc r(t.reply);
  CHECK(r["unsubscribed_leads"].at(0).get_string().value() == "gone@example.org");
  CHECK(r.integer("bounce_count") == 1);
  CHECK(r.integer("total_leads") == 0);
  t.run(leads_body({"gone@example.org", "bounced@example.org"},
                   R"("settings":{"ignore_unsubscribe_list":true,"ignore_community_bounce_list":true})"));
  CHECK(t.plan.count(o::added) == 2);
}

TEST_CASE("step 4 honours ignore_global_block_list and the campaign's client id") {
  importer t;
  t.st.add_block(1, "rival.example", std::nullopt, "manual", 0);
  t.run(leads_body({"a@rival.example"}), 2);  // campaign 2 has no client either
  CHECK(t.plan.count(o::blocked) == 1);
  t.run(leads_body({"a@rival.example"}, R"("settings":{"ignore_global_block_list":true})"));
  CHECK(t.plan.count(o::added) == 1);
}

TEST_CASE("step 3 updates the existing lead: non-null fields overwrite, custom fields merge") {
  importer t;
  t.run(R"({"lead_list":[{"email":"ana@example.org","first_name":"Ana","last_name":"Silva",
            "custom_fields":{"role":"CFO","tier":"A"}}]})");
  t.run(R"({"lead_list":[{"email":"ANA@example.org","first_name":"Anna","last_name":null,
            "phone_number":351210000000,"custom_fields":{"tier":null,"city":"Lisbon","n":2.5,"b":true}}]})");
  CHECK(t.plan.count(o::already_in_campaign) == 1);
  const lead* l = t.st.find_lead_by_key(1, "ana@example.org");
  REQUIRE(l != nullptr);
  CHECK(l->email == "ana@example.org");  // stored spelling of the first import
  CHECK(l->get(lead_field::first_name) == "Anna");
  CHECK(l->get(lead_field::last_name) == "Silva");
  CHECK(l->get(lead_field::phone_number) == "351210000000");
  std::string custom;
  l->for_each_custom([&](std::string_view k, std::string_view v) {
    custom += fmt::format("{}={};", k, v);
  });
  CHECK(custom == "role=CFO;city=Lisbon;n=2.5;b=true;");
}

TEST_CASE("section 7.3: both cross-campaign semantics, flag true and false") {
  for (const auto mode : {cross_campaign_semantics::observed, cross_campaign_semantics::documented}) {
    CAPTURE(to_string(mode));
    const bool observed = mode == cross_campaign_semantics::observed;
    importer t;
    t.opts.cross_campaign = mode;
    t.run(leads_body({"s1@example.org", "s2@example.org"}), 2);
    t.run(leads_body({"s1@example.org"}, R"("settings":{"ignore_duplicate_leads_in_other_campaign":true})"));
    CHECK(t.plan.count(o::in_other_campaign) == (observed ? 1 : 0));
    CHECK(t.plan.count(o::added) == (observed ? 0 : 1));
    CHECK(json_doc(t.reply).has("skipped_in_other_campaign_count") == observed);
    t.run(leads_body({"s2@example.org"}, R"("settings":{"ignore_duplicate_leads_in_other_campaign":false})"));
    CHECK(t.plan.count(o::in_other_campaign) == (observed ? 0 : 1));
    CHECK(t.plan.count(o::added) == (observed ? 1 : 0));
  }
}

TEST_CASE("section 7.3 documented mode: absent flag skips, true allows") {
  importer t;
  t.opts.cross_campaign = cross_campaign_semantics::documented;
  t.run(leads_body({"shared@example.org"}), 2);
  t.run(leads_body({"shared@example.org"}));
  CHECK(t.plan.count(o::in_other_campaign) == 1);
  t.run(leads_body({"shared@example.org"}, R"("settings":{"ignore_duplicate_leads_in_other_campaign":true})"));
  CHECK(t.plan.count(o::added) == 1);
}

TEST_CASE("lead credit: partial exhaustion and refusal that writes nothing") {
  importer t;
  t.st.find_account(1)->lead_credit_remaining = 2;
  t.run(leads_body({"a@example.org", "b@example.org", "c@example.org", "bad"}));
  json_doc r(t.reply);
  CHECK(r.flag("ok"));
  CHECK(r.flag("is_lead_limit_exhausted"));
  CHECK(r.integer("total_leads") == 2);
  CHECK(r.integer("lead_import_stopped_count") == 1);
  CHECK(t.st.find_account(1)->lead_credit_remaining == 0);
  // Credit is now 0: a call that reaches step 8 writes nothing, not even step-3 updates.
  t.run(R"({"lead_list":[{"email":"a@example.org","first_name":"Changed"},{"email":"d@example.org"},{"email":"e@example.org"}]})");
  json_doc refused(t.reply);
  CHECK_FALSE(refused.flag("ok"));
  CHECK(refused.flag("is_lead_limit_exhausted"));
  CHECK(refused.integer("lead_import_stopped_count") == 2);
  CHECK(refused.text("error") == "Lead credit limit reached; no further leads can be imported.");
  CHECK_FALSE(refused.has("total_leads"));
  CHECK_FALSE(t.st.find_lead_by_key(1, "a@example.org")->has(lead_field::first_name));
  CHECK(t.st.find_lead_by_key(1, "d@example.org") == nullptr);
  // With credit 0 but nothing reaching step 8 the call is a normal one.
  t.run(leads_body({"a@example.org"}));
  CHECK(json_doc(t.reply).flag("ok"));
  CHECK(t.plan.count(o::already_in_campaign) == 1);
}

TEST_CASE("return_lead_ids: three sections keyed by stored address, ids as decimal strings") {
  importer t;
  t.run(leads_body({"Old@Example.org"}));
  t.run(leads_body({"other@example.org"}), 2);
  const auto old_id = t.st.find_lead_by_key(1, "old@example.org")->id;
  const auto other_id = t.st.find_lead_by_key(1, "other@example.org")->id;
  t.run(leads_body({"old@example.org", "New@Example.org", "other@example.org"},
                   R"("settings":{"return_lead_ids":true,"ignore_duplicate_leads_in_other_campaign":true})"));
  json_doc r(t.reply);
  auto map = r["emailToLeadIdMap"];
  const auto new_id = t.st.find_lead_by_key(1, "new@example.org")->id;
  CHECK(map["newlyAddedLeads"]["New@Example.org"].get_string().value() == std::to_string(new_id));
  CHECK(map["existingLeads"]["Old@Example.org"].get_string().value() == std::to_string(old_id));
  CHECK(map["existingLeadsInOtherCampaigns"]["other@example.org"].get_string().value() ==
        std::to_string(other_id));
  CHECK(new_id > 3'000'000'000);
}

TEST_CASE("response shapes: both, live, guide") {
  importer t;
  t.opts.shape = response_shape::live;
  t.run(leads_body({"a@example.org", "bad"}));
  json_doc live(t.reply);
  CHECK(live.has("total_leads"));
  CHECK_FALSE(live.has("added_count"));
  CHECK_FALSE(live.has("skipped_leads"));
  t.opts.shape = response_shape::guide;
  t.run(leads_body({"b@example.org", "bad"}));
  json_doc guide(t.reply);
  CHECK(guide.flag("ok"));
  CHECK(guide.integer("added_count") == 1);
  CHECK(guide.integer("skipped_count") == 1);
  CHECK(guide["skipped_leads"].at(0)["email"].get_string().value() == "bad");
  CHECK(guide["skipped_leads"].at(0)["reason"].get_string().value() == "invalid_email");
  CHECK_FALSE(guide.has("upload_count"));
  CHECK(guide.root().get_object().size() == 4);
  t.opts.always_emit_other_campaign_count = true;
  t.opts.shape = response_shape::both;
  t.run(leads_body({"c@example.org"}));
  json_doc both(t.reply);
  CHECK(both.integer("skipped_in_other_campaign_count") == 0);
  CHECK(both.integer("added_count") == both.integer("total_leads"));
}

TEST_CASE("the invariant of section 7.2 holds for a seeded random mix") {
  importer t;
  t.st.add_block(1, "blocked.example", std::nullopt, "manual", 0);
  t.st.add_bounce("b0@bounce.example");
  t.st.find_account(1)->lead_credit_remaining = 300;
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::string body = R"({"lead_list":[)";
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      if (i > 0) body += ',';
      static constexpr const char* kDomains[] = {"example.org", "blocked.example", "bounce.example", "bad"};
      const auto user = rng() % 40;
      const char* domain = kDomains[rng() % 4];
      body += fmt::format(R"({{"email":"{}{}@{}"}})", (rng() % 3 == 0) ? "B" : "b", user, domain);
    }
    body += fmt::format(R"(],"settings":{{"ignore_duplicate_leads_in_other_campaign":{}}}}})",
                        rng() % 2 == 0 ? "true" : "false");
    t.run(body, 1 + static_cast<std::int64_t>(rng() % 2));
    json_doc r(t.reply);
    if (!r.flag("ok")) continue;
    CAPTURE(body);
    const std::int64_t sum =
        r.integer("total_leads") + r.integer("invalid_email_count") + r.integer("duplicate_count") +
        r.integer("already_added_to_campaign") + r.integer("block_count") +
        static_cast<std::int64_t>(r["unsubscribed_leads"].get_array().size()) +
        r.integer("bounce_count") +
        (r.has("skipped_in_other_campaign_count") ? r.integer("skipped_in_other_campaign_count") : 0) +
        r.integer("lead_import_stopped_count");
    CHECK(r.integer("upload_count") == sum);
    CHECK(t.counted() == n);
  }
}

TEST_CASE("request validation: the whole call fails with 400 and names the fields") {
  importer t;
  const auto keys_of = [&](std::string body) {
    t.run(std::move(body));
    std::vector<std::string> keys;
    if (t.error) keys = t.error->keys;
    return keys;
  };
  using v = std::vector<std::string>;
  CHECK(keys_of(R"({})") == v{"lead_list"});
  CHECK(keys_of(R"({"lead_list":{}})") == v{"lead_list"});
  CHECK(keys_of(R"({"lead_list":[]})") == v{"lead_list"});
  CHECK(keys_of(R"([1])") == v{"body"});
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org"},{"first_name":"x"},{"email":5}]})") ==
        v{"lead_list.1.email", "lead_list.2.email"});
  CHECK(keys_of(R"({"lead_list":[3]})") == v{"lead_list.0"});
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org","first_name":7}]})") ==
        v{"lead_list.0.first_name"});
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org","favourite":"x"}]})") ==
        v{"lead_list.0.favourite"});
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org","custom_fields":[1]}]})") ==
        v{"lead_list.0.custom_fields"});
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org","custom_fields":{"k":[1]}}]})") ==
        v{"lead_list.0.custom_fields.k"});
  CHECK(keys_of(leads_body({"a@example.org"}, R"("settings":{"dedupe":true})")) == v{"settings.dedupe"});
  CHECK(keys_of(leads_body({"a@example.org"}, R"("settings":{"return_lead_ids":"yes"})")) ==
        v{"settings.return_lead_ids"});
  CHECK(keys_of(leads_body({"a@example.org"}, R"("settings":[])")) == v{"settings"});
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org","phone_number":351}]})").empty());
  t.opts.strict_lead_keys = false;
  CHECK(keys_of(R"({"lead_list":[{"email":"a@example.org","favourite":"x"}]})").empty());
}

TEST_CASE("size limits: max leads per request and max custom fields") {
  importer t;
  t.opts.max_leads_per_request = 3;
  t.run(leads_body({"a@example.org", "b@example.org", "c@example.org", "d@example.org"}));
  REQUIRE(t.error);
  CHECK(t.error->message.find("size limit") != std::string::npos);
  CHECK(t.error->keys == std::vector<std::string>{"lead_list"});
  t.run(leads_body({"a@example.org", "b@example.org", "c@example.org"}));
  CHECK_FALSE(t.error);
  t.opts.max_custom_fields = 2;
  t.run(R"({"lead_list":[{"email":"a@example.org","custom_fields":{"a":1,"b":2,"c":3}}]})");
  REQUIRE(t.error);
  CHECK(t.error->keys == std::vector<std::string>{"lead_list.0.custom_fields"});
}

TEST_CASE("invalid_email_policy reject_request names every bad element") {
  importer t;
  t.opts.invalid_emails = invalid_email_policy::reject_request;
  t.run(leads_body({"ok@example.org", "bad", "also bad@example.org"}));
  REQUIRE(t.error);
  CHECK(t.error->keys == std::vector<std::string>{"lead_list.1.email", "lead_list.2.email"});
  CHECK(t.st.leads().empty());
}
