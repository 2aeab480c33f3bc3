#pragma once
// Test-only: a simulator served in-process on 127.0.0.1:0 (plain or TLS with a fresh private
// CA) with a manual clock, plus JSON helpers, for the contract tests over real sockets.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <simdjson.h>

#include "sim/server.hpp"
#include "sim/simulator.hpp"
#include "support/http_client.hpp"

namespace leadpipe::testing {

/// 2026-01-05T09:30:00.000Z, the contract's example time, as the manual clock's start.
inline constexpr std::int64_t kStartMs = 1'767'605'400'000;

enum class transport { http, tls };

/// Owns clock, simulator and server; stops the server on destruction. Not thread-safe.
class sim_harness {
 public:
  explicit sim_harness(sim::sim_config cfg = sim::default_config("sim-key", kStartMs),
                       transport t = transport::http, unsigned threads = 2);
  ~sim_harness();

  [[nodiscard]] http_client client() const;
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const std::string& ca_pem() const { return ca_pem_; }
  [[nodiscard]] sim::simulator& sim() { return *sim_; }
  sim::manual_clock clock{kStartMs};

 private:
  std::string ca_pem_;
  std::unique_ptr<sim::simulator> sim_;
  std::unique_ptr<sim::server> server_;
};

/// Runs fn(harness, client) twice, on a fresh default simulator served over plain HTTP and then
/// over TLS (the client trusting the generated CA), so one test body covers both transports.
template <typename Fn>
void for_each_transport(Fn&& fn) {
  for (const transport t : {transport::http, transport::tls}) {
    const std::string name = t == transport::tls ? "tls" : "http";
    CAPTURE(name);
    sim_harness h(sim::default_config("sim-key", kStartMs), t);
    http_client c = h.client();
    fn(h, c);
  }
}

/// "/api/v1<path>?api_key=<key>[&<query>]".
[[nodiscard]] std::string api(std::string_view path, std::string_view query = {},
                              std::string_view key = "sim-key");

/// A parsed JSON document that owns its parser (so elements stay valid while it lives).
class json_doc {
 public:
  explicit json_doc(std::string_view text);
  json_doc(const json_doc&) = delete;
  json_doc& operator=(const json_doc&) = delete;
  [[nodiscard]] bool valid() const { return valid_; }
  [[nodiscard]] simdjson::dom::element root() const { return root_; }
  [[nodiscard]] simdjson::dom::element operator[](std::string_view key) const;
  /// Shorthands that fail the current test on a missing key or wrong type.
  [[nodiscard]] std::int64_t integer(std::string_view key) const;
  [[nodiscard]] std::string text(std::string_view key) const;
  [[nodiscard]] bool flag(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const;

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool valid_ = false;
};

/// A lead_list body: {"lead_list":[{"email": e}, ...]} plus `extra` (raw members after the list,
/// e.g. R"("settings":{"return_lead_ids":true})").
[[nodiscard]] std::string leads_body(std::initializer_list<std::string_view> emails,
                                     std::string_view extra = {});

}  // namespace leadpipe::testing
