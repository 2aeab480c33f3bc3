#include "sim/faults.hpp"

#include <charconv>
#include <cmath>

#include <boost/system/errc.hpp>
#include <fmt/format.h>

#include "leadpipe/rate_rules.hpp"

namespace leadpipe::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

double unit(std::uint64_t seed, std::size_t route, std::uint64_t n, std::size_t rule) {
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ route);
  h = splitmix64(h ^ n);
  h = splitmix64(h ^ rule);
  return static_cast<double>(h >> 11U) * 0x1.0p-53;
}

// Durations use the rate-rule window syntax ("250ms", "2s", "1.5s", "1m"), read by the shared
// parser so both flags accept exactly the same units.
bool parse_duration(std::string_view text, std::int64_t& ms) {
  auto rules = parse_rate_rules(fmt::format("1/{}", text));
  if (!rules || rules->rules.size() != 1) return false;
  ms = rules->rules.front().window.count();
  return true;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size();
}

bool apply_item(fault_rule& f, std::string_view name, std::string_view value, bool& has_kind) {
  const auto set_kind = [&](fault_kind k) {
    if (has_kind && !(f.kind == fault_kind::status && k == fault_kind::status)) return false;
    f.kind = k;
    has_kind = true;
    return true;
  };
  if (name == "p") return parse_number(value, f.probability) && f.probability >= 0 && f.probability <= 1;
  if (name == "nth") return parse_number(value, f.nth) && f.nth > 0;
  if (name == "every") return parse_number(value, f.every) && f.every > 0;
  if (name == "retry-after") return parse_number(value, f.retry_after_s) && f.retry_after_s >= 0;
  if (name == "mean") return parse_duration(value, f.latency_mean_ms);
  if ((name == "html" || name == "refuse") && value.empty()) {
    f.body = name == "html" ? injected_body::html : injected_body::refusal;
    return true;
  }
  if (name == "status") {
    return set_kind(fault_kind::status) && parse_number(value, f.status) && f.status >= 100 &&
           f.status <= 599;
  }
  if (name == "burst429") {
    return set_kind(fault_kind::burst429) && parse_number(value, f.burst) && f.burst > 0;
  }
  if (name == "latency") {
    if (!set_kind(fault_kind::latency)) return false;
    const std::size_t dots = value.find("..");
    if (dots == std::string_view::npos) {
      if (!parse_duration(value, f.latency_min_ms)) return false;
      f.latency_max_ms = f.latency_min_ms;
      return true;
    }
    return parse_duration(value.substr(0, dots), f.latency_min_ms) &&
           parse_duration(value.substr(dots + 2), f.latency_max_ms) &&
           f.latency_max_ms >= f.latency_min_ms;
  }
  if (!value.empty()) return false;
  if (name == "close-before-answer") return set_kind(fault_kind::close_before_answer);
  if (name == "drop-after-commit") return set_kind(fault_kind::drop_after_commit);
  if (name == "truncate") return set_kind(fault_kind::truncate);
  if (name == "eof-body") return set_kind(fault_kind::eof_body);
  return false;
}

}  // namespace

boost::system::result<fault_rule> parse_fault(std::string_view text, std::string* message) {
  const auto fail = [&](std::string msg) -> boost::system::result<fault_rule> {
    if (message != nullptr) *message = std::move(msg);
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  };
  fault_rule f;
  f.text.assign(text);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(fmt::format("fault '{}': expected ROUTE:ITEM[:ITEM...]", text));
  }
  const std::string_view route = text.substr(0, colon);
  if (route != "*") {
    f.route = parse_route_name(route);
    if (!f.route) return fail(fmt::format("fault '{}': unknown route '{}'", text, route));
  }
  bool has_kind = false;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const std::size_t next = rest.find(':');
    const std::string_view item = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
    const std::size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (!apply_item(f, name, value, has_kind)) {
      return fail(fmt::format("fault '{}': bad item '{}'", text, item));
    }
  }
  if (!has_kind) return fail(fmt::format("fault '{}': says nothing to inject", text));
  if (f.kind != fault_kind::status && f.nth != 0) {
    return fail(fmt::format("fault '{}': nth= goes with status=", text));
  }
  if (f.kind == fault_kind::latency && f.latency_mean_ms == 0) {
    f.latency_mean_ms = f.latency_min_ms + (f.latency_max_ms - f.latency_min_ms) / 4;
  }
  return f;
}

std::chrono::milliseconds sample_latency(const fault_rule& rule, double u) {
  const std::int64_t lo = rule.latency_min_ms;
  const std::int64_t hi = rule.latency_max_ms;
  if (hi <= lo) return std::chrono::milliseconds(lo);
  const double scale = static_cast<double>(std::max<std::int64_t>(rule.latency_mean_ms - lo, 1));
  const double x = static_cast<double>(lo) - scale * std::log1p(-u);
  return std::chrono::milliseconds(std::min(hi, static_cast<std::int64_t>(x)));
}

fault_injector::fault_injector(std::vector<fault_rule> rules, std::uint64_t seed)
    : rules_(std::move(rules)), seed_(seed) {}

fault_plan fault_injector::decide(route_id route) {
  const auto r = static_cast<std::size_t>(route);
  const std::uint64_t n = ++counts_[r];
  fault_plan plan;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const fault_rule& f = rules_[i];
    if (f.route && *f.route != route) continue;
    const bool lucky = unit(seed_, r, n, i) < f.probability;
    switch (f.kind) {
      case fault_kind::latency:
        if (lucky) plan.delay += sample_latency(f, unit(seed_, r, n, i + 1000));
        continue;
      case fault_kind::status:
        if (plan.action != fault_action::none) continue;
        if (f.nth != 0 ? n == f.nth : lucky) {
          plan.action = fault_action::status;
          plan.status = f.status;
          plan.body = f.body;
        }
        continue;
      case fault_kind::burst429: {
        if (plan.action != fault_action::none || !lucky) continue;
        const bool in_burst = f.every == 0 ? n <= f.burst : n > f.every && (n - 1) % f.every < f.burst;
        if (in_burst) {
          plan.action = fault_action::spurious_429;
          plan.retry_after_s = f.retry_after_s;
        }
        continue;
      }
      case fault_kind::close_before_answer:
      case fault_kind::drop_after_commit:
      case fault_kind::truncate:
      case fault_kind::eof_body:
        if (plan.action != fault_action::none || !lucky) continue;
        plan.action = f.kind == fault_kind::close_before_answer ? fault_action::close_before_answer
                      : f.kind == fault_kind::drop_after_commit ? fault_action::drop_after_commit
                      : f.kind == fault_kind::truncate          ? fault_action::truncate
                                                                : fault_action::eof_body;
        continue;
    }
  }
  return plan;
}

void fault_injector::write_state(json_writer& w) const {
  w.begin_object();
  w.key("seed").value(seed_);
  w.key("rules").begin_array();
  for (const auto& f : rules_) w.value(f.text);
  w.end_array();
  w.end_object();
}

}  // namespace leadpipe::sim
