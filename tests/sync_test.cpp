// `leadpipe sync` and the import's use of the cache, against the simulator over TLS: paging to
// the last short page, client scoping, domain entries, unsubscribed and other campaigns' members,
// a stale cache refreshed, a damaged cache rebuilt, imported leads added to the cache, and an
// import whose requests carry only leads the server adds.
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "import_test_env.hpp"
#include "leadpipe/net/api_client.hpp"
#include "leadpipe/net/sync_job.hpp"

using namespace leadpipe;
using namespace leadpipe::testing;
namespace http = boost::beast::http;

namespace {

// Account 1 with client 5. Campaign 1 (no client) is the target; campaign 2 belongs to client 5;
// campaign 3 (no client) holds other members, 10 of them globally unsubscribed. The block list
// has 2,051 entries without a client (one a domain) and 31 of client 5 (one a domain), so the
// target's sync reads three pages of 1,000 and the last is short.
std::string big_fixture() {
  std::string leads;
  std::string members;
  std::string blocks;
  std::string unsub;
  const auto sep = [](std::string& s) {
    if (!s.empty()) s += ",";
  };
  for (int i = 0; i < 250; ++i) {
    sep(members);
    members += fmt::format(R"({{"campaign_id":1,"email":"mem{}@memco.io"}})", i);
    sep(leads);
    leads += fmt::format(R"({{"email":"mem{}@memco.io"}})", i);
  }
  for (int i = 0; i < 120; ++i) {
    sep(members);
    members += fmt::format(R"({{"campaign_id":3,"email":"other{}@otherco.io"}})", i);
    sep(leads);
    leads += fmt::format(R"({{"email":"other{}@otherco.io"}})", i);
  }
  for (int i = 0; i < 10; ++i) {
    sep(members);
    members += fmt::format(R"({{"campaign_id":3,"email":"unsub{}@otherco.io"}})", i);
    sep(leads);
    leads += fmt::format(R"({{"email":"unsub{}@otherco.io"}})", i);
    sep(unsub);
    unsub += fmt::format(R"({{"email":"unsub{}@otherco.io"}})", i);
  }
  for (int i = 0; i < 5; ++i) {
    sep(unsub);
    unsub += fmt::format(R"({{"email":"gone{}@goneco.io"}})", i);
  }
  for (int i = 0; i < 2050; ++i) {
    sep(blocks);
    blocks += fmt::format(R"({{"email_or_domain":"blk{}@blockco.io","client_id":null}})", i);
  }
  blocks += R"(,{"email_or_domain":"rival.io","client_id":null})";
  for (int i = 0; i < 30; ++i) {
    blocks += fmt::format(R"(,{{"email_or_domain":"c5blk{}@xco.io","client_id":5}})", i);
  }
  blocks += R"(,{"email_or_domain":"c5rival.io","client_id":5})";
  return fmt::format(R"({{
    "options": {{"rate_limit": "none"}},
    "accounts": [{{"id": 1, "api_keys": ["sim-key"], "clients": [{{"id": 5, "name": "five"}}]}}],
    "campaigns": [{{"id": 1, "name": "target"}}, {{"id": 2, "name": "client five", "client_id": 5}},
                  {{"id": 3, "name": "other"}}],
    "leads": [{}],
    "memberships": [{}],
    "block_list": [{}],
    "unsubscribed": [{}]
  }})",
                     leads, members, blocks, unsub);
}

sim::sim_config fixture(const std::string& json) {
  std::string msg;
  auto cfg = sim::load_fixture(json, "test", "sim-key", 1'767'605'400'000, &msg);
  REQUIRE_MESSAGE(cfg.has_value(), msg);
  return std::move(*cfg);
}

net::api_options api_to(const live_sim& s) {
  net::api_options o;
  o.base_url = s.url();
  o.api_key = "sim-key";
  o.tls.ca_file = s.ca_file();
  o.limiter.rules = {};
  o.retry.first_backoff = std::chrono::milliseconds(5);
  o.retry.max_backoff = std::chrono::milliseconds(50);
  return o;
}

const net::fetch_stats* group(const net::cache_outcome& out, std::string_view name) {
  for (const auto& f : out.fetched) {
    if (f.group == name) return &f;
  }
  return nullptr;
}

struct synced {
  report rep{"sync"};
  net::cache_outcome out;
  sync_cache cache;
};

std::unique_ptr<synced> do_sync(net::api_session& api, const live_sim& s, std::int64_t campaign,
                                net::sync_needs needs = {}, net::cache_policy policy = {}) {
  auto r = std::make_unique<synced>();
  if (policy.dir.empty()) policy.dir = s.file("cache");
  policy.progress = progress_mode::off;
  const email_validator v{email_options{}};
  r->cache = net::prepare_cache(api, v, campaign, needs, policy, r->rep, r->out);
  return r;
}

std::uint64_t count(const import_run& r, outcome o) { return r.rep.outcomes()[o]; }

}  // namespace

TEST_CASE("sync reads every page, scopes the block list by client and keeps every set") {
  live_sim s(fixture(big_fixture()));
  net::api_session api(api_to(s));
  auto r = do_sync(api, s, 1);
  CHECK(r->out.written);
  CHECK(r->out.loaded == make_error_code(cache_errc::missing).message());
  // Block list: 2,082 entries in pages of 1,000 -> 1,000 + 1,000 + 82, the last one short.
  const auto* block = group(r->out, "block_list");
  REQUIRE(block != nullptr);
  CHECK(block->requests == 3);
  CHECK(block->server_entries == 2082);
  CHECK(block->out_of_scope == 31);  // client 5's entries do not apply to campaign 1
  CHECK(r->cache[cache_set::blocked_emails].keys.size() == 2050);
  CHECK(r->cache[cache_set::blocked_domains].keys.size() == 1);
  // Members: 250 in pages of 100 -> 100 + 100 + 50.
  const auto* members = group(r->out, "members");
  REQUIRE(members != nullptr);
  CHECK(members->requests == 3);
  CHECK(r->cache[cache_set::existing].keys.size() == 250);
  // Other campaigns: campaign 2 (empty, one page) and campaign 3 (130 members, two pages).
  const auto* others = group(r->out, "other_campaigns");
  REQUIRE(others != nullptr);
  CHECK(others->requests == 3);
  CHECK(r->cache[cache_set::other_campaigns].keys.size() == 130);
  // Unsubscribed: the 10 members of campaign 3; the 5 in no campaign cannot be seen (§5 note).
  CHECK(r->cache[cache_set::unsubscribed].keys.size() == 10);
  CHECK(r->cache.client_id == std::nullopt);
  CHECK(r->cache.user_id == 1);
  CHECK(api.stats().requests.at("200") == 1 + 3 + 3 + 1 + 3);

  SUBCASE("a campaign of a client reads only that client's entries, with the filter") {
    auto c2 = do_sync(api, s, 2);
    const auto* b2 = group(c2->out, "block_list");
    REQUIRE(b2 != nullptr);
    // 31 entries where 1000 were asked: a server capping pages (the old 100) would look the
    // same, so one more page is asked, which comes back empty.
    CHECK(b2->requests == 2);
    CHECK(b2->server_entries == 31);
    CHECK(b2->out_of_scope == 0);
    CHECK(c2->cache[cache_set::blocked_emails].keys.size() == 30);
    CHECK(c2->cache[cache_set::blocked_domains].keys.size() == 1);
    CHECK(c2->cache.client_id == std::optional<std::int64_t>(5));
  }
  SUBCASE("the file round-trips, and a fresh cache is not fetched again") {
    auto again = do_sync(api, s, 1);
    CHECK(again->out.loaded == "read");
    CHECK(again->out.fetched.empty());
    CHECK_FALSE(again->out.written);
    CHECK(again->cache[cache_set::blocked_emails].keys.size() == 2050);
  }
  SUBCASE("cross-campaign allow and ignored lists fetch less") {
    net::sync_needs needs;
    needs.other_campaigns = false;
    needs.block_list = false;
    net::cache_policy p;
    p.dir = s.file("cache-allow");
    auto a = do_sync(api, s, 1, needs, p);
    CHECK(group(a->out, "block_list") == nullptr);
    CHECK(group(a->out, "other_campaigns") == nullptr);
    // Unsubscribed leads come from each campaign's emailStatus=is_unsubscribed listing.
    const auto* u = group(a->out, "unsubscribed");
    REQUIRE(u != nullptr);
    CHECK(u->requests == 2);  // campaigns 2 and 3, one page each (the target's members are read)
    CHECK(a->cache[cache_set::unsubscribed].keys.size() == 10);
  }
  SUBCASE("a refresh keeps the unsubscribes the cache learned from the server's skips") {
    net::cache_policy p;
    p.dir = s.file("cache-learned");
    (void)do_sync(api, s, 1, {}, p);
    const std::string path = cache_path(p.dir, api.base_url(), api.account_id(), 1);
    auto c = read_cache(path, api.base_url(), api.account_id(), 1);
    REQUIRE(c.has_value());
    email_result e;
    email_validator(email_options{}).identity("learned@gone.io", e);
    (*c)[cache_set::unsubscribed].keys.insert(fingerprint_of(e.key));
    write_cache(path, *c);
    net::cache_policy refresh = p;
    refresh.refresh = true;
    auto b = do_sync(api, s, 1, {}, refresh);
    REQUIRE(group(b->out, "unsubscribed") != nullptr);
    CHECK(b->cache[cache_set::unsubscribed].keys.contains(fingerprint_of(e.key)));
    CHECK(b->cache[cache_set::unsubscribed].keys.size() == 11);
  }
}

TEST_CASE("with a fresh cache, every lead sent is added; the cache learns the imported leads") {
  live_sim s(fixture(big_fixture()));
  net::api_session api(api_to(s));
  auto r = do_sync(api, s, 1);
  std::vector<std::string> emails = addresses(300, "fresh");    // added
  for (int i = 0; i < 50; ++i) emails.push_back(fmt::format("mem{}@memco.io", i));
  for (int i = 0; i < 50; ++i) emails.push_back(fmt::format("BLK{}@blockco.io", i));
  for (int i = 0; i < 10; ++i) emails.push_back(fmt::format("who{}@rival.io", i));
  for (int i = 0; i < 10; ++i) emails.push_back(fmt::format("c5blk{}@xco.io", i));  // added
  for (int i = 0; i < 20; ++i) emails.push_back(fmt::format("other{}@otherco.io", i));
  for (int i = 0; i < 5; ++i) emails.push_back(fmt::format("unsub{}@otherco.io", i));
  auto o = import_to(s, s.write("leads.csv", csv_of(emails)));
  o.cpu.filter.skip_in_other_campaigns = true;
  o.settings.ignore_duplicate_leads_in_other_campaign = true;  // observed semantics: skip
  o.cache = &r->cache;
  o.limiter_shared = api.shared_limiter();
  auto imp = run(o);
  CHECK(imp->rc == 0);
  CHECK(imp->rep.balanced());
  CHECK(count(*imp, outcome::added) == 310);
  CHECK(count(*imp, outcome::already_in_campaign) == 50);
  CHECK(count(*imp, outcome::blocked) == 60);
  CHECK(count(*imp, outcome::in_other_campaign) == 20);
  CHECK(count(*imp, outcome::unsubscribed) == 5);
  // The measure of success: nothing the server skipped.
  REQUIRE(imp->rep.network.has_value());
  CHECK(imp->rep.network->leads_sent == 310);
  CHECK(imp->rep.network->server_skipped_after_cache == 0);
  for (std::size_t i = 0; i < outcome_count; ++i) {
    const auto oc = static_cast<outcome>(i);
    if (oc != outcome::added) CHECK(imp->rep.by_server()[oc] == 0);
  }
  CHECK(s.members(1).size() == 250 + 310);
  // The leads just added are members in the cache now: a second run sends nothing.
  CHECK(r->cache[cache_set::existing].keys.size() == 250 + 310);
  o.outcomes_path = s.file("outcomes2.csv");
  o.rejects_path = s.file("rejects2.csv");
  auto second = run(o);
  CHECK(second->rc == 0);
  CHECK(count(*second, outcome::already_in_campaign) == 360);
  CHECK(second->rep.network->leads_sent == 0);
}

// Ages campaign 1's cache file in the test's cache directory by `hours`.
void age_cache(net::api_session& api, const live_sim& s, std::int64_t hours) {
  const std::string path = cache_path(s.file("cache"), api.base_url(), api.account_id(), 1);
  auto c = read_cache(path, api.base_url(), api.account_id(), 1);
  REQUIRE(c.has_value());
  for (auto& set : c->sets) set.fetched_at_ms -= hours * 3600 * 1000;
  write_cache(path, *c);
}

TEST_CASE("a stale cache is fetched again; a fresh one is trusted and the gap is reported") {
  live_sim s(fixture(big_fixture()));
  net::api_session api(api_to(s));
  (void)do_sync(api, s, 1);
  // The block list grows on the server after the sync.
  const auto added = api.call(http::verb::post, "/leads/add-domain-block-list",
                              R"({"domain_block_list":["late@freshco.io"],"client_id":null})");
  REQUIRE(added.status == 200);

  SUBCASE("fresh (within --max-age): used as it is, the server skips the lead, the gap shows") {
    auto r = do_sync(api, s, 1);
    CHECK(r->out.fetched.empty());
    auto o = import_to(s, s.write("leads.csv", csv_of({"late@freshco.io", "ok@freshco.io"})));
    o.cache = &r->cache;
    auto imp = run(o);
    CHECK(count(*imp, outcome::blocked) == 1);
    CHECK(imp->rep.by_server()[outcome::blocked] == 1);
    CHECK(imp->rep.network->server_skipped_after_cache == 1);
    const auto& w = imp->rep.warnings;
    CHECK(std::any_of(w.begin(), w.end(), [](const std::string& x) {
      return x.find("the server skipped 1 leads that the cached sets did not list") !=
                 std::string::npos &&
             x.find("--refresh") != std::string::npos;
    }));
    // The cache learnt what the server said: the next run skips the lead itself.
    auto again = import_to(s, s.write("again.csv", csv_of({"late@freshco.io"})));
    again.cache = &r->cache;
    auto second = run(again);
    CHECK(count(*second, outcome::blocked) == 1);
    CHECK(second->rep.by_server()[outcome::blocked] == 0);
    CHECK(second->rep.network->leads_sent == 0);
  }
  SUBCASE("older than --max-age: fetched again before sending") {
    age_cache(api, s, 2);
    auto r = do_sync(api, s, 1);
    CHECK(group(r->out, "block_list") != nullptr);
    // The campaign holds the members the cache knows: one request counts them, no page is read.
    REQUIRE(group(r->out, "members_count") != nullptr);
    CHECK(group(r->out, "members_count")->requests == 1);
    CHECK(group(r->out, "members") == nullptr);
    CHECK(*r->cache[cache_set::existing].age_seconds(epoch_now_ms()) < 600);
    const auto age = r->cache[cache_set::blocked_emails].age_seconds(epoch_now_ms());
    REQUIRE(age.has_value());
    CHECK(*age < 600);
    auto o = import_to(s, s.write("leads.csv", csv_of({"late@freshco.io", "ok@freshco.io"})));
    o.cache = &r->cache;
    auto imp = run(o);
    CHECK(count(*imp, outcome::blocked) == 1);
    CHECK(imp->rep.by_server()[outcome::blocked] == 0);
    CHECK(imp->rep.network->server_skipped_after_cache == 0);
  }
  SUBCASE("older than --max-age, and the campaign has members the cache lacks: every page") {
    const auto joined = api.call(http::verb::post, "/campaigns/1/leads",
                                 R"({"lead_list":[{"email":"someone.else@freshco.io"}]})");
    REQUIRE(joined.status == 200);
    age_cache(api, s, 2);
    auto r = do_sync(api, s, 1);
    CHECK(group(r->out, "members_count") != nullptr);
    REQUIRE(group(r->out, "members") != nullptr);
    email_result e;
    email_validator(email_options{}).identity("someone.else@freshco.io", e);
    CHECK(r->cache[cache_set::existing].keys.contains(fingerprint_of(e.key)));
  }
  SUBCASE("--refresh fetches even a fresh cache; --no-sync sends no request at all") {
    net::cache_policy refresh;
    refresh.refresh = true;
    auto r = do_sync(api, s, 1, {}, refresh);
    CHECK(group(r->out, "block_list") != nullptr);
    const auto before = api.stats().requests.at("200");
    net::cache_policy none;
    none.no_sync = true;
    none.dir = s.file("empty-cache");
    auto n = do_sync(api, s, 1, {}, none);
    CHECK(n->out.fetched.empty());
    CHECK(n->cache[cache_set::existing].keys.empty());
    CHECK(api.stats().requests.at("200") == before);
  }
}

TEST_CASE("a corrupt, truncated or foreign cache file is rebuilt, never trusted") {
  live_sim s(fixture(big_fixture()));
  net::api_session api(api_to(s));
  (void)do_sync(api, s, 1);
  const std::string path = cache_path(s.file("cache"), api.base_url(), api.account_id(), 1);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(bytes.size() > 2050 * 16);
  const auto damage = [&](const std::string& damaged) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
    auto r = do_sync(api, s, 1);
    CHECK(r->out.loaded != "read");
    REQUIRE(r->rep.warnings.size() == 1);
    CHECK(r->rep.warnings[0].find("rebuilt") != std::string::npos);
    CHECK(r->out.written);
    CHECK(r->cache[cache_set::blocked_emails].keys.size() == 2050);
    // The rebuilt file reads back.
    CHECK(read_cache(path, api.base_url(), api.account_id(), 1).has_value());
  };
  SUBCASE("one flipped bit in the keys") {
    std::string d = bytes;
    d[d.size() / 2] = static_cast<char>(d[d.size() / 2] ^ 0x10);
    damage(d);
  }
  SUBCASE("truncated") { damage(bytes.substr(0, bytes.size() / 3)); }
  SUBCASE("another format version") {
    std::string d = bytes;
    d[8] = 9;
    damage(d);
  }
  SUBCASE("not a cache at all") { damage("id,email\n1,a@b.example\n"); }
}

TEST_CASE("leadpipe import and leadpipe sync use the cache end to end") {
  live_sim s(fixture(big_fixture()));
  const std::string bin = LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe";
  std::vector<std::string> emails = addresses(40, "fresh");
  for (int i = 0; i < 7; ++i) emails.push_back(fmt::format("blk{}@blockco.io", i));
  const std::string input = s.write("leads.csv", csv_of(emails));
  const std::string common = fmt::format(
      "SMARTLEAD_API_KEY=sim-key {} {{}} --campaign 1 --base-url {} --ca-file {} --rate-limit none "
      "--cache-dir {} --no-progress",
      bin, s.url(), s.ca_file(), s.file("cache"));
  const std::string sync_cmd =
      fmt::format(fmt::runtime(common), "sync") + " --report " + s.file("sync.json");
  CHECK(std::system(sync_cmd.c_str()) == 0);
  const std::string import_cmd =
      fmt::format(fmt::runtime(common), "import " + input) + " --no-journal --report " +
      s.file("import.json") + " --outcomes " + s.file("out.csv");
  CHECK(std::system(import_cmd.c_str()) == 0);
  simdjson::dom::parser p;
  simdjson::dom::element rep = p.load(s.file("import.json"));
  CHECK(int64_t(rep["outcomes"]["added"]) == 40);
  CHECK(int64_t(rep["outcomes"]["blocked"]) == 7);
  CHECK(int64_t(rep["network"]["server_skipped_after_cache"]) == 0);
  bool saw_block = false;
  for (simdjson::dom::element set : rep["sets"].get_array()) {
    if (std::string_view(set["name"]) != "block_list") continue;
    saw_block = true;
    CHECK(std::string_view(set["source"]) == "cache");
    CHECK(int64_t(set["skipped"]) == 7);
    CHECK(int64_t(set["server_skipped"]) == 0);
    CHECK(double(set["age_seconds"]) >= 0.0);
  }
  CHECK(saw_block);
  // Fresh cache: the import made only its add-leads request (no sync requests).
  CHECK(std::string_view(rep["sync"]["loaded"]) == "read");
  CHECK(int64_t(rep["network"]["requests"]["200"]) == 1);
  simdjson::dom::parser p2;
  simdjson::dom::element srep = p2.load(s.file("sync.json"));
  CHECK(std::string_view(srep["command"]) == "sync");
  CHECK(int64_t(srep["exit_code"]) == 0);
  CHECK(srep["sync"]["fetched"].get_array().size() >= 4);
}
