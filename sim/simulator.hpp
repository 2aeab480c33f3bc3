#pragma once
// The simulator without sockets: maps one HTTP request (method, target, body) to a response
// against the state, applying authentication, rate limiting, the endpoints of contract §5-§7 and
// the /_sim/ control endpoints; keeps the counters and decides faults. The server wraps it.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>
#include <simdjson.h>

#include "sim/clock.hpp"
#include "sim/counters.hpp"
#include "sim/faults.hpp"
#include "sim/import.hpp"
#include "sim/model.hpp"
#include "sim/options.hpp"
#include "sim/rate_limiter.hpp"
#include "sim/routes.hpp"

namespace leadpipe::sim {

enum class http_method : std::uint8_t { get, post, patch, put, del, other };

/// Everything the simulator starts from (and returns to on POST /_sim/reset).
struct sim_config {
  state initial_state;
  sim_options options;
  std::vector<fault_rule> faults;
  std::uint64_t fault_seed = 1;
};

/// The no-fixture start-up of the issue: one account (id 1) whose API key is `api_key`, no lead
/// credit limit, and two empty DRAFTED campaigns with ids 1 and 2 created at `now_ms`; new ids
/// start at `id_start`.
[[nodiscard]] sim_config default_config(std::string_view api_key = "sim-key",
                                        std::int64_t now_ms = 0,
                                        std::int64_t id_start = kDefaultIdStart);

/// A response ready to be put on the wire.
struct sim_response {
  unsigned status = 200;
  bool plain_text = false;  ///< Content-Type text/plain instead of JSON
  std::string body;
  bool rate_headers = false;       ///< send the three X-RateLimit-* headers
  rate_verdict rate;               ///< their values
  std::int64_t retry_after_s = 0;  ///< >0: send Retry-After
  void clear();
};

/// Per-connection scratch space, reused by every request of one connection. Not thread-safe:
/// one per connection (or per test thread).
struct request_scratch {
  simdjson::dom::parser parser;
  import_request import;
  import_plan plan;
  import_request lead_body;  ///< §6.4 bodies
};

/// The simulator. All public member functions are thread-safe (one internal mutex; JSON parsing
/// of import bodies happens outside it). The clock must outlive the simulator.
class simulator {
 public:
  simulator(sim_config config, const sim_clock& clock);

  /// True for targets under the reserved control prefix "/_sim/".
  [[nodiscard]] static bool is_control(std::string_view target) noexcept;
  /// The API route a request addresses (route_id::unknown when none).
  [[nodiscard]] static route_id route_of(http_method m, std::string_view target) noexcept;

  /// Starts an API request: counts it in flight and decides its faults.
  [[nodiscard]] fault_plan begin(route_id route);
  /// Ends an API request started with begin(): counts its final status or fate.
  void finish(route_id route, unsigned status, request_fate fate);

  /// The checks that come first for every API request (§3.2: key, then rate limit), made when
  /// the request arrives, before any injected latency: a slow answer is a server slow to
  /// process what its rate limiter already counted. True when the request may go on (`res`
  /// keeps the rate verdict for its headers); false with `res` holding the 401/404/429 answer.
  [[nodiscard]] bool admit(http_method m, std::string_view target, sim_response& res);
  /// Answers one request (API or control). `body` may be padded in place (capacity grows).
  /// `admitted`: admit() already passed it (its rate verdict is in `res`).
  void handle(http_method m, std::string_view target, std::string& body, request_scratch& scratch,
              sim_response& res, bool admitted = false);
  /// The error response for an injected status (5xx as §2.1, 429 as §3.4).
  /// `body`: html is a web page (text/plain here), as a misrouted proxy would answer; refusal
  /// is {"ok":false,"message":"injected refusal"}, a refusal of the whole call.
  void injected_status(unsigned status, std::int64_t retry_after_s, sim_response& res,
                       injected_body body = injected_body::error) const;

  /// Current options (a snapshot).
  [[nodiscard]] std::shared_ptr<const sim_options> options() const;
  /// Changes one option at run time (same names and texts as set_option()).
  [[nodiscard]] boost::system::result<void> set_option(std::string_view name,
                                                       std::string_view value,
                                                       std::string* message = nullptr);
  /// Replaces the fault rules (and the seed when given).
  void set_faults(std::vector<fault_rule> rules, std::optional<std::uint64_t> seed = {});

  /// The JSON document of GET /_sim/state (with campaign members unless `members` is false).
  [[nodiscard]] std::string state_json(bool members = true) const;
  /// Back to the start-up state, options, faults and counters (POST /_sim/reset).
  void reset();

 private:
  void handle_api(http_method m, std::string_view target, std::string& body,
                  request_scratch& scratch, sim_response& res,
                  const std::optional<rate_verdict>& admitted);
  void handle_control(http_method m, std::string_view target, std::string& body,
                      request_scratch& scratch, sim_response& res);
  bool check_rate_locked(http_method m, const std::string& key, sim_response& res);
  void write_state_locked(std::string& out, bool members, std::int64_t only_campaign) const;
  void apply_config_locked(simdjson::dom::element root, sim_response& res);

  const sim_clock& clock_;
  sim_config initial_;
  mutable std::mutex mu_;
  state state_;
  std::shared_ptr<const sim_options> options_;
  rate_limiter limiter_;
  fault_injector faults_;
  request_counters counters_;
};

}  // namespace leadpipe::sim
