#include "sim/simulator.hpp"

#include <fmt/format.h>

#include "sim/handlers.hpp"

namespace leadpipe::sim {
namespace {

void write_rate_limited(sim_response& res, std::int64_t retry_after_s) {
  res.status = 429;
  res.plain_text = false;
  res.retry_after_s = retry_after_s;
  res.body.clear();
  json_writer w(res.body);
  w.begin_object().key("error").begin_object();
  w.key("code").value("RATE_LIMIT_EXCEEDED");
  w.key("message").value(fmt::format("Rate limit hit; wait {} s and resend.", retry_after_s));
  w.key("retry_after").value(retry_after_s);
  w.end_object().end_object();
}

// Import bodies are parsed before the state lock is taken: it is the heaviest step of the
// hottest route, and it depends only on the body and the options.
std::optional<request_error> preparse_import(std::string& body, const sim_options& opts,
                                             request_scratch& scratch) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (scratch.parser.parse(body).get(root) != simdjson::SUCCESS) {
    return request_error{"body is not valid JSON", {"body"}};
  }
  return parse_import(root, body.size(), opts, scratch.import);
}

}  // namespace

sim_config default_config(std::string_view api_key, std::int64_t now_ms, std::int64_t id_start) {
  sim_config cfg;
  cfg.initial_state = state(id_start);
  cfg.initial_state.stamp_categories(now_ms);
  account a;
  a.id = 1;
  a.api_keys.emplace_back(api_key);
  cfg.initial_state.add_account(std::move(a));
  for (const std::int64_t id : {1, 2}) {
    campaign c;
    c.id = id;
    c.account_id = 1;
    c.name = fmt::format("Campaign {}", id);
    c.created_at_ms = c.updated_at_ms = now_ms;
    default_campaign_settings(c);
    cfg.initial_state.add_campaign(std::move(c));
  }
  return cfg;
}

void sim_response::clear() {
  status = 200;
  plain_text = false;
  body.clear();
  rate_headers = false;
  rate = {};
  retry_after_s = 0;
}

simulator::simulator(sim_config config, const sim_clock& clock)
    : clock_(clock),
      initial_(std::move(config)),
      state_(initial_.initial_state),
      options_(std::make_shared<const sim_options>(initial_.options)),
      limiter_(initial_.options.rate_limit),
      faults_(initial_.faults, initial_.fault_seed) {}

bool simulator::is_control(std::string_view target) noexcept {
  return target.substr(0, 6) == "/_sim/";
}

route_id simulator::route_of(http_method m, std::string_view target) noexcept {
  std::string_view path;
  std::string_view query;
  if (!split_api_target(target, path, query)) return route_id::unknown;
  return match_route(m, path).route;
}

fault_plan simulator::begin(route_id route) {
  const std::lock_guard lock(mu_);
  counters_.started();
  return faults_.decide(route);
}

void simulator::finish(route_id route, unsigned status, request_fate fate) {
  const std::lock_guard lock(mu_);
  counters_.finished(route, status, fate);
}

std::shared_ptr<const sim_options> simulator::options() const {
  const std::lock_guard lock(mu_);
  return options_;
}

boost::system::result<void> simulator::set_option(std::string_view name, std::string_view value,
                                                  std::string* message) {
  const std::lock_guard lock(mu_);
  sim_options next = *options_;
  auto r = sim::set_option(next, name, value, message);
  if (!r) return r;
  if (!(next.rate_limit == options_->rate_limit)) limiter_.set_rules(next.rate_limit);
  options_ = std::make_shared<const sim_options>(std::move(next));
  return {};
}

void simulator::set_faults(std::vector<fault_rule> rules, std::optional<std::uint64_t> seed) {
  const std::lock_guard lock(mu_);
  faults_.set_rules(std::move(rules));
  if (seed) faults_.set_seed(*seed);
  faults_.reset_counts();
}

void simulator::reset() {
  const std::lock_guard lock(mu_);
  state_ = initial_.initial_state;
  options_ = std::make_shared<const sim_options>(initial_.options);
  limiter_.set_rules(initial_.options.rate_limit);
  faults_ = fault_injector(initial_.faults, initial_.fault_seed);
  counters_.reset();
}

void simulator::injected_status(unsigned status, std::int64_t retry_after_s,
                                sim_response& res, injected_body body) const {
  res.clear();
  switch (body) {
    case injected_body::refusal:
      res.status = status;
      res.body = R"({"ok":false,"message":"injected refusal"})";
      return;
    case injected_body::html:
      res.status = status;
      res.plain_text = true;
      res.body = "<html><head><title>Welcome</title></head><body>It works!</body></html>\n";
      return;
    case injected_body::error:
      break;
  }
  if (status == 429) {
    write_rate_limited(res, std::max<std::int64_t>(retry_after_s, 1));
    return;
  }
  write_error(res, status, "injected fault");
}

bool simulator::admit(http_method m, std::string_view target, sim_response& res) {
  res.clear();
  std::string_view path;
  std::string_view query;
  if (!split_api_target(target, path, query) || match_route(m, path).route == route_id::unknown) {
    write_error(res, 404, "Cannot find route");
    return false;
  }
  std::string key;
  const bool has_key = query_param(query, "api_key", key);
  const std::lock_guard lock(mu_);
  if (!has_key || state_.account_by_key(key) == nullptr) {
    write_error(res, 401, "Invalid API Key");
    return false;
  }
  return check_rate_locked(m, key, res);
}

bool simulator::check_rate_locked(http_method m, const std::string& key, sim_response& res) {
  const rate_verdict verdict = limiter_.check(key, clock_.now_ms());
  res.rate = verdict;
  res.rate_headers =
      verdict.limited && (m == http_method::get || !options_->rate_limit_headers_on_get_only);
  if (!verdict.allowed) {
    counters_.rate_limited();
    write_rate_limited(res, verdict.retry_after_s);
    return false;
  }
  return true;
}

void simulator::handle(http_method m, std::string_view target, std::string& body,
                       request_scratch& scratch, sim_response& res, bool admitted) {
  std::optional<rate_verdict> verdict;
  if (admitted) verdict = res.rate;
  const bool headers = res.rate_headers;
  res.clear();
  if (admitted) res.rate_headers = headers;
  if (is_control(target)) {
    handle_control(m, target, body, scratch, res);
  } else {
    handle_api(m, target, body, scratch, res, verdict);
  }
}

void simulator::handle_api(http_method m, std::string_view target, std::string& body,
                           request_scratch& scratch, sim_response& res,
                           const std::optional<rate_verdict>& admitted) {
  std::string_view path;
  std::string_view query;
  route_match match;
  if (split_api_target(target, path, query)) match = match_route(m, path);
  if (match.route == route_id::unknown) {
    write_error(res, 404, "Cannot find route");
    return;
  }
  std::optional<request_error> import_error;
  if (match.route == route_id::import) import_error = preparse_import(body, *options(), scratch);

  std::string key;
  const bool has_key = query_param(query, "api_key", key);
  const std::lock_guard lock(mu_);
  const account* acct = has_key ? state_.account_by_key(key) : nullptr;
  if (acct == nullptr) {
    write_error(res, 401, "Invalid API Key");
    return;
  }
  const sim_options& opts = *options_;
  const std::int64_t now = clock_.now_ms();
  if (admitted) {
    res.rate = *admitted;
  } else if (!check_rate_locked(m, key, res)) {
    return;
  }
  api_call call{state_, opts, *acct, now, match, query, body, scratch, res, import_error};
  dispatch(call);
}

}  // namespace leadpipe::sim
