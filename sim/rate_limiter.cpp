#include "sim/rate_limiter.hpp"

#include <algorithm>
#include <limits>

namespace leadpipe::sim {
namespace {

constexpr std::size_t kHistory = 64;

std::int64_t ceil_seconds(std::int64_t ms) { return (ms + 999) / 1000; }

}  // namespace

rate_limiter::rate_limiter(rate_rules rules) : rules_(std::move(rules)) {}

void rate_limiter::set_rules(rate_rules rules) {
  rules_ = std::move(rules);
  keys_.clear();
}

rate_verdict rate_limiter::check(std::string_view key, std::int64_t now_ms) {
  rate_verdict v;
  if (rules_.unlimited()) return v;
  v.limited = true;
  auto it = keys_.find(key);
  if (it == keys_.end()) it = keys_.emplace(std::string(key), key_windows(rules_.rules.size())).first;
  key_windows& windows = it->second;

  const auto expired = [&](std::size_t i) {
    return !windows[i].open || now_ms >= windows[i].start_ms + rules_.rules[i].window.count();
  };
  std::int64_t earliest_end = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
    if (expired(i) || windows[i].count < rules_.rules[i].limit) continue;
    v.allowed = false;
    earliest_end = std::min(earliest_end, windows[i].start_ms + rules_.rules[i].window.count());
  }
  if (v.allowed) {
    for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
      window& w = windows[i];
      if (expired(i)) {
        if (w.open) {
          w.history.push_back({w.start_ms, w.count});
          if (w.history.size() > kHistory) w.history.pop_front();
        }
        w.open = true;
        w.start_ms = now_ms;
        w.count = 0;
      }
      ++w.count;
    }
  } else {
    v.retry_after_s = std::max<std::int64_t>(1, ceil_seconds(earliest_end - now_ms));
  }
  const rate_rule& primary = rules_.rules.front();
  v.limit = primary.limit;
  if (expired(0)) {
    v.remaining = primary.limit;
    v.reset_epoch_s = ceil_seconds(now_ms + primary.window.count());
  } else {
    v.remaining = primary.limit - std::min(primary.limit, windows[0].count);
    v.reset_epoch_s = ceil_seconds(windows[0].start_ms + primary.window.count());
  }
  return v;
}

void rate_limiter::write_state(json_writer& w) const {
  w.begin_object();
  for (const auto& [key, windows] : keys_) {
    w.key(key).begin_array();
    for (std::size_t i = 0; i < windows.size(); ++i) {
      const window& win = windows[i];
      w.begin_object();
      w.key("limit").value(std::int64_t{rules_.rules[i].limit});
      w.key("window_ms").value(static_cast<std::int64_t>(rules_.rules[i].window.count()));
      w.key("window_start").value(win.start_ms);
      w.key("count").value(std::int64_t{win.count});
      w.key("history").begin_array();
      for (const auto& h : win.history) {
        w.begin_object().key("start").value(h.start_ms).key("count").value(std::int64_t{h.count});
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

}  // namespace leadpipe::sim
