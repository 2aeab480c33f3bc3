#include "support/sim_harness.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "leadpipe/json_writer.hpp"
#include "sim/tls_cert.hpp"

namespace leadpipe::testing {

sim_harness::sim_harness(sim::sim_config cfg, transport t, unsigned threads) {
  sim_ = std::make_unique<sim::simulator>(std::move(cfg), clock);
  sim::server_options opts;
  opts.threads = threads;
  if (t == transport::tls) {
    const sim::tls_material m = sim::make_private_tls();
    ca_pem_ = m.ca_cert_pem;
    opts.tls = true;
    opts.cert_pem = m.server_cert_pem;
    opts.key_pem = m.server_key_pem;
  }
  server_ = std::make_unique<sim::server>(*sim_, opts);
  server_->start();
}

sim_harness::~sim_harness() { server_->stop(); }

http_client sim_harness::client() const { return http_client(server_->port(), ca_pem_); }

std::uint16_t sim_harness::port() const { return server_->port(); }

std::string api(std::string_view path, std::string_view query, std::string_view key) {
  return fmt::format("/api/v1{}?api_key={}{}{}", path, key, query.empty() ? "" : "&", query);
}

json_doc::json_doc(std::string_view text) {
  const simdjson::padded_string padded(text);
  valid_ = parser_.parse(padded).get(root_) == simdjson::SUCCESS;
}

simdjson::dom::element json_doc::operator[](std::string_view key) const {
  simdjson::dom::element e;
  const auto err = root_[key].get(e);
  CHECK_MESSAGE(err == simdjson::SUCCESS, "missing key ", key);
  return e;
}

std::int64_t json_doc::integer(std::string_view key) const {
  std::int64_t v = -1;
  CHECK_MESSAGE(root_[key].get_int64().get(v) == simdjson::SUCCESS, "not an integer: ", key);
  return v;
}

std::string json_doc::text(std::string_view key) const {
  std::string_view v;
  CHECK_MESSAGE(root_[key].get_string().get(v) == simdjson::SUCCESS, "not a string: ", key);
  return std::string(v);
}

bool json_doc::flag(std::string_view key) const {
  bool v = false;
  CHECK_MESSAGE(root_[key].get_bool().get(v) == simdjson::SUCCESS, "not a boolean: ", key);
  return v;
}

bool json_doc::has(std::string_view key) const { return root_[key].error() == simdjson::SUCCESS; }

std::string leads_body(std::initializer_list<std::string_view> emails, std::string_view extra) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("lead_list").begin_array();
  for (const auto e : emails) w.begin_object().key("email").value(e).end_object();
  w.end_array();
  if (!extra.empty()) {
    out.push_back(',');
    out.append(extra);
  }
  out.push_back('}');
  return out;
}

}  // namespace leadpipe::testing
