// leadpipe import against the simulator over TLS on loopback: exact counts checked against the
// simulator's state, every server skip reason, response shapes, rate limiting, faults, 400s,
// 401, lead credit and keep-alive closes.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "import_test_env.hpp"
#include "source_test_util.hpp"

using namespace leadpipe;
using namespace leadpipe::testing;

namespace {

sim::sim_config fixture(const std::string& json) {
  std::string msg;
  auto cfg = sim::load_fixture(json, "test", "sim-key", 1'767'605'400'000, &msg);
  REQUIRE_MESSAGE(cfg.has_value(), msg);
  return std::move(*cfg);
}

std::uint64_t count(const import_run& r, outcome o) { return r.rep.outcomes()[o]; }

}  // namespace

TEST_CASE("happy path: every accepted lead lands, exact counts against the simulator") {
  live_sim s(sim::default_config());
  auto emails = addresses(1234);
  emails.push_back("not-an-email");
  emails.push_back("LEAD0@acme.io");  // duplicate of the first row
  auto o = import_to(s, s.write("leads.csv", csv_of(emails)));
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(r->rep.balanced());
  CHECK(r->rep.rows_read() == 1236);
  CHECK(count(*r, outcome::added) == 1234);
  CHECK(count(*r, outcome::invalid_email) == 1);
  CHECK(count(*r, outcome::duplicate_in_file) == 1);
  const auto members = s.members(1);
  CHECK(members.size() == 1234);
  CHECK(std::set<std::string>(members.begin(), members.end()).count("lead1233@acme.io") == 1);
  REQUIRE(r->rep.network.has_value());
  CHECK(r->rep.network->batches == 4);  // 400 + 400 + 400 + 34: full batches
  CHECK(r->rep.network->requests.at("200") == 4);
  CHECK(r->rep.network->leads_sent == 1234);
}

TEST_CASE("every server skip reason is reported per lead") {
  live_sim s(fixture(R"({
    "options": {"rate_limit": "none"},
    "campaigns": [{"id": 1, "name": "target"}, {"id": 2, "name": "other"}],
    "leads": [{"email": "member@acme.io"}, {"email": "gone@acme.io"}, {"email": "elsewhere@acme.io"}],
    "memberships": [{"campaign_id": 1, "email": "member@acme.io"},
                    {"campaign_id": 2, "email": "elsewhere@acme.io"}],
    "block_list": [{"email_or_domain": "blocked.io"}, {"email_or_domain": "ceo@acme.io"}],
    "unsubscribed": [{"email": "gone@acme.io"}],
    "community_bounce_set": ["bounced@acme.io"]
  })"));
  const std::vector<std::string> emails = {"new@acme.io",     "member@acme.io", "x@blocked.io",
                                           "ceo@acme.io",     "gone@acme.io",   "bounced@acme.io",
                                           "elsewhere@acme.io"};
  for (const char* shape : {"both", "live", "guide"}) {
    CAPTURE(shape);
    s.sim().reset();
    s.option("response_shape", shape);
    auto o = import_to(s, s.write("leads.csv", csv_of(emails)));
    o.settings.ignore_duplicate_leads_in_other_campaign = true;  // observed: true = skip
    auto r = run(o);
    CHECK(r->rc == 0);
    CHECK(r->rep.balanced());
    CHECK(count(*r, outcome::added) == 1);
    CHECK(count(*r, outcome::already_in_campaign) == 1);
    CHECK(count(*r, outcome::unsubscribed) == 1);
    CHECK(count(*r, outcome::in_other_campaign) == 1);
    if (std::string_view(shape) == "live") {
      // Only counters say who was blocked and who bounced: the leads cannot be pinned, so they
      // are server_skipped and the report carries the counters' split.
      CHECK(count(*r, outcome::server_skipped) == 3);
      CHECK(r->rep.network->unattributed.at("blocked") == 2);
      CHECK(r->rep.network->unattributed.at("bounced") == 1);
    } else {
      CHECK(count(*r, outcome::blocked) == 2);
      CHECK(count(*r, outcome::bounced) == 1);
      CHECK(r->rep.by_server()[outcome::blocked] == 2);
    }
    CHECK(s.members(1).size() == 2);  // member + new
  }
}

TEST_CASE("the cross-campaign intent is translated for both semantics") {
  const char* fx = R"({
    "options": {"rate_limit": "none"},
    "campaigns": [{"id": 1, "name": "target"}, {"id": 2, "name": "other"}],
    "leads": [{"email": "elsewhere@acme.io"}],
    "memberships": [{"campaign_id": 2, "email": "elsewhere@acme.io"}]
  })";
  for (const char* semantics : {"observed", "documented"}) {
    CAPTURE(semantics);
    live_sim s(fixture(fx));
    s.option("cross_campaign_flag_semantics", semantics);
    const bool observed = std::string_view(semantics) == "observed";
    auto o = import_to(s, s.write("leads.csv", csv_of({"elsewhere@acme.io"})));
    // Intent "skip": observed sends true, documented sends false.
    o.settings.ignore_duplicate_leads_in_other_campaign = observed;
    auto r = run(o);
    CHECK(count(*r, outcome::in_other_campaign) == 1);
    s.sim().reset();  // back to the fixture, options included
    s.option("cross_campaign_flag_semantics", semantics);
    // Intent "allow": the opposite flag.
    o.settings.ignore_duplicate_leads_in_other_campaign = !observed;
    r = run(o);
    CHECK(count(*r, outcome::added) == 1);
  }
}

TEST_CASE("a real rate limit: 429s pause every sender and every lead still lands") {
  live_sim s(sim::default_config());
  s.option("rate_limit", "5/1s");
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(4000))));
  o.batching.max_leads = 200;  // 20 requests over about four windows
  o.concurrency = 8;
  o.limiter.rules = {};        // the client does not know the limit: it learns from 429s
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 4000);
  CHECK(s.members(1).size() == 4000);
  REQUIRE(r->rep.network.has_value());
  // No storm: after a 429 everyone waits for Retry-After, so each window costs at most the
  // requests in flight beyond its 5 (3 of 8) in 429s: 17-21 over the run's six or seven windows
  // (measured; 21 once under ASan), where resending without the pause would make hundreds.
  CHECK(r->rep.network->rate_limited >= 1);
  CHECK(r->rep.network->rate_limited <= 28);
  CHECK(r->rep.network->paused_seconds > 0);
}

TEST_CASE("configured to the server's limit, the client sends no 429") {
  live_sim s(sim::default_config());
  s.option("rate_limit", "10/1s");
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(3000))));
  o.batching.max_leads = 100;  // 30 requests: three windows
  o.limiter.rules = parse_rate_rules("10/1s").value();
  // 1 s windows leave a 5 ms guard band by default; a loaded test machine (sanitizers, parallel
  // tests) delays sends by more than that, so this test keeps 50 ms.
  o.limiter.window_margin_fraction = 0.05;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 3000);
  REQUIRE(r->rep.network.has_value());
  CHECK(r->rep.network->rate_limited == 0);
  CHECK(r->rep.network->rate_limit_use > 0.9);
}

TEST_CASE("5xx, resets, timeouts and answers lost after commit: exact accounting") {
  live_sim s(sim::default_config());
  s.faults({"import:status=503:p=0.15", "import:status=500:p=0.05", "import:drop-after-commit:p=0.1",
            "import:close-before-answer:p=0.05", "import:truncate:p=0.05",
            "import:latency=1ms..30ms"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(6000))));
  o.batching.max_leads = 100;
  o.retry.max_retries_per_batch = 20;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::added) == 6000);
  CHECK(count(*r, outcome::already_in_campaign) == 0);  // lost answers are confirmed on retry
  CHECK(s.members(1).size() == 6000);
  REQUIRE(r->rep.network.has_value());
  CHECK(r->rep.network->retries > 0);
}

TEST_CASE("timeouts: a slow server is retried and nothing is counted twice") {
  live_sim s(sim::default_config());
  s.faults({"import:latency=2s:p=0.3"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(1600))));
  o.batching.max_leads = 100;
  o.limits.request = std::chrono::milliseconds(500);
  o.retry.max_retries_per_batch = 20;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 1600);
  CHECK(r->rep.network->requests.at("transport_error") > 0);
  CHECK(s.members(1).size() == 1600);
}

TEST_CASE("retries exhausted: the batch's leads are not imported, with the reason") {
  live_sim s(sim::default_config());
  s.faults({"import:status=503"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(10))));
  o.retry.max_retries_per_batch = 2;
  auto r = run(o);
  CHECK(r->rc == 1);
  CHECK(count(*r, outcome::not_imported_retries_exhausted) == 10);
  CHECK(r->rep.balanced());
}

// A 504 is a gateway that gave up waiting for a slow answer: retried, but no reason to slow the
// rate (that only stretches the job); the run suggests smaller batches.
TEST_CASE("504s are retried without cutting the pace, with a batch size hint") {
  live_sim s(sim::default_config());
  s.faults({"import:nth=1:status=504", "import:nth=3:status=504"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(400))));
  o.batching.max_leads = 50;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 400);
  REQUIRE(r->rep.network.has_value());
  CHECK(r->rep.network->pace_cuts == 0);
  CHECK(std::any_of(r->rep.warnings.begin(), r->rep.warnings.end(), [](const std::string& w) {
    return w.starts_with("2 answers were 504") &&
           w.find("--batch-size (such as 50)") != std::string::npos;
  }));
}

TEST_CASE("a 400 naming elements sets those leads aside and sends the rest") {
  live_sim s(sim::default_config());
  // A server that takes fewer custom fields than we know of: the two leads with a third one
  // are named by the 400.
  s.option("max_custom_fields", "2");
  std::string csv = "email,Tier,Plan,Note\n";
  const std::vector<std::string> emails = addresses(50);
  for (std::size_t i = 0; i < emails.size(); ++i) {
    csv += emails[i] + ",A,B," + (i == 10 || i == 40 ? "third" : "") + "\n";
  }
  auto o = import_to(s, s.write("leads.csv", csv));
  auto r = run(o);
  CHECK(r->rc == 1);
  CHECK(count(*r, outcome::rejected_by_server) == 2);
  CHECK(count(*r, outcome::added) == 48);
  CHECK(s.members(1).size() == 48);
}

// The policy accepts a non-ASCII local part (flag smtputf8) and a backtick; the contract's server
// rule (§7.1) does not, and §11.4 says such a request is never sent. Even a server that rejects
// the whole call for one bad address then costs nothing.
TEST_CASE("addresses the API's rule refuses are settled locally, never sent") {
  live_sim s(sim::default_config());
  s.option("invalid_email_policy", "reject_request");
  std::vector<std::string> emails = addresses(50);
  emails[10] = "jos\xC3\xA9@acme.io";
  emails[20] = "a`b@acme.io";
  emails[40] = "m\xC3\xBCller@acme.io";
  auto o = import_to(s, s.write("leads.csv", csv_of(emails)));
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::invalid_email) == 3);
  CHECK(count(*r, outcome::added) == 47);
  CHECK(s.members(1).size() == 47);
  CHECK(r->rep.network->requests.count("400") == 0);
  CHECK(r->rep.to_json().find("\"smtputf8\":2") != std::string::npos);
}

TEST_CASE("a 400 naming no element is bisected so one bad lead costs only itself") {
  live_sim s(sim::default_config());
  s.faults({"import:nth=1:status=400"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(64))));
  auto r = run(o);
  CHECK(r->rep.balanced());
  // The first request failed as a whole; its halves went through.
  CHECK(count(*r, outcome::added) == 64);
  CHECK(r->rep.network->requests.at("400") == 1);
}

TEST_CASE("a size complaint halves the batch size for the rest of the job") {
  live_sim s(sim::default_config());
  s.option("max_leads_per_request", "100");
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(1000))));
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 1000);
  CHECK(s.members(1).size() == 1000);
  // The cut is reported: the size the job ended with, and a warning with the flag to set.
  CHECK(r->rep.settings.at("batch_size_final") == "100");
  CHECK(std::any_of(r->rep.warnings.begin(), r->rep.warnings.end(), [](const std::string& w) {
    return w.find("--batch-size 100 avoids the refusals") != std::string::npos;
  }));
}

// A proxy's body limit (nginx's client_max_body_size): 413s cut the batches, and the warning
// names the smallest refused body and --max-body-bytes.
TEST_CASE("413 answers cut the batch size, with a warning naming --max-body-bytes") {
  live_sim s(sim::default_config());
  s.faults({"import:nth=1:status=413", "import:nth=2:status=413"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(1000))));
  o.concurrency = 1;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(s.members(1).size() == 1000);
  CHECK(r->rep.settings.at("batch_size_final") == "100");
  CHECK(std::any_of(r->rep.warnings.begin(), r->rep.warnings.end(), [](const std::string& w) {
    return w.find("2 requests were refused as too large (413") != std::string::npos &&
           w.find("--max-body-bytes") != std::string::npos;
  }));
}

// A server slower than --request-timeout but alive: the retry after a timed-out attempt waits
// twice as long and gets the answer, which confirms the leads the lost attempt added.
TEST_CASE("a retry after a timed-out attempt waits longer and gets the answer") {
  live_sim s(sim::default_config());
  s.faults({"import:latency=1200ms"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(30))));
  o.limits.request = std::chrono::milliseconds(800);
  o.retry.first_backoff = std::chrono::milliseconds(10);
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 30);
  CHECK(s.members(1).size() == 30);
  CHECK(r->rep.network->requests.at("200") >= 1);
  CHECK(r->rep.network->requests.at("transport_error") == 1);  // one lost answer, one retry
}

// Answers slower than --request-timeout: the work was done, the answers were lost. The rows
// say they may have been added, a warning explains, and --resume confirms them.
TEST_CASE("answers lost to --request-timeout: given-up leads say they may have been added") {
  live_sim s(sim::default_config());
  s.faults({"import:latency=1500ms"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(30))));
  o.limits.request = std::chrono::milliseconds(500);
  o.retry.max_retries_per_batch = 1;
  o.retry.first_backoff = std::chrono::milliseconds(10);
  auto r = run(o);
  CHECK(r->rc == 1);
  CHECK(count(*r, outcome::not_imported_retries_exhausted) == 30);
  const auto mentions = [&](std::string_view what) {
    return std::any_of(r->rep.warnings.begin(), r->rep.warnings.end(),
                       [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  CHECK(mentions("got no answer within --request-timeout (0.5 s)"));
  CHECK(
      mentions("30 leads not imported after their retries ran out had an attempt that got no "
               "answer"));
}

// A nightly run overlapping a slow one, or a --resume of a job that is not dead: refused while the
// first holds its lock, fine once it has ended.
TEST_CASE("a second import of the same input into the same campaign is refused while one runs") {
  live_sim s(sim::default_config());
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(20))));
  o.state_dir = s.file("state");
  REQUIRE(run(o)->rc == 0);
  std::string lock_path;
  for (const auto& e : std::filesystem::directory_iterator(o.state_dir)) {
    if (e.path().extension() == ".lock") lock_path = e.path().string();
  }
  REQUIRE_FALSE(lock_path.empty());
  {
    // The running job: another open file description holding the lock.
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    std::string message;
    try {
      (void)run(o);
    } catch (const std::exception& e) {
      message = e.what();
    }
    CHECK(message.find("another import of this input into campaign 1 is running") !=
          std::string::npos);
    ::close(fd);
  }
  CHECK(run(o)->rc == 0);
  CHECK(s.members(1).size() == 20);
}

TEST_CASE("401: the job stops with a clear reason and every row accounted") {
  live_sim s(sim::default_config());
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(900))));
  o.api_key = "wrong-key";
  auto r = run(o);
  CHECK(r->rc == 3);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::not_imported_auth) == 900);
  CHECK(r->rep.stop_reason.find("API key was refused (401)") != std::string::npos);
  CHECK(r->rep.stop_reason.find("wrong-key") == std::string::npos);
}

TEST_CASE("404: an unknown campaign stops the job") {
  live_sim s(sim::default_config());
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(10))), 99);
  auto r = run(o);
  CHECK(r->rc == 3);
  CHECK(count(*r, outcome::not_imported_campaign_missing) == 10);
}

TEST_CASE("lead credit running out: partial batch, then every remaining lead not imported") {
  live_sim s(fixture(R"({
    "options": {"rate_limit": "none"},
    "accounts": [{"id": 1, "api_keys": ["sim-key"], "lead_credit_remaining": 450}],
    "campaigns": [{"id": 1, "name": "target"}]
  })"));
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(1200))));
  o.concurrency = 1;
  auto r = run(o);
  CHECK(r->rc == 1);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::added) == 450);
  CHECK(count(*r, outcome::not_imported_lead_credit) == 750);
  CHECK(s.members(1).size() == 450);
  CHECK(r->rep.stop_reason.find("lead credit") != std::string::npos);
}

TEST_CASE("a server that closes keep-alive connections after every 2 requests") {
  live_sim s(sim::default_config());
  s.option("keepalive_max", "2");
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(4000))));
  o.batching.max_leads = 100;
  o.concurrency = 2;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 4000);
  CHECK(r->rep.network->requests.count("transport_error") == 0);
  CHECK(s.members(1).size() == 4000);
}

TEST_CASE("answers ended by closing the connection (no length, no close_notify) are read whole") {
  live_sim s(sim::default_config());
  s.faults({"import:eof-body:p=0.5"});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(4000))));
  o.batching.max_leads = 100;
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(count(*r, outcome::added) == 4000);
  CHECK(r->rep.network->requests.count("transport_error") == 0);
  CHECK(r->rep.network->retries == 0);
  CHECK(s.members(1).size() == 4000);
}

namespace {

// Imports `leads` addresses in batches of 100, one request at a time, with `fault` injected:
// the cases below count exactly which batches were answered before the job stopped.
auto run_one_at_a_time(live_sim& s, const std::string& fault, std::size_t leads) {
  s.faults({fault});
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(leads))));
  o.batching.max_leads = 100;
  o.concurrency = 1;
  return run(o);
}

}  // namespace

TEST_CASE("a web page where the API should be: the job stops after three, saying why") {
  live_sim s(sim::default_config());
  auto r = run_one_at_a_time(s, "import:status=200:html", 4000);
  CHECK(r->rc != 0);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::not_imported_retries_exhausted) == 300);  // three batches
  CHECK(count(*r, outcome::not_imported_stopped) == 3700);
  CHECK(r->rep.stop_reason.find("is --base-url the API's address") != std::string::npos);
  CHECK(r->rep.stop_reason.find("Content-Type: text/plain") != std::string::npos);
  CHECK(r->rep.network->requests.at("200") == 3);
}

TEST_CASE("ok: false with no word on any lead: the batch is refused with the server's text") {
  live_sim s(sim::default_config());
  auto r = run_one_at_a_time(s, "import:status=200:refuse", 2000);
  CHECK(r->rc != 0);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::rejected_by_server) == 300);
  CHECK(count(*r, outcome::not_imported_stopped) == 1700);
  CHECK(count(*r, outcome::server_skipped) == 0);
  CHECK(r->rep.stop_reason.find("injected refusal") != std::string::npos);
}

TEST_CASE("a redirect stops the job instead of rejecting every batch") {
  live_sim s(sim::default_config());
  auto r = run_one_at_a_time(s, "import:status=308", 2000);
  CHECK(r->rc != 0);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::not_imported_stopped) == 2000);
  CHECK(count(*r, outcome::rejected_by_server) == 0);
  CHECK(r->rep.stop_reason.find("redirects (308)") != std::string::npos);
  CHECK(r->rep.network->requests.at("308") == 1);
}

TEST_CASE("plain http works on loopback, and an untrusted certificate is refused") {
  {
    live_sim s(sim::default_config(), false);
    auto o = import_to(s, s.write("leads.csv", csv_of(addresses(10))));
    o.tls.ca_file.clear();
    auto r = run(o);
    CHECK(r->rc == 0);
    CHECK(count(*r, outcome::added) == 10);
  }
  live_sim s(sim::default_config());
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(10))));
  o.tls.ca_file.clear();  // the simulator's private CA is not trusted
  auto r = run(o);
  CHECK(r->rc == 3);
  CHECK(r->rep.balanced());
  CHECK(r->rep.stop_reason.find("not trusted") != std::string::npos);
  CHECK(r->rep.stop_reason.find("--ca-file FILE trusts the CA") != std::string::npos);
  CHECK(s.members(1).empty());
}

TEST_CASE("--dry-run sends nothing and counts the requests the job needs") {
  live_sim s(sim::default_config());
  auto o = import_to(s, s.write("leads.csv", csv_of(addresses(1234))));
  o.dry_run = true;
  o.limiter.rules = parse_rate_rules("default").value();
  auto r = run(o);
  CHECK(r->rc == 0);
  CHECK(r->rep.balanced());
  CHECK(count(*r, outcome::accepted) == 1234);
  REQUIRE(r->rep.network.has_value());
  CHECK(r->rep.network->batches == 4);
  CHECK(s.state_int("requests") == 0);
  CHECK(s.members(1).empty());
}

TEST_CASE("certificates made at test time: expired and for another host are refused") {
  sim::tls_cert_spec expired;
  expired.not_before_seconds = -2 * 86'400;
  expired.not_after_seconds = -86'400;
  sim::tls_cert_spec other_host;
  other_host.subject_alt_names = "DNS:api.example.org";
  for (const auto* spec : {&expired, &other_host}) {
    live_sim s(sim::default_config(), true, *spec);
    auto o = import_to(s, s.write("leads.csv", csv_of(addresses(5))));  // trusts the CA
    auto r = run(o);
    CHECK(r->rc == 3);
    CHECK(r->rep.balanced());
    CHECK(r->rep.stop_reason.find("not trusted") != std::string::npos);
    CHECK(s.members(1).empty());
  }
}

// An input that breaks part-way (a truncated gzip): the rows before the break are imported and
// have their outcomes, the last batch being packed included (QA: its leads had none), and the
// report adds up.
TEST_CASE("a truncated gzip input: every row read before the break has its outcome") {
  live_sim s(sim::default_config());
  const std::string packed = leadpipe::test::gzip(csv_of(addresses(3000)));
  auto o = import_to(s, s.write("leads.csv.gz", packed.substr(0, packed.size() / 2)));
  o.batching.max_leads = 400;
  bool threw = false;
  try {
    (void)run(o);
  } catch (const leadpipe::source_error& e) {
    threw = true;
    CHECK(std::string_view(e.what()).find("were read and have their outcomes") !=
          std::string_view::npos);
  }
  CHECK(threw);
  std::ifstream in(s.file("outcomes.csv"));
  std::string line;
  std::size_t rows = 0;
  std::size_t added = 0;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    ++rows;
    if (line.find(",added,") != std::string::npos) ++added;
  }
  CHECK(rows > 400);
  CHECK(rows % 400 != 0);  // the unfinished last batch is there too
  CHECK(added == rows);
  CHECK(s.members(1).size() == rows);
}
