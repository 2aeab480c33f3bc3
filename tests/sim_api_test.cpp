// Contract tests over real sockets, HTTP and TLS: every endpoint of §5 with the requests,
// replies and errors of §6 (the import call itself is in sim_import_api_test.cpp).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/sim_harness.hpp"

using namespace leadpipe::testing;
using leadpipe::sim::default_config;

namespace {

std::int64_t add_lead(http_client& c, std::int64_t campaign, std::string_view email) {
  auto r = c.post(api(fmt::format("/campaigns/{}/leads", campaign)),
                  leads_body({email}, R"("settings":{"return_lead_ids":true})"));
  REQUIRE(r.status == 200);
  json_doc d(r.body);
  // One lead was sent: its id is the only value in one of the sections (keyed by stored spelling).
  for (const char* section : {"newlyAddedLeads", "existingLeads"}) {
    for (auto [key, value] : d["emailToLeadIdMap"][section].get_object()) {
      return std::stoll(std::string(value.get_string().value()));
    }
  }
  FAIL("no lead id in the reply: ", r.body);
  return 0;
}

}  // namespace

TEST_CASE("authentication, unknown routes and trailing slashes (sections 1 and 2)") {
  for_each_transport([](sim_harness&, http_client& c) {
    auto missing = c.get("/api/v1/campaigns");
    CHECK(missing.status == 401);
    CHECK(json_doc(missing.body).text("message") == "Invalid API Key");
    CHECK(json_doc(missing.body).integer("statusCode") == 401);
    CHECK_FALSE(missing.has_header("X-RateLimit-Limit"));  // nothing counted before auth
    CHECK(c.get(api("/campaigns", {}, "wrong")).status == 401);
    CHECK(c.get(api("/nothing/here")).status == 404);
    CHECK(c.get("/elsewhere").status == 404);
    CHECK(c.request("PUT", api("/campaigns/1"), "{}").status == 404);
    const auto plain = c.get(api("/campaigns"));
    const auto slash = c.get(api("/campaigns/"));
    CHECK(plain.status == 200);
    CHECK(plain.body == slash.body);
    CHECK(plain.header("Content-Type") == "application/json; charset=utf-8");
    CHECK(c.get(api("/campaigns/1/leads/")).status == 200);
    CHECK(c.get(api("/campaigns/abc")).status == 400);
  });
}

TEST_CASE("campaigns: list, get, create, status (6.11)") {
  for_each_transport([](sim_harness& h, http_client& c) {
    auto list = c.get(api("/campaigns/"));
    json_doc d(list.body);
    REQUIRE(d.root().is_array());
    CHECK(d.root().get_array().size() == 2);
    h.clock.advance(1000);
    auto made = c.post(api("/campaigns/create"), R"({"name":"Spring","client_id":null})");
    REQUIRE(made.status == 200);
    json_doc m(made.body);
    CHECK(m.flag("ok"));
    CHECK(m.text("name") == "Spring");
    CHECK(m.text("created_at") == "2026-01-05T09:30:01.000Z");
    const std::int64_t id = m.integer("id");
    CHECK(id > 3'000'000'000);
    json_doc newest(c.get(api("/campaigns")).body);
    CHECK(newest.root().at(0)["id"].get_int64().value() == id);  // newest first
    auto got = c.get(api(fmt::format("/campaigns/{}", id)));
    json_doc g(got.body);
    CHECK(g.text("status") == "DRAFTED");
    CHECK(g.integer("user_id") == 1);
    for (const char* key : {"updated_at", "track_settings", "scheduler_cron_value", "min_time_btwn_emails",
                            "max_leads_per_day", "stop_lead_settings", "schedule_start_time",
                            "enable_ai_esp_matching", "send_as_plain_text", "follow_up_percentage",
                            "unsubscribe_text", "parent_campaign_id", "client_id"}) {
      CAPTURE(key);
      CHECK(g.has(key));
    }
    CHECK_FALSE(g.has("tags"));
    CHECK(json_doc(c.get(api("/campaigns", "include_tags=true")).body).root().at(0)["tags"].is_array());
    CHECK(c.post(api(fmt::format("/campaigns/{}/status", id)), R"({"status":"START"})").body == R"({"ok":true})");
    CHECK(json_doc(c.get(api(fmt::format("/campaigns/{}", id))).body).text("status") == "ACTIVE");
    CHECK(c.patch(api(fmt::format("/campaigns/{}/status", id)), R"({"status":"PAUSED"})").status == 200);
    CHECK(json_doc(c.get(api(fmt::format("/campaigns/{}", id))).body).text("status") == "PAUSED");
    auto bad = c.post(api(fmt::format("/campaigns/{}/status", id)), R"({"status":"ACTIVE"})");
    CHECK(bad.status == 400);
    CHECK(json_doc(bad.body)["validation"]["keys"].at(0).get_string().value() == "status");
    CHECK(c.get(api("/campaigns/999")).status == 404);
    CHECK(json_doc(c.get(api("/campaigns/999")).body).text("message") == "Campaign not found");
    CHECK(c.post(api("/campaigns/create"), R"({"name":""})").status == 400);
    CHECK(c.post(api("/campaigns/create"), R"({"name":"x","client_id":77})").status == 400);
    CHECK(c.post(api("/campaigns/create"), "not json").status == 400);
    CHECK(json_doc(c.get(api("/campaigns", "client_id=77")).body).root().get_array().size() == 0);
  });
}

TEST_CASE("list a campaign's leads: shape, paging, filters (6.2)") {
  for_each_transport([](sim_harness& h, http_client& c) {
    for (int i = 0; i < 5; ++i) {
      h.clock.advance(1000);
      add_lead(c, 1, fmt::format("p{}@example.org", i));
    }
    auto page = c.get(api("/campaigns/1/leads", "offset=1&limit=2"));
    REQUIRE(page.status == 200);
    json_doc d(page.body);
    CHECK(d.text("total_leads") == "5");  // a string, as documented
    CHECK(d.integer("offset") == 1);
    CHECK(d.integer("limit") == 2);
    auto data = d["data"].get_array();
    REQUIRE(data.size() == 2);
    CHECK(data.at(0)["lead"]["email"].get_string().value() == "p1@example.org");
    CHECK(data.at(0)["status"].get_string().value() == "STARTED");
    CHECK(data.at(0)["lead_category_id"].is_null());
    CHECK(data.at(0)["created_at"].get_string().value() == "2026-01-05T09:30:02.000Z");
    CHECK(data.at(0)["campaign_lead_map_id"].get_int64().value() > 3'000'000'000);
    CHECK(data.at(0)["lead"]["custom_fields"].is_object());
    CHECK(data.at(0)["lead"]["is_unsubscribed"].get_bool().value() == false);
    CHECK(data.at(1)["campaign_lead_map_id"].get_int64().value() >
          data.at(0)["campaign_lead_map_id"].get_int64().value());
    json_doc defaults(c.get(api("/campaigns/1/leads")).body);
    CHECK(defaults.integer("offset") == 0);
    CHECK(defaults.integer("limit") == 100);
    CHECK(defaults["data"].get_array().size() == 5);
    json_doc later(c.get(api("/campaigns/1/leads", "created_at_gt=2026-01-05T09:30:03.000Z")).body);
    CHECK(later.text("total_leads") == "2");  // 09:30:04 and 09:30:05
    CHECK(json_doc(c.get(api("/campaigns/1/leads", "status=PAUSED")).body).text("total_leads") == "0");
    CHECK(json_doc(c.get(api("/campaigns/1/leads", "emailStatus=is_bounced")).body).text("total_leads") == "0");
    for (const char* bad : {"limit=0", "limit=101", "offset=-1", "status=RUNNING", "emailStatus=is_lost",
                            "lead_category_id=x", "created_at_gt=yesterday"}) {
      CAPTURE(bad);
      auto r = c.get(api("/campaigns/1/leads", bad));
      CHECK(r.status == 400);
      CHECK(json_doc(r.body)["validation"]["source"].get_string().value() == "query");
    }
    CHECK(c.get(api("/campaigns/77/leads")).status == 404);
  });
}

TEST_CASE("lead lookup by email (6.3) and a lead's campaigns (6.12)") {
  for_each_transport([](sim_harness&, http_client& c) {
    const auto id = add_lead(c, 1, "Ana@Example.org");
    add_lead(c, 2, "ana@example.org");
    auto r = c.get(api("/leads/", "email=ANA%40example.org"));
    REQUIRE(r.status == 200);
    json_doc d(r.body);
    CHECK(d.integer("id") == id);
    CHECK(d.text("email") == "Ana@Example.org");
    CHECK(d.has("created_at"));
    CHECK(d.has("unsubscribed_client_id_map"));
    auto camps = d["lead_campaign_data"].get_array();
    REQUIRE(camps.size() == 2);
    CHECK(camps.at(0)["campaign_id"].get_int64().value() == 1);
    CHECK(camps.at(0)["campaign_name"].get_string().value() == "Campaign 1");
    CHECK(camps.at(0)["client_email"].is_null());
    CHECK(c.get(api("/leads/", "email=nobody%40example.org")).body == "{}");
    CHECK(c.get(api("/leads/")).status == 400);
    json_doc lc(c.get(api(fmt::format("/leads/{}/campaigns", id))).body);
    REQUIRE(lc.root().get_array().size() == 2);
    CHECK(lc.root().at(1)["id"].get_int64().value() == 2);
    CHECK(lc.root().at(1)["status"].get_string().value() == "DRAFTED");
    CHECK(c.get(api("/leads/123/campaigns")).status == 404);
  });
}

TEST_CASE("update a lead (6.4)") {
  for_each_transport([](sim_harness&, http_client& c) {
    const auto id = add_lead(c, 1, "ana@example.org");
    add_lead(c, 1, "bo@example.org");
    const auto path = api(fmt::format("/campaigns/1/leads/{}", id));
    CHECK(c.post(path, R"({"email":"ana@example.org","first_name":"Ana","custom_fields":{"a":"1"}})").body ==
          R"({"ok":true})");
    CHECK(c.post(path, R"({"email":"ana@example.org","custom_fields":{"b":"2"}})").status == 200);
    json_doc d(c.get(api("/leads/", "email=ana%40example.org")).body);
    CHECK(d.text("first_name") == "Ana");
    CHECK(d["custom_fields"]["a"].get_string().value() == "1");
    CHECK(d["custom_fields"]["b"].get_string().value() == "2");
    CHECK(c.post(path, R"({"first_name":"No email"})").status == 400);
    CHECK(c.post(path, R"({"email":"BO@example.org"})").status == 400);  // owned by another lead
    CHECK(c.post(path, R"({"email":"not valid"})").status == 400);
    CHECK(c.post(path, R"({"email":"ana.silva@example.org"})").status == 200);
    CHECK(json_doc(c.get(api("/leads/", "email=ana.silva%40example.org")).body).integer("id") == id);
    CHECK(c.post(api(fmt::format("/campaigns/2/leads/{}", id)), R"({"email":"x@example.org"})").status == 404);
  });
}

TEST_CASE("pause, resume, unsubscribe, delete (6.5-6.7)") {
  for_each_transport([](sim_harness&, http_client& c) {
    const auto id = add_lead(c, 1, "ana@example.org");
    const auto base = fmt::format("/campaigns/1/leads/{}", id);
    const auto status = [&] {
      return std::string(json_doc(c.get(api("/campaigns/1/leads")).body)["data"].at(0)["status"].get_string().value());
    };
    CHECK(c.post(api(base + "/resume"), "").body == R"({"ok":true,"data":"success"})");
    CHECK(status() == "STARTED");  // resuming a member that is not paused changes nothing
    CHECK(c.post(api(base + "/pause"), "").body == R"({"ok":true,"data":"success"})");
    CHECK(status() == "PAUSED");
    CHECK(c.post(api(base + "/resume"), R"({"resume_lead_with_delay_days":-1})").status == 400);
    CHECK(c.post(api(base + "/resume"), R"({"resume_lead_with_delay_days":2})").status == 200);
    CHECK(status() == "INPROGRESS");
    auto unsub = c.post(api(base + "/unsubscribe"), "");
    CHECK(json_doc(unsub.body).flag("success"));
    CHECK(status() == "STOPPED");
    CHECK(json_doc(c.get(api("/campaigns/1/leads", "emailStatus=is_unsubscribed")).body).text("total_leads") == "1");
    CHECK(c.post(api(fmt::format("/leads/{}/unsubscribe", id)), "").body == R"({"ok":true})");
    CHECK(json_doc(c.get(api("/leads/", "email=ana%40example.org")).body).flag("is_unsubscribed"));
    CHECK(c.post(api("/leads/77/unsubscribe"), "").status == 404);
    CHECK(c.del(api(base)).body == R"({"ok":true})");
    CHECK(json_doc(c.get(api("/campaigns/1/leads")).body).text("total_leads") == "0");
    CHECK(json_doc(c.get(api("/leads/", "email=ana%40example.org")).body).integer("id") == id);  // survives
    CHECK(c.del(api(base)).status == 404);
    CHECK(c.post(api(base + "/pause"), "").status == 404);
    CHECK(c.post(api("/campaigns/1/leads/abc/pause"), "").status == 400);
  });
}

TEST_CASE("categories and message history (6.8, 6.9)") {
  for_each_transport([](sim_harness&, http_client& c) {
    json_doc cats(c.get(api("/leads/fetch-categories")).body);
    REQUIRE(cats.root().get_array().size() == 5);
    CHECK(cats.root().at(0)["name"].get_string().value() == "Interested");
    CHECK(cats.root().at(3)["id"].get_int64().value() == 4);
    CHECK(cats.root().at(2)["sentiment_type"].get_string().value() == "negative");
    const auto id = add_lead(c, 1, "ana@example.org");
    const auto path = api(fmt::format("/campaigns/1/leads/{}/category", id));
    CHECK(c.post(path, R"({"category_id":4,"pause_lead":true})").body == R"({"ok":true})");
    json_doc list(c.get(api("/campaigns/1/leads", "lead_category_id=4")).body);
    CHECK(list.text("total_leads") == "1");
    const auto map_id = list["data"].at(0)["campaign_lead_map_id"].get_int64().value();
    CHECK(list["data"].at(0)["status"].get_string().value() == "PAUSED");
    CHECK(c.post(path, R"({"category_id":99})").status == 400);
    CHECK(c.post(path, R"({})").status == 400);
    auto inbox = c.patch(api("/master-inbox/update-category"),
                         fmt::format(R"({{"email_lead_map_id":{},"category_id":1}})", map_id));
    CHECK(json_doc(inbox.body).flag("success"));
    CHECK(json_doc(c.get(api("/campaigns/1/leads", "lead_category_id=1")).body).text("total_leads") == "1");
    CHECK(c.patch(api("/master-inbox/update-category"), R"({"email_lead_map_id":5,"category_id":1})").status == 404);
    CHECK(c.patch(api("/master-inbox/update-category"),
                  fmt::format(R"({{"email_lead_map_id":{},"category_id":null}})", map_id)).status == 200);
    json_doc hist(c.get(api(fmt::format("/campaigns/1/leads/{}/message-history", id))).body);
    CHECK(hist["history"].get_array().size() == 0);
    CHECK(hist.text("to") == "ana@example.org");
    CHECK(hist.text("from").empty());
    CHECK(c.get(api(fmt::format("/campaigns/2/leads/{}/message-history", id))).status == 404);
  });
}

TEST_CASE("global block list: add, list, delete (6.10)") {
  for_each_transport([](sim_harness& h, http_client& c) {
    CHECK(c.post(api("/leads/add-domain-block-list"),
                 R"({"domain_block_list":[" Rival.Example ","ceo@other.example"],"client_id":null})").body ==
          R"({"ok":true})");
    h.clock.advance(1000);
    CHECK(c.post(api("/leads/add-domain-block-list"), R"({"domain_block_list":["third.example"]})").status == 200);
    CHECK(c.post(api("/leads/add-domain-block-list"), R"({"domain_block_list":["rival.example"]})").status == 200);
    json_doc all(c.get(api("/leads/get-domain-block-list")).body);
    REQUIRE(all.root().get_array().size() == 3);  // re-adding was a no-op
    CHECK(all.root().at(0)["email_or_domain"].get_string().value() == "third.example");  // newest first
    CHECK(all.root().at(2)["email_or_domain"].get_string().value() == "rival.example");
    CHECK(all.root().at(2)["source"].get_string().value() == "manual");
    CHECK(all.root().at(2)["client_id"].is_null());
    CHECK(json_doc(c.get(api("/leads/get-domain-block-list", "limit=1&offset=1")).body).root().at(0)["email_or_domain"]
              .get_string().value() == "ceo@other.example");
    CHECK(json_doc(c.get(api("/leads/get-domain-block-list", "filter_email_or_domain=OTHER")).body).root()
              .get_array().size() == 1);
    CHECK(json_doc(c.get(api("/leads/get-domain-block-list", "filter_email_with_domain=RIVAL.example")).body).root()
              .get_array().size() == 1);
    CHECK(json_doc(c.get(api("/leads/get-domain-block-list", "filter_client_id=5")).body).root().get_array().size() == 0);
    CHECK(c.get(api("/leads/get-domain-block-list", "limit=1001")).status == 400);
    auto bad = c.post(api("/leads/add-domain-block-list"), R"({"domain_block_list":["ok.example","not valid"]})");
    CHECK(bad.status == 400);
    CHECK(json_doc(bad.body)["validation"]["keys"].at(0).get_string().value() == "domain_block_list.1");
    std::string many = R"({"domain_block_list":[)";
    for (int i = 0; i < 1001; ++i) many += fmt::format(R"({}"d{}.example")", i ? "," : "", i);
    many += "]}";
    CHECK(c.post(api("/leads/add-domain-block-list"), many).status == 400);
    CHECK(c.post(api("/leads/add-domain-block-list"), R"({"domain_block_list":["x.example"],"client_id":9})").status == 400);
    const auto id = all.root().at(0)["id"].get_int64().value();
    CHECK(c.del(api("/leads/delete-domain-block-list", fmt::format("id={}", id))).body == R"({"ok":true})");
    CHECK(c.del(api("/leads/delete-domain-block-list", fmt::format("id={}", id))).status == 404);
    CHECK(c.del(api("/leads/delete-domain-block-list")).status == 400);
    CHECK(json_doc(c.get(api("/leads/get-domain-block-list")).body).root().get_array().size() == 2);
  });
}

TEST_CASE("account-wide lead listing (6.13)") {
  for_each_transport([](sim_harness& h, http_client& c) {
    for (int i = 0; i < 3; ++i) {
      h.clock.advance(1000);
      add_lead(c, 1, fmt::format("g{}@example.org", i));
    }
    json_doc page(c.get(api("/leads/global-leads", "limit=2")).body);
    CHECK(page["data"].get_array().size() == 2);
    CHECK(page.flag("hasMore"));
    json_doc rest(c.get(api("/leads/global-leads", "offset=2&limit=2")).body);
    CHECK(rest["data"].get_array().size() == 1);
    CHECK_FALSE(rest.flag("hasMore"));
    CHECK(json_doc(c.get(api("/leads/global-leads", "email=G1%40example.org")).body)["data"].get_array().size() == 1);
    CHECK(json_doc(c.get(api("/leads/global-leads", "created_at_gt=2026-01-05T09:30:02.000Z")).body)["data"]
              .get_array().size() == 1);
    CHECK(c.get(api("/leads/global-leads", "limit=101")).status == 400);
  });
}

TEST_CASE("another account's resources behave as non-existent (section 1)") {
  auto cfg = default_config("sim-key", kStartMs);
  leadpipe::sim::account other;
  other.id = 2;
  other.api_keys = {"other-key"};
  cfg.initial_state.add_account(other);
  sim_harness h(std::move(cfg));
  http_client c = h.client();
  const auto id = add_lead(c, 1, "ana@example.org");
  CHECK(c.get(api("/campaigns/1", {}, "other-key")).status == 404);
  CHECK(c.post(api("/campaigns/1/leads", {}, "other-key"), leads_body({"x@example.org"})).status == 404);
  CHECK(c.get(api(fmt::format("/leads/{}/campaigns", id), {}, "other-key")).status == 404);
  CHECK(c.get(api("/leads/", "email=ana%40example.org", "other-key")).body == "{}");
  CHECK(json_doc(c.get(api("/campaigns", {}, "other-key")).body).root().get_array().size() == 0);
}
