// leadpipe-sim: a local SmartLead stand-in (contract in shared/smartlead-api.md). Parses flags,
// builds the simulator from a fixture or the default set-up, serves until SIGINT/SIGTERM.
// Exit codes: 0 clean stop, 1 start-up failure (address in use, TLS, files), 2 bad flags/fixture.
#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "sim/fixture.hpp"
#include "sim/server.hpp"
#include "sim/tls_cert.hpp"

namespace {

using namespace leadpipe::sim;

// The §10/§11 options, each also a flag: --max-leads-per-request 100, --response-shape live, ...
constexpr std::array<std::pair<const char*, const char*>, 10> kOptionFlags = {{
    {"max_leads_per_request", "most leads per add-leads call (default 400)"},
    {"max_custom_fields", "most custom fields per lead (default 200)"},
    {"strict_lead_keys", "true|false: reject unknown lead keys with 400 (default true)"},
    {"cross_campaign_flag_semantics", "observed|documented (§7.3, default observed)"},
    {"always_emit_other_campaign_count", "true|false: always send skipped_in_other_campaign_count"},
    {"rate_limit_headers_on_get_only", "true|false: X-RateLimit-* only on GET replies"},
    {"plain_text_success_on_delete", "true|false: DELETE lead answers text 'success'"},
    {"response_shape", "both|live|guide: keys of the add-leads reply (§11.1, default both)"},
    {"invalid_email_policy", "count|reject_request (§11.5, default count)"},
    {"keepalive_max", "close a keep-alive connection after N requests (0 = never)"},
}};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error(fmt::format("{}: cannot write", path));
}

std::string dashed(std::string_view name) {
  std::string flag = "--";
  for (const char c : name) flag.push_back(c == '_' ? '-' : c);
  return flag;
}

struct flags {
  server_options net;
  std::string port_file;
  std::string cert_file;
  std::string key_file;
  std::string ca_out;
  std::string fixture;
  std::string api_key = "sim-key";
  std::string rate_limit;
  std::string lead_credit;
  std::vector<std::string> bounces;
  std::int64_t id_start = 0;
  std::vector<std::string> faults;
  std::uint64_t fault_seed = 0;
  std::string state_dump;
  std::array<std::string, kOptionFlags.size()> option_values;
};

void add_flags(CLI::App& app, flags& f) {
  app.add_option("--bind", f.net.bind_address, "address to listen on (default 127.0.0.1)");
  app.add_option("--port", f.net.port, "port; 0 picks a free one (default 0)");
  app.add_option("--port-file", f.port_file, "write the chosen port to this file");
  app.add_option("--threads", f.net.threads, "worker threads (default 2)")->check(CLI::Range(1, 64));
  app.add_flag("--tls", f.net.tls, "serve HTTPS (TLS 1.2+); without --cert/--key a private CA is made");
  app.add_option("--cert", f.cert_file, "server certificate chain (PEM) for --tls");
  app.add_option("--key", f.key_file, "server private key (PEM) for --tls");
  app.add_option("--ca-out", f.ca_out, "write the generated CA certificate (PEM) here");
  app.add_option("--fixture", f.fixture, "seed data and settings (JSON, see docs/simulator.md)");
  app.add_option("--api-key", f.api_key, "API key of the default account (default sim-key)");
  app.add_option("--rate-limit", f.rate_limit,
                 "rules per API key: 60/60s,1000/1h, a preset (default, legacy, standard_tier, "
                 "pro_tier) or none (default: default)");
  app.add_option("--lead-credit", f.lead_credit, "lead credit of every account: N or unlimited");
  app.add_option("--bounce", f.bounces, "add an address to the community bounce set (repeatable)");
  app.add_option("--id-start", f.id_start, "first id handed out (default 3000000001; not with --fixture)");
  app.add_option("--fault", f.faults,
                 "ROUTE:ITEM[:ITEM...], e.g. import:status=503:p=0.1, import:drop-after-commit:p=0.05, "
                 "import:latency=500ms..5s, import:nth=3:status=500, '*:close-before-answer:p=0.01', "
                 "import:truncate:p=0.01, import:burst429=5:every=100 (repeatable)");
  app.add_option("--fault-seed", f.fault_seed, "seed of the fault injector (default 1)");
  app.add_option("--state-dump", f.state_dump, "write the /_sim/state JSON here on shutdown");
  for (std::size_t i = 0; i < kOptionFlags.size(); ++i) {
    app.add_option(dashed(kOptionFlags[i].first), f.option_values[i], kOptionFlags[i].second);
  }
}

// Fixture (or the default set-up), then flags on top. Throws CLI::ValidationError for bad input.
sim_config build_config(const flags& f, std::int64_t now) {
  std::string why;
  if (!f.fixture.empty() && f.id_start != 0) {
    throw CLI::ValidationError("--id-start", "use the fixture's \"id_start\" with --fixture");
  }
  sim_config cfg;
  if (!f.fixture.empty()) {
    auto loaded = load_fixture_file(f.fixture, f.api_key, now, &why);
    if (!loaded) throw CLI::ValidationError("--fixture", why);
    cfg = std::move(*loaded);
  } else {
    cfg = default_config(f.api_key, now, f.id_start != 0 ? f.id_start : kDefaultIdStart);
  }
  const auto set = [&](std::string_view name, const std::string& value) {
    if (!value.empty() && !set_option(cfg.options, name, value, &why)) {
      throw CLI::ValidationError(dashed(name), why);
    }
  };
  set("rate_limit", f.rate_limit);
  for (std::size_t i = 0; i < kOptionFlags.size(); ++i) set(kOptionFlags[i].first, f.option_values[i]);
  for (const auto& text : f.faults) {
    auto rule = parse_fault(text, &why);
    if (!rule) throw CLI::ValidationError("--fault", why);
    cfg.faults.push_back(std::move(*rule));
  }
  if (f.fault_seed != 0) cfg.fault_seed = f.fault_seed;
  for (const auto& b : f.bounces) cfg.initial_state.add_bounce(b);
  if (!f.lead_credit.empty()) {
    std::optional<std::int64_t> credit;
    if (f.lead_credit != "unlimited") {
      try {
        credit = std::stoll(f.lead_credit);
      } catch (const std::exception&) {
        throw CLI::ValidationError("--lead-credit", "expected a number or 'unlimited'");
      }
    }
    for (const auto& a : cfg.initial_state.accounts()) {
      cfg.initial_state.find_account(a.id)->lead_credit_remaining = credit;
    }
  }
  return cfg;
}

void prepare_tls(flags& f) {
  if (!f.net.tls) return;
  if (f.cert_file.empty() != f.key_file.empty()) {
    throw CLI::ValidationError("--cert/--key", "give both or neither");
  }
  if (!f.cert_file.empty()) {
    f.net.cert_pem = read_file(f.cert_file);
    f.net.key_pem = read_file(f.key_file);
    return;
  }
  tls_material made = make_private_tls();
  f.net.cert_pem = std::move(made.server_cert_pem);
  f.net.key_pem = std::move(made.server_key_pem);
  if (!f.ca_out.empty()) write_file(f.ca_out, made.ca_cert_pem);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leadpipe-sim: a local SmartLead API simulator (HTTP/HTTPS) with rate limits and "
               "fault injection. Control endpoints: GET /_sim/state, POST /_sim/reset, "
               "POST /_sim/config, GET /_sim/health."};
  std::string routes;
  for (const auto name : kRouteNames) routes += fmt::format("{}{}", routes.empty() ? "" : ", ", name);
  app.footer(fmt::format("Routes for --fault (or * for all): {}.\nFixture format, fault syntax and "
                         "the /_sim/ endpoints: docs/simulator.md.",
                         routes));
  flags f;
  add_flags(app, f);
  system_sim_clock clock;
  sim_config cfg;
  try {
    app.parse(argc, argv);
    cfg = build_config(f, clock.now_ms());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    prepare_tls(f);
    simulator sim(std::move(cfg), clock);
    server srv(sim, f.net);
    if (!f.port_file.empty()) write_file(f.port_file, fmt::format("{}\n", srv.port()));
    srv.start();
    fmt::print("leadpipe-sim: serving {}\n", srv.url());
    std::fflush(stdout);

    boost::asio::io_context signals_ctx;
    boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
    int caught = 0;
    signals.async_wait([&](const boost::system::error_code&, int sig) { caught = sig; });
    signals_ctx.run();
    srv.stop();
    if (!f.state_dump.empty()) write_file(f.state_dump, sim.state_json());
    fmt::print("leadpipe-sim: stopped (signal {})\n", caught);
  } catch (const std::exception& e) {
    fmt::print(stderr, "leadpipe-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
