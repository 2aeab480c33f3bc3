#pragma once
// Test-only: a live simulator (system clock, TLS with a private CA written to a temp file) for
// the import's integration tests, plus helpers to run an import and read the simulator's state.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>
#include <simdjson.h>

#include "leadpipe/net/import_job.hpp"
#include "sim/clock.hpp"
#include "sim/faults.hpp"
#include "sim/fixture.hpp"
#include "sim/server.hpp"
#include "sim/simulator.hpp"
#include "sim/tls_cert.hpp"

namespace leadpipe::testing {

namespace fs = std::filesystem;

/// A simulator served over TLS on 127.0.0.1:0 with the real clock. Its rate limit starts off
/// ("none") so that tests which are not about rate limiting do not wait for windows; set it with
/// option("rate_limit", ...).
class live_sim {
 public:
  explicit live_sim(sim::sim_config cfg, bool tls = true, const sim::tls_cert_spec& cert = {}) {
    cfg.options.rate_limit = {};
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("leadpipe_import_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(dir_);
    sim_ = std::make_unique<sim::simulator>(std::move(cfg), clock_);
    sim::server_options so;
    so.threads = 2;
    if (tls) {
      const sim::tls_material m = sim::make_private_tls(cert);
      so.tls = true;
      so.cert_pem = m.server_cert_pem;
      so.key_pem = m.server_key_pem;
      ca_file_ = (dir_ / "ca.pem").string();
      std::ofstream(ca_file_) << m.ca_cert_pem;
    }
    server_ = std::make_unique<sim::server>(*sim_, so);
    server_->start();
  }
  ~live_sim() {
    server_->stop();
    fs::remove_all(dir_);
  }
  live_sim(const live_sim&) = delete;
  live_sim& operator=(const live_sim&) = delete;

  [[nodiscard]] std::string url() const { return server_->url(); }
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }
  [[nodiscard]] sim::simulator& sim() { return *sim_; }
  [[nodiscard]] const fs::path& dir() const { return dir_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return file(name);
  }
  void option(std::string_view name, std::string_view value) {
    std::string msg;
    REQUIRE_MESSAGE(sim_->set_option(name, value, &msg).has_value(), msg);
  }
  void faults(const std::vector<std::string>& texts, std::uint64_t seed = 7) {
    std::vector<sim::fault_rule> rules;
    for (const auto& t : texts) {
      std::string msg;
      auto r = sim::parse_fault(t, &msg);
      REQUIRE_MESSAGE(r.has_value(), msg);
      rules.push_back(*r);
    }
    sim_->set_faults(std::move(rules), seed);
  }
  /// Emails of a campaign's members, lower-cased.
  [[nodiscard]] std::vector<std::string> members(std::int64_t campaign) const {
    const std::string json = sim_->state_json(true);
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(json);
    std::vector<std::string> out;
    for (simdjson::dom::element c : doc["campaigns"].get_array()) {
      if (int64_t(c["id"]) != campaign) continue;
      for (simdjson::dom::element m : c["members"].get_array()) {
        std::string e{std::string_view(m["email"])};
        for (char& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out.push_back(e);
      }
    }
    return out;
  }
  [[nodiscard]] std::int64_t state_int(std::string_view key) const {
    const std::string json = sim_->state_json(false);
    simdjson::dom::parser p;
    return int64_t(p.parse(json)[key]);
  }

 private:
  fs::path dir_;
  std::string ca_file_;
  sim::system_sim_clock clock_;
  std::unique_ptr<sim::simulator> sim_;
  std::unique_ptr<sim::server> server_;
};

/// Import options pointing at `s`, fast retries, no journal unless asked.
inline net::import_options import_to(const live_sim& s, const std::string& input,
                                     std::int64_t campaign = 1) {
  net::import_options o;
  o.cpu.input = input;
  o.cpu.progress = progress_mode::off;
  o.cpu.record_accepted = false;
  o.base_url = s.url();
  o.api_key = "sim-key";
  o.campaign_id = campaign;
  o.tls.ca_file = s.ca_file();
  o.limiter.rules = {};
  o.limiter.first_429_wait = std::chrono::milliseconds(50);
  o.retry.first_backoff = std::chrono::milliseconds(5);
  o.retry.max_backoff = std::chrono::milliseconds(50);
  o.retry.job_retry_budget = 1000;
  o.concurrency = 4;
  o.limits.request = std::chrono::milliseconds(5000);
  o.outcomes_path = s.file("outcomes.csv");
  o.rejects_path = s.file("rejects.csv");
  return o;
}

struct import_run {
  int rc = -1;
  report rep{"import"};
};

inline std::unique_ptr<import_run> run(const net::import_options& o) {
  auto r = std::make_unique<import_run>();
  std::atomic<bool> stop{false};
  std::atomic<bool> abandon{false};
  r->rep.start_clock();
  r->rc = net::run_import(o, r->rep, stop, abandon);
  r->rep.stop_clock();
  return r;
}

/// A CSV with header "email,first_name,Tier" and one row per address.
inline std::string csv_of(const std::vector<std::string>& emails) {
  std::string out = "email,first_name,Tier\n";
  for (std::size_t i = 0; i < emails.size(); ++i) {
    out += emails[i] + ",Name" + std::to_string(i) + ",A\n";
  }
  return out;
}

inline std::vector<std::string> addresses(std::size_t n, std::string_view prefix = "lead") {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(std::string(prefix) + std::to_string(i) + "@acme.io");
  return out;
}

}  // namespace leadpipe::testing
