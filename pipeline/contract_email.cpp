#include "leadpipe/contract_email.hpp"

#include <cstddef>

namespace leadpipe {
namespace {

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The local-part alphabet of §7.1 (note: no backtick, unlike RFC 5322's atext).
constexpr bool is_local_char(char c) noexcept {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '/':
    case '=': case '?': case '^': case '_': case '{': case '|': case '}': case '~': case '.':
    case '-':
      return true;
    default:
      return false;
  }
}

bool is_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (const char c : label) {
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  }
  return true;
}

bool is_top_label(std::string_view label) noexcept {
  if (label.size() >= 4 && (label[0] == 'x' || label[0] == 'X') &&
      (label[1] == 'n' || label[1] == 'N') && label[2] == '-' && label[3] == '-') {
    return label.size() > 4;
  }
  if (label.size() < 2) return false;
  for (const char c : label) {
    if (!is_alpha(c)) return false;
  }
  return true;
}

}  // namespace

std::string_view contract_trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_contract_domain(std::string_view s) noexcept {
  if (s.size() < 4 || s.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view rest = s;
  std::string_view last;
  while (true) {
    const std::size_t dot = rest.find('.');
    last = rest.substr(0, dot);
    if (!is_label(last)) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return labels >= 2 && is_top_label(last);
}

bool is_contract_email(std::string_view s) noexcept {
  if (s.size() > 254) return false;
  const std::size_t at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = s.substr(0, at);
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = '\0';
  for (const char c : local) {
    if (!is_local_char(c) || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return is_contract_domain(s.substr(at + 1));
}

std::string_view email_domain(std::string_view email) noexcept {
  const std::size_t at = email.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : email.substr(at + 1);
}

void append_ascii_lower(std::string& out, std::string_view s) {
  const std::size_t base = out.size();
  out.append(s);
  for (std::size_t i = base; i < out.size(); ++i) {
    const char c = out[i];
    if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
}

}  // namespace leadpipe
