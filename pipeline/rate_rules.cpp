#include "leadpipe/rate_rules.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <boost/system/errc.hpp>
#include <fmt/format.h>

#include "leadpipe/ascii.hpp"

namespace leadpipe {
namespace {

struct preset {
  std::string_view name;
  std::vector<rate_rule> rules;
};

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<preset>& presets() {
  static const std::vector<preset> table = {
      {"default", {{60, seconds(60)}}},
      {"legacy", {{10, seconds(2)}}},
      {"standard_tier", {{10, seconds(1)}, {60, seconds(60)}, {1000, seconds(3600)}}},
      {"pro_tier", {{20, seconds(1)}, {120, seconds(60)}, {3000, seconds(3600)}}},
  };
  return table;
}

constexpr auto trim = ascii::trim_blanks;

// Parses "60s", "1h", "500ms", "s", "2.5s" into milliseconds; false on anything else.
bool parse_window(std::string_view w, milliseconds& out) {
  std::size_t digits = 0;
  while (digits < w.size() && ((w[digits] >= '0' && w[digits] <= '9') || w[digits] == '.')) {
    ++digits;
  }
  double amount = 1.0;
  if (digits > 0) {
    auto r = std::from_chars(w.data(), w.data() + digits, amount);
    if (r.ec != std::errc{} || r.ptr != w.data() + digits) return false;
  }
  const std::string_view unit = w.substr(digits);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s" || unit == "sec") {
    ms_per_unit = 1000;
  } else if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "m" || unit == "min") {
    ms_per_unit = 60'000;
  } else if (unit == "h") {
    ms_per_unit = 3'600'000;
  } else {
    return false;
  }
  if (digits == 0 && unit.empty()) return false;
  const double ms = amount * ms_per_unit;
  if (!(ms >= 1.0) || ms > 1e12) return false;
  out = milliseconds(static_cast<std::int64_t>(ms));
  return true;
}

}  // namespace

boost::system::result<rate_rules> parse_rate_rules(std::string_view text, std::string* message) {
  const auto fail = [&](std::string msg) -> boost::system::result<rate_rules> {
    if (message != nullptr) *message = std::move(msg);
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  };
  text = trim(text);
  if (text == "none" || text == "unlimited") return rate_rules{};
  for (const auto& p : presets()) {
    if (text == p.name) return rate_rules{p.rules};
  }
  if (text.empty()) return fail("empty rate limit");
  rate_rules out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && trim(text).empty()) {
      return fail("rate limit ends with a comma");
    }
    const std::size_t slash = part.find('/');
    if (slash == std::string_view::npos) {
      return fail(fmt::format("rate rule '{}' is not LIMIT/WINDOW or a preset (default, legacy, "
                              "standard_tier, pro_tier, none)",
                              part));
    }
    const std::string_view lim = trim(part.substr(0, slash));
    rate_rule rule;
    auto r = std::from_chars(lim.data(), lim.data() + lim.size(), rule.limit);
    if (r.ec != std::errc{} || r.ptr != lim.data() + lim.size() || rule.limit == 0) {
      return fail(fmt::format("rate rule '{}': limit must be a positive integer", part));
    }
    if (!parse_window(trim(part.substr(slash + 1)), rule.window)) {
      return fail(fmt::format("rate rule '{}': window must look like 60s, 1m, 1h or 500ms", part));
    }
    out.rules.push_back(rule);
  }
  return out;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text == "0") return milliseconds(0);
  milliseconds out{0};
  if (!parse_window(text, out)) return std::nullopt;
  return out;
}

std::string to_string(const rate_rules& r) {
  if (r.unlimited()) return "none";
  std::string out;
  for (const auto& rule : r.rules) {
    if (!out.empty()) out.push_back(',');
    if (rule.window.count() % 1000 == 0) {
      out += fmt::format("{}/{}s", rule.limit, rule.window.count() / 1000);
    } else {
      out += fmt::format("{}/{}ms", rule.limit, rule.window.count());
    }
  }
  return out;
}

std::uint64_t allowed_requests(const rate_rules& r, std::chrono::milliseconds span) {
  if (r.unlimited()) return std::numeric_limits<std::uint64_t>::max();
  std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
  const auto span_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(span.count(), 1));
  for (const auto& rule : r.rules) {
    const auto w = static_cast<std::uint64_t>(rule.window.count());
    const std::uint64_t windows = (span_ms + w - 1) / w;
    best = std::min(best, windows * rule.limit);
  }
  return best;
}

}  // namespace leadpipe
