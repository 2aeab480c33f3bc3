#include "sim/clock.hpp"

#include <chrono>

namespace leadpipe::sim {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m;
  unsigned d;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

void put_digits(std::string& out, std::int64_t v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

// Reads exactly `n` digits at s[pos]; false when any is missing.
bool take_digits(std::string_view s, std::size_t& pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return true;
}

bool take_char(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::int64_t system_sim_clock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void append_iso8601(std::string& out, std::int64_t ms) {
  std::int64_t days = ms / kMsPerDay;
  std::int64_t rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  const civil c = civil_from_days(days);
  put_digits(out, c.y, 4);
  out.push_back('-');
  put_digits(out, c.m, 2);
  out.push_back('-');
  put_digits(out, c.d, 2);
  out.push_back('T');
  put_digits(out, rem / 3'600'000, 2);
  out.push_back(':');
  put_digits(out, rem / 60'000 % 60, 2);
  out.push_back(':');
  put_digits(out, rem / 1000 % 60, 2);
  out.push_back('.');
  put_digits(out, rem % 1000, 3);
  out.push_back('Z');
}

std::string format_iso8601(std::int64_t ms) {
  std::string out;
  append_iso8601(out, ms);
  return out;
}

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  std::size_t pos = 0;
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
  if (!take_digits(s, pos, 4, y) || !take_char(s, pos, '-') || !take_digits(s, pos, 2, mo) ||
      !take_char(s, pos, '-') || !take_digits(s, pos, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    ++pos;
    if (!take_digits(s, pos, 2, h) || !take_char(s, pos, ':') || !take_digits(s, pos, 2, mi)) {
      return std::nullopt;
    }
    if (take_char(s, pos, ':') && !take_digits(s, pos, 2, sec)) return std::nullopt;
    if (take_char(s, pos, '.')) {
      unsigned digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 3) frac = frac * 10 + static_cast<unsigned>(s[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      for (; digits < 3; ++digits) frac *= 10;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  }
  take_char(s, pos, 'Z');
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(y, mo, d);
  return days * kMsPerDay + static_cast<std::int64_t>(h) * 3'600'000 +
         static_cast<std::int64_t>(mi) * 60'000 + static_cast<std::int64_t>(sec) * 1000 + frac;
}

}  // namespace leadpipe::sim
