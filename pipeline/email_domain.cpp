// Stage 5 of the email policy: the domain. Pure-ASCII domains are checked and lower-cased here
// without any Unicode library; others go through libidn2 (UTS #46 mapping, IDNA2008 lookup)
// after our own dot, LDH and invisible-character checks, because libidn2 silently passes
// `a..b.com`, drops `_` and zero-width characters under STD3 rules instead of rejecting them.
#include "email_detail.hpp"

#include <cstring>
#include <memory>

#include <idn2.h>
#include <unicode/uchar.h>

#include "leadpipe/utf8.hpp"

namespace leadpipe::email_detail {
namespace {

using idn2_string = std::unique_ptr<char, decltype(&idn2_free)>;

idn2_string idn2_lookup(const char* input, int flags, int& rc) {
  char* out = nullptr;
  rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(input),
                      reinterpret_cast<std::uint8_t**>(&out), flags);
  return {rc == IDN2_OK ? out : nullptr, &idn2_free};
}

email_reason reason_from_idn2(int rc) {
  switch (rc) {
    case IDN2_PUNYCODE_BAD_INPUT:
    case IDN2_PUNYCODE_OVERFLOW:
    case IDN2_INVALID_ALABEL:
    case IDN2_UALABEL_MISMATCH:
    case IDN2_ALABEL_ROUNDTRIP_FAILED:
      return email_reason::bad_punycode;
    case IDN2_PUNYCODE_BIG_OUTPUT:  // a U-label whose A-label would pass 63 bytes
    case IDN2_TOO_BIG_LABEL:
      return email_reason::label_too_long;
    case IDN2_TOO_BIG_DOMAIN:
      return email_reason::domain_too_long;
    case IDN2_2HYPHEN:
      return email_reason::reserved_label_hyphens;
    case IDN2_HYPHEN_STARTEND:
      return email_reason::label_hyphen;
    case IDN2_NOT_NFC:
    case IDN2_LEADING_COMBINING:
    case IDN2_DISALLOWED:
    case IDN2_UNASSIGNED:
    case IDN2_DOT_IN_LABEL:
    case IDN2_INVALID_TRANSITIONAL:
    case IDN2_INVALID_NONTRANSITIONAL:
      return email_reason::idna_disallowed;
    case IDN2_CONTEXTJ:
    case IDN2_CONTEXTJ_NO_RULE:
    case IDN2_CONTEXTO:
    case IDN2_CONTEXTO_NO_RULE:
      return email_reason::idna_context;
    case IDN2_BIDI:
      return email_reason::idna_bidi;
    default:
      return email_reason::idna_error;
  }
}

bool starts_with_xn(std::string_view label) noexcept {
  return label.size() >= 4 && ascii_lower(label[0]) == 'x' && ascii_lower(label[1]) == 'n' &&
         label[2] == '-' && label[3] == '-';
}

// An xn-- label (lower-case, at most 63 bytes) must decode to a U-label that passes the IDNA2008
// registration rules (libidn2's lookup skips CONTEXTO) and whose A-label is the label itself.
// Labels the user typed as xn-- fail as bad_punycode; labels libidn2 made from U-labels fail with
// the IDNA rule that broke.
email_reason check_alabel(std::string_view label, bool typed) {
  char z[64];
  std::memcpy(z, label.data(), label.size());
  z[label.size()] = '\0';
  char* decoded = nullptr;
  const int rc = idn2_to_unicode_8z8z(z, &decoded, 0);
  const idn2_string u(decoded, &idn2_free);
  if (rc != IDN2_OK || u == nullptr) return email_reason::bad_punycode;
  char* encoded = nullptr;
  const int rc2 = idn2_register_u8(reinterpret_cast<const std::uint8_t*>(u.get()), nullptr,
                                   reinterpret_cast<std::uint8_t**>(&encoded), 0);
  const idn2_string a(encoded, &idn2_free);
  if (rc2 != IDN2_OK) return typed ? email_reason::bad_punycode : reason_from_idn2(rc2);
  return std::string_view(a.get()) == label ? email_reason::none : email_reason::bad_punycode;
}

// `last` is the domain's last label, compared first so that a usual domain costs a few size
// comparisons.
bool is_reserved(const tables& t, std::string_view d, std::string_view last) noexcept {
  for (const auto& [name, name_last] : t.reserved) {
    if (last == name_last && d.ends_with(name) &&
        (d.size() == name.size() || d[d.size() - name.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

// Rules of one label of the final A-label domain (no empty label reaches here).
email_reason check_label(std::string_view label, bool typed) {
  if (label.front() == '-' || label.back() == '-') return email_reason::label_hyphen;
  if (label.size() > 63) return email_reason::label_too_long;
  if (label.size() >= 4 && label[2] == '-' && label[3] == '-') {
    if (!starts_with_xn(label)) return email_reason::reserved_label_hyphens;
    return check_alabel(label, typed);
  }
  return email_reason::none;
}

// Rules on the final lower-case A-label domain, shared by both paths; one pass, no memchr.
email_reason check_alabel_domain(const tables& t, std::string_view d, bool typed) {
  std::size_t labels = 0;
  std::size_t begin = 0;
  std::size_t last_begin = 0;
  email_reason label_problem = email_reason::none;
  for (std::size_t i = 0; i <= d.size(); ++i) {
    if (i < d.size() && d[i] != '.') {
      if (!is_ldh(d[i])) return email_reason::bad_domain_char;
      continue;
    }
    if (i == begin) return email_reason::empty_label;  // leading, doubled or trailing dot
    if (label_problem == email_reason::none) {
      label_problem = check_label(d.substr(begin, i - begin), typed);
    }
    ++labels;
    last_begin = begin;
    begin = i + 1;
  }
  // Characters and empty labels first (they make the label split meaningless), then labels.
  if (label_problem != email_reason::none) return label_problem;
  if (labels < 2) return email_reason::too_few_labels;
  if (d.size() > 253) return email_reason::domain_too_long;
  const std::string_view last = d.substr(last_begin);
  if (is_reserved(t, d, last)) return email_reason::reserved_domain;
  if (!t.icann_suffixes.contains(last)) return email_reason::unknown_tld;
  return email_reason::none;
}

// Unicode full stops that UTS #46 maps to `.`: ideographic, fullwidth, halfwidth ideographic.
bool is_dot(char32_t cp) noexcept {
  return cp == U'.' || cp == 0x3002 || cp == 0xFF0E || cp == 0xFF61;
}

// Our own checks before libidn2 sees a non-ASCII domain.
email_reason precheck_unicode_domain(std::string_view d) {
  bool label_start = true;
  std::size_t label_begin = 0;
  for (std::size_t i = 0; i <= d.size();) {
    char32_t cp = U'.';  // the end of the string closes the last label
    std::size_t n = 1;
    if (i < d.size()) {
      n = utf8::sequence_length(d, i);
      cp = utf8::decode(d, i, n);
    }
    if (cp < 0x80 && !is_dot(cp)) {
      if (!is_ldh(static_cast<char>(cp))) return email_reason::bad_domain_char;
    } else if (!is_dot(cp) && u_hasBinaryProperty(static_cast<UChar32>(cp),
                                                  UCHAR_DEFAULT_IGNORABLE_CODE_POINT) != 0) {
      return email_reason::invisible_character;
    }
    if (is_dot(cp)) {
      if (label_start) return email_reason::empty_label;
      const std::string_view label = d.substr(label_begin, i - label_begin);
      if (starts_with_xn(label) && utf8::is_ascii(label)) {
        // Check xn-- labels ourselves so the reason is exact; libidn2's code would be generic.
        if (label.size() > 63) return email_reason::label_too_long;
        char lower[64];
        for (std::size_t k = 0; k < label.size(); ++k) lower[k] = ascii_lower(label[k]);
        if (const email_reason r = check_alabel(std::string_view(lower, label.size()), true);
            r != email_reason::none) {
          return r;
        }
      }
      label_begin = i + n;
    }
    label_start = is_dot(cp);
    i += n;
  }
  return email_reason::none;
}

email_reason map_unicode_domain(std::string_view d, std::string& out) {
  const std::string z(d);
  int rc = 0;
  const idn2_string mapped =
      idn2_lookup(z.c_str(), IDN2_NONTRANSITIONAL | IDN2_USE_STD3_ASCII_RULES, rc);
  if (rc != IDN2_OK) return reason_from_idn2(rc);
  // libidn2 deletes STD3-disallowed characters (`＿`, `＠`...) instead of rejecting them; the
  // same mapping without STD3 keeps them, so any difference means the ASCII rule failed.
  int guard_rc = 0;
  const idn2_string guard = idn2_lookup(z.c_str(), IDN2_NONTRANSITIONAL, guard_rc);
  if (guard_rc != IDN2_OK || std::strcmp(guard.get(), mapped.get()) != 0) {
    return email_reason::bad_domain_char;
  }
  out.append(mapped.get());
  return email_reason::none;
}

}  // namespace

email_reason check_domain(const tables& t, std::string_view domain, bool ascii, std::string& out) {
  if (domain.front() == '[') return email_reason::address_literal;
  const std::size_t base = out.size();
  if (ascii) {
    // Fast path: UTS #46 mapping of ASCII is lower-casing; the LDH check follows on the result.
    out.resize(base + domain.size());
    lower_ascii(domain.data(), domain.size(), out.data() + base);
  } else {
    if (const email_reason r = precheck_unicode_domain(domain); r != email_reason::none) return r;
    if (const email_reason r = map_unicode_domain(domain, out); r != email_reason::none) return r;
  }
  return check_alabel_domain(t, std::string_view(out).substr(base), ascii);
}

}  // namespace leadpipe::email_detail
