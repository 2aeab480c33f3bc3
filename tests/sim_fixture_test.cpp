// The fixture loader: the documented example loads completely; bad fixtures say where.
#include "sim/fixture.hpp"

#include <doctest/doctest.h>

using namespace leadpipe::sim;

namespace {
const std::string kDemo = LEADPIPE_SOURCE_DIR "/sim/fixtures/demo.json";
}

TEST_CASE("the demo fixture seeds every kind of record") {
  std::string why;
  auto cfg = load_fixture_file(kDemo, "unused", 0, &why);
  INFO(why);
  REQUIRE(cfg.has_value());
  state& st = cfg->initial_state;
  CHECK(st.accounts().size() == 2);
  CHECK(st.account_by_key("sim-key")->clients.size() == 1);
  CHECK(st.account_by_key("other-key")->lead_credit_remaining == 100);
  CHECK(st.campaigns().size() == 4);
  CHECK(st.find_campaign(3)->status == campaign_status::paused);
  CHECK(st.find_campaign(3)->client_id == 11);
  CHECK(st.find_campaign(4)->account_id == 2);
  const lead* bo = st.find_lead(3'000'000'007);
  REQUIRE(bo != nullptr);
  CHECK(bo->get(lead_field::company_name) == "Example AB");
  const membership* m = st.find_membership(*st.find_campaign(1), bo->id);
  REQUIRE(m != nullptr);
  CHECK(m->map_id == 3'000'000'500);
  CHECK(m->status == member_status::inprogress);
  CHECK(m->category_id == 1);
  REQUIRE(m->seed != nullptr);
  CHECK(m->seed->history.size() == 1);
  CHECK(m->seed->history[0].is_sent);
  CHECK(st.find_membership(*st.find_campaign(2), 3'000'000'042) != nullptr);
  CHECK(st.is_blocked(1, std::nullopt, "x@rival.example"));
  CHECK(st.is_blocked(1, 11, "ceo@competitor.example"));
  CHECK(st.find_lead_by_key(1, "gone@example.org")->is_unsubscribed);
  CHECK(st.bounce_set().contains("bounced@example.org"));
  CHECK(st.find_category(6)->name == "Out Of Office");
  CHECK(st.find_category(1)->name == "Interested");
  // New ids continue above the seeded ones.
  CHECK(st.allocate_id() > 3'000'000'500);
  CHECK(cfg->options.rate_limit.rules.size() == 1);
}

TEST_CASE("a fixture without accounts gets the default account and key") {
  auto cfg = load_fixture(R"({"campaigns":[{"id":9}],"options":{"response_shape":"live"},
                              "faults":["import:status=503:p=0.5"],"fault_seed":3})",
                          "inline", "my-key", 0);
  REQUIRE(cfg.has_value());
  CHECK(cfg->initial_state.account_by_key("my-key") != nullptr);
  CHECK(cfg->initial_state.find_campaign(9)->account_id == 1);
  CHECK(cfg->options.shape == response_shape::live);
  CHECK(cfg->faults.size() == 1);
  CHECK(cfg->fault_seed == 3);
}

TEST_CASE("bad fixtures are refused with the place of the problem") {
  const auto message = [](std::string_view text) {
    std::string why;
    CHECK_FALSE(load_fixture(text, "f.json", "k", 0, &why).has_value());
    return why;
  };
  CHECK(message("{") .find("f.json: not valid JSON") == 0);
  CHECK(message("[]") == "f.json: the fixture must be a JSON object");
  CHECK(message(R"({"campaigns":[{"id":1,"status":"RUNNING"}]})") ==
        "f.json: campaigns[0].status: unknown campaign status 'RUNNING'");
  CHECK(message(R"({"campaigns":[{"id":1},{"id":1}]})") == "f.json: campaigns[1].id: campaign id used twice");
  CHECK(message(R"({"leads":[{"email":"a@example.org"},{"email":"A@example.org"}]})") ==
        "f.json: leads[1]: lead id or email used twice");
  CHECK(message(R"({"memberships":[{"campaign_id":5,"lead_id":1}]})") ==
        "f.json: memberships[0].campaign_id: unknown campaign");
  CHECK(message(R"({"block_list":[{"email_or_domain":"not a domain"}]})") ==
        "f.json: block_list[0].email_or_domain: is not a valid address or domain");
  CHECK(message(R"({"options":{"response_shape":"fancy"}})") ==
        "f.json: options.response_shape: option response_shape: 'fancy' is not both, live or guide");
  CHECK(message(R"({"faults":["import:wobble"]})").find("f.json: faults: fault 'import:wobble'") == 0);
  CHECK(message(R"({"accounts":[{"id":1}]})") ==
        "f.json: accounts[0].api_keys: is required and must be an array of strings");
  std::string why;
  CHECK_FALSE(load_fixture_file("/nonexistent/fixture.json", "k", 0, &why).has_value());
  CHECK(why == "/nonexistent/fixture.json: cannot open the fixture file");
}
