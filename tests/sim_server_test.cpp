// The server and the control endpoints: keep-alive, TLS trust, /_sim/ state, reset and config,
// and the leadpipe-sim executable itself (flags, start-up line, port file, SIGTERM, state dump).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <sys/wait.h>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/tls_cert.hpp"
#include "support/sim_harness.hpp"

using namespace leadpipe::testing;
using leadpipe::sim::default_config;

namespace {

const std::string kBinary = LEADPIPE_BINARY_DIR "/sim/leadpipe-sim";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("keep-alive: many requests over one connection") {
  for (const transport t : {transport::http, transport::tls}) {
    sim_harness h(default_config("sim-key", kStartMs), t);
    http_client c = h.client();
    for (int i = 0; i < 20; ++i) REQUIRE(c.get(api("/campaigns")).status == 200);
    CHECK(c.connections_opened() == 1);
    CHECK(c.connected());
  }
}

TEST_CASE("TLS: the generated CA is the only trust anchor that works") {
  sim_harness h(default_config("sim-key", kStartMs), transport::tls);
  http_client trusted = h.client();
  CHECK(trusted.get(api("/campaigns")).status == 200);
  http_client stranger(h.port(), leadpipe::sim::make_private_tls().ca_cert_pem);
  auto r = stranger.get(api("/campaigns"));
  CHECK_FALSE(r.ok());
  http_client plain(h.port());
  CHECK_FALSE(plain.get(api("/campaigns")).ok());
}

TEST_CASE("GET /_sim/state reports members, lists and counters") {
  sim_harness h;
  http_client c = h.client();
  REQUIRE(c.post(api("/campaigns/1/leads"), leads_body({"a@example.org", "b@example.org"})).status == 200);
  REQUIRE(c.post(api("/leads/add-domain-block-list"), R"({"domain_block_list":["rival.example"]})").status == 200);
  json_doc lead(c.get(api("/leads/", "email=b%40example.org")).body);
  REQUIRE(c.post(api(fmt::format("/leads/{}/unsubscribe", lead.integer("id"))), "").status == 200);
  CHECK(c.get(api("/campaigns/99")).status == 404);
  json_doc s(c.get("/_sim/state").body);
  REQUIRE(s.valid());
  CHECK(s.integer("requests") == 5);
  CHECK(s.integer("in_flight") == 0);
  CHECK(s.integer("max_in_flight") == 1);
  CHECK(s["counters"]["import"]["200"].get_int64().value() == 1);
  CHECK(s["counters"]["campaign_get"]["404"].get_int64().value() == 1);
  CHECK(s["rate_windows"]["sim-key"].at(0)["count"].get_int64().value() == 5);
  auto campaign = s["campaigns"].at(0);
  CHECK(campaign["member_count"].get_int64().value() == 2);
  CHECK(campaign["members"].at(1)["email"].get_string().value() == "b@example.org");
  CHECK(campaign["members"].at(0)["status"].get_string().value() == "STARTED");
  CHECK(s["block_list"].at(0)["email_or_domain"].get_string().value() == "rival.example");
  CHECK(s["unsubscribed"].at(0)["email"].get_string().value() == "b@example.org");
  CHECK(s["options"]["rate_limit"].get_string().value() == "60/60s");
  CHECK(s["faults"]["rules"].get_array().size() == 0);
  CHECK(s.text("now") == "2026-01-05T09:30:00.000Z");
  json_doc lean(c.get("/_sim/state?members=0").body);
  CHECK_FALSE(lean["campaigns"].at(0)["members"].error() == simdjson::SUCCESS);
  CHECK(c.get("/_sim/health").body == R"({"ok":true})");
  CHECK(c.get("/_sim/nothing").status == 404);
  CHECK(c.post("/_sim/config", "[not json").status == 400);
  CHECK(c.post("/_sim/config", R"({"faults":["import:wobble"]})").status == 400);
  CHECK(c.post("/_sim/config", R"({"accounts":[{"id":42,"lead_credit_remaining":1}]})").status == 400);
}

TEST_CASE("POST /_sim/reset returns to the start-up state, options and counters") {
  sim_harness h;
  http_client c = h.client();
  REQUIRE(c.post(api("/campaigns/create"), R"({"name":"temp"})").status == 200);
  REQUIRE(c.post(api("/campaigns/1/leads"), leads_body({"a@example.org"})).status == 200);
  REQUIRE(c.post("/_sim/config", R"({"options":{"response_shape":"live","rate_limit":"2/60s"}})").status == 200);
  REQUIRE(c.post("/_sim/reset", "").status == 200);
  json_doc s(c.get("/_sim/state").body);
  CHECK(s["campaigns"].get_array().size() == 2);
  CHECK(s.integer("lead_count") == 0);
  CHECK(s.integer("requests") == 0);
  CHECK(s["options"]["response_shape"].get_string().value() == "both");
  CHECK(s["options"]["rate_limit"].get_string().value() == "60/60s");
  CHECK(c.get(api("/campaigns")).header("X-RateLimit-Remaining") == "59");
}

TEST_CASE("leadpipe-sim --help documents every flag") {
  FILE* p = popen((kBinary + " --help").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  CHECK(pclose(p) == 0);
  for (const char* flag :
       {"--bind", "--port", "--port-file", "--threads", "--tls", "--cert", "--key", "--ca-out",
        "--fixture", "--api-key", "--rate-limit", "--lead-credit", "--bounce", "--id-start", "--fault",
        "--fault-seed", "--state-dump", "--max-leads-per-request", "--max-custom-fields",
        "--strict-lead-keys", "--cross-campaign-flag-semantics", "--always-emit-other-campaign-count",
        "--rate-limit-headers-on-get-only", "--plain-text-success-on-delete", "--response-shape",
        "--invalid-email-policy", "--keepalive-max"}) {
    CAPTURE(flag);
    CHECK(out.find(flag) != std::string::npos);
  }
}

TEST_CASE("leadpipe-sim starts, serves, and stops cleanly on SIGTERM with a state dump") {
  const std::string dir = LEADPIPE_BINARY_DIR "/tests";
  const std::string port_file = dir + "/sim_server_test.port";
  const std::string dump = dir + "/sim_server_test.dump.json";
  const std::string ca = dir + "/sim_server_test.ca.pem";
  std::remove(dump.c_str());
  const std::string cmd = fmt::format(
      "echo $$; exec {} --port 0 --port-file {} --state-dump {} --tls --ca-out {} --rate-limit none "
      "--fixture " LEADPIPE_SOURCE_DIR "/sim/fixtures/demo.json",
      kBinary, port_file, dump, ca);
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char line[512];
  REQUIRE(std::fgets(line, sizeof line, p) != nullptr);
  const pid_t pid = std::stoi(line);
  REQUIRE(std::fgets(line, sizeof line, p) != nullptr);  // blocks until the server is up
  const std::string serving = line;
  CHECK(serving.find("leadpipe-sim: serving https://127.0.0.1:") == 0);
  const auto port = static_cast<std::uint16_t>(std::stoi(slurp(port_file)));
  CHECK(serving.find(fmt::format(":{}/api/v1", port)) != std::string::npos);
  http_client c(port, slurp(ca));
  auto r = c.get(api("/campaigns/1/leads"));
  CHECK(r.status == 200);
  CHECK(json_doc(r.body).text("total_leads") == "1");  // seeded by the demo fixture
  CHECK_FALSE(r.has_header("X-RateLimit-Limit"));       // --rate-limit none
  REQUIRE(kill(pid, SIGTERM) == 0);
  std::string rest;
  while (std::fgets(line, sizeof line, p) != nullptr) rest += line;
  const int status = pclose(p);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(rest.find("leadpipe-sim: stopped") != std::string::npos);
  json_doc d(slurp(dump));
  CHECK(d.valid());
  CHECK(d.integer("requests") == 1);
}

TEST_CASE("leadpipe-sim refuses bad flags with exit code 2") {
  for (const char* args : {"--rate-limit fast", "--fault import:wobble", "--response-shape fancy",
                           "--fixture /nonexistent.json", "--no-such-flag"}) {
    CAPTURE(args);
    const int status = std::system(fmt::format("{} {} > /dev/null 2>&1", kBinary, args).c_str());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
  }
}
