// The validate stage's driver: stages 0-4 and 6-8 of the email policy around the domain stage
// (email_domain.cpp). A pure-ASCII cell stays on views and the caller's reused strings: no ICU,
// no allocation, and no libidn2 unless a label starts with xn--.
#include "leadpipe/email.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>

#include "email_detail.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

using email_detail::ascii_lower;
using email_detail::check_plain_local;
using email_detail::domain_facts;
using email_detail::fold_kind;
using email_detail::plain_at;
using email_detail::tables;
constexpr auto npos = std::string_view::npos;

// Stage 1's trim: Unicode White_Space and the zero-width characters (utf8::is_space_like).
// `s` is well-formed UTF-8 (stage 0 ran first).
std::string_view trim(std::string_view s) noexcept { return utf8::trim_space(s); }

bool starts_with_mailto(std::string_view s) noexcept {
  constexpr std::string_view prefix = "mailto:";
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// Stage 1, the repairs, repeated until nothing changes. Narrows `s`; never copies.
email_reason repair(std::string_view& s) {
  for (;;) {
    const std::string_view before = s;
    s = trim(s);
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
      s = s.substr(1, s.size() - 2);
    }
    if (starts_with_mailto(s)) {
      s.remove_prefix(7);
      s = s.substr(0, s.find('?'));
    }
    if (!s.empty() && s.back() == '>') {
      const std::size_t lt = s.rfind('<');
      if (lt != npos) {
        if (s.substr(0, lt).find('@') != npos) return email_reason::ambiguous_display_name;
        s = s.substr(lt + 1, s.size() - lt - 2);
      }
    }
    if (s.data() == before.data() && s.size() == before.size()) return email_reason::none;
  }
}

constexpr bool is_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// `&name;`, `&#64;` or `&#x40;`.
bool has_html_entity(std::string_view s) noexcept {
  for (std::size_t amp = s.find('&'); amp != npos; amp = s.find('&', amp + 1)) {
    std::size_t i = amp + 1;
    if (i < s.size() && s[i] == '#') {
      ++i;
      if (i < s.size() && (s[i] == 'x' || s[i] == 'X')) ++i;
    }
    std::size_t j = i;
    while (j < s.size() && j - i < 32 && is_alnum(s[j])) ++j;
    if (j > i && j < s.size() && s[j] == ';') return true;
  }
  return false;
}

// One pass over the bytes of the repaired cell records which byte classes occur and where the
// `@` signs are, so that the rarely-true checks below cost nothing on ordinary addresses.
enum byte_class : std::uint8_t {
  c_at = 1,         // @
  c_amp = 2,        // & (HTML entity)
  c_percent = 4,    // % (%40)
  c_separator = 8,  // , ; / | (two addresses)
  c_space = 16,     // TAB LF VT FF CR SPACE
  c_control = 32,   // other C0 controls and DEL
  c_paren = 64,     // ( (formula)
};

constexpr std::array<std::uint8_t, 256> byte_classes = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0; c < 0x20; ++c) t[c] = c_control;
  t[0x7F] = c_control;
  for (const unsigned c : {0x09U, 0x0AU, 0x0BU, 0x0CU, 0x0DU, 0x20U}) t[c] = c_space;
  for (const char c : std::string_view(",;/|")) t[static_cast<unsigned char>(c)] = c_separator;
  t['@'] = c_at;
  t['&'] = c_amp;
  t['%'] = c_percent;
  t['('] = c_paren;
  return t;
}();

struct byte_summary {
  std::uint8_t classes = 0;
  std::size_t at_count = 0;  // 0, 1 or 2 (two or more)
  std::size_t first_at = npos;
  std::size_t last_at = npos;
};

byte_summary summarise(std::string_view s) noexcept {
  byte_summary r;
  for (const char c : s) r.classes |= byte_classes[static_cast<unsigned char>(c)];
  if ((r.classes & c_at) != 0) {
    r.first_at = s.find('@');
    r.last_at = s.rfind('@');
    r.at_count = r.first_at == r.last_at ? 1 : 2;  // "more than one" is all that matters
  }
  return r;
}

// Stage 1, what is deliberately not repaired. Only ASCII bytes are inspected, so this is safe on
// any UTF-8 text and costs no decoding.
email_reason unrepaired(std::string_view s, const byte_summary& b) noexcept {
  const char first = s.front();
  const char last = s.back();
  const bool formula_start = first == '=' || first == '+' || first == '-' || first == '@';
  if ((formula_start && (b.classes & c_paren) != 0) ||
      (first == '=' && s.find('"') != npos)) {  // ="a@b.com", =A1&"@b.com"
    return email_reason::spreadsheet_formula;
  }
  if ((b.classes & c_amp) != 0 && has_html_entity(s)) return email_reason::html_entity;
  if ((b.classes & c_percent) != 0 && s.find("%40") != npos) {
    return email_reason::percent_encoded_at;
  }
  if (b.at_count > 1 && (b.classes & (c_separator | c_space)) != 0 &&
      s.substr(b.first_at, b.last_at - b.first_at).find_first_of(",;/| \t\r\n\v\f") != npos) {
    return email_reason::two_addresses;
  }
  if (last == '.' || last == ',' || last == ';') return email_reason::trailing_punctuation;
  const bool literal = b.last_at != npos && b.last_at + 1 < s.size() && s[b.last_at + 1] == '[';
  if (first == '(' || first == '[' || first == '<' || last == ')' || last == '}' || last == '>' ||
      (last == ']' && !literal)) {
    return email_reason::brackets;
  }
  if (last == '`') return email_reason::backticks;
  return email_reason::none;
}

email_reason ascii_char_class(unsigned char c) noexcept {
  if (c > 0x20 && c != 0x7F) return email_reason::none;
  return (c == 0x20 || (c >= 0x09 && c <= 0x0D)) ? email_reason::whitespace
                                                 : email_reason::forbidden_character;
}

// Stage 2 on ASCII text: the first control or space decides the reason.
email_reason ascii_chars(std::string_view s, const byte_summary& b) noexcept {
  if ((b.classes & (c_space | c_control)) == 0) return email_reason::none;
  for (const char c : s) {
    if (const email_reason r = ascii_char_class(static_cast<unsigned char>(c));
        r != email_reason::none) {
      return r;
    }
  }
  return email_reason::none;
}

// Stage 2 on non-ASCII text: categories Cc, Cf, Cs, Co, Cn, Zs, Zl, Zp and U+FFFD.
email_reason unicode_chars(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8::sequence_length(s, i);
    const char32_t cp = utf8::decode(s, i, n);
    i += n;
    if (cp < 0x80) {
      if (const email_reason r = ascii_char_class(static_cast<unsigned char>(cp));
          r != email_reason::none) {
        return r;
      }
      continue;
    }
    if (cp == 0xFFFD) return email_reason::forbidden_character;
    switch (static_cast<UCharCategory>(u_charType(static_cast<UChar32>(cp)))) {
      case U_CONTROL_CHAR:
        return cp == 0x85 ? email_reason::whitespace : email_reason::forbidden_character;
      case U_FORMAT_CHAR:
        return email_reason::invisible_character;
      case U_SPACE_SEPARATOR:
      case U_LINE_SEPARATOR:
      case U_PARAGRAPH_SEPARATOR:
        return email_reason::whitespace;
      case U_PRIVATE_USE_CHAR:
      case U_SURROGATE:
      case U_UNASSIGNED:
        return email_reason::forbidden_character;
      default:
        break;
    }
  }
  return email_reason::none;
}

// NFC of the whole string; `s` is re-pointed at `buffer` only when normalisation changes it.
bool normalise(const tables& t, std::string_view& s, std::string& buffer) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::StringPiece piece(s.data(), static_cast<std::int32_t>(s.size()));
  if (t.nfc->isNormalizedUTF8(piece, ec) && U_SUCCESS(ec)) return true;
  ec = U_ZERO_ERROR;
  icu::StringByteSink<std::string> sink(&buffer, static_cast<std::int32_t>(s.size()));
  t.nfc->normalizeUTF8(0, piece, sink, nullptr, ec);
  s = buffer;
  return U_SUCCESS(ec) != 0;
}

constexpr std::array<bool, 128> local_ascii = [] {
  std::array<bool, 128> a{};
  for (const char c : std::string_view("!#$%&'*+-/=?^_`{|}~."))
    a[static_cast<unsigned char>(c)] = true;
  for (char c = '0'; c <= '9'; ++c) a[static_cast<unsigned char>(c)] = true;
  for (char c = 'a'; c <= 'z'; ++c) {
    a[static_cast<unsigned char>(c)] = true;
    a[static_cast<unsigned char>(c - 'a' + 'A')] = true;
  }
  return a;
}();

// Stage 4. Sets `non_ascii` when the local part needs SMTPUTF8.
email_reason check_local(std::string_view local, bool& non_ascii) {
  bool leading_mark = false;
  bool doubled_dot = false;
  non_ascii = false;
  for (std::size_t i = 0; i < local.size();) {
    const auto c = static_cast<unsigned char>(local[i]);
    if (c < 0x80U) {
      if (!local_ascii[c]) return email_reason::bad_local_char;
      doubled_dot |= c == '.' && i > 0 && local[i - 1] == '.';
      ++i;
      continue;
    }
    non_ascii = true;
    const std::size_t n = utf8::sequence_length(local, i);
    const auto cp = static_cast<UChar32>(utf8::decode(local, i, n));
    const std::uint32_t mask = U_GET_GC_MASK(cp);
    if ((mask & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK | U_GC_P_MASK | U_GC_S_MASK)) == 0) {
      return email_reason::bad_local_char;
    }
    if (i == 0 && (mask & U_GC_M_MASK) != 0) leading_mark = true;
    i += n;
  }
  if (local.front() == '.' || local.back() == '.' || doubled_dot) {
    return email_reason::local_dot;
  }
  if (leading_mark) return email_reason::local_leading_mark;
  if (local.size() > 64) return email_reason::local_too_long;
  return email_reason::none;
}

// Unicode simple lower-casing, one code point at a time (ASCII needs no ICU call).
void append_lower(std::string_view s, bool non_ascii, std::string& out) {
  if (!non_ascii) {
    const std::size_t base = out.size();
    out.resize(base + s.size());
    email_detail::lower_ascii(s.data(), s.size(), out.data() + base);
    return;
  }
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8::sequence_length(s, i);
    const auto cp = static_cast<UChar32>(utf8::decode(s, i, n));
    utf8::append(out, static_cast<char32_t>(u_tolower(cp)));
    i += n;
  }
}

// Stage 8 provider folding of the identity key, in place (the key only gets shorter).
void fold_key(std::string& key, std::size_t local_size, std::string_view d, fold_kind kind) {
  if (kind == fold_kind::none) return;
  const bool gmail = kind == fold_kind::gmail;
  std::size_t w = 0;
  for (std::size_t r = 0; r < local_size; ++r) {
    const char c = key[r];
    if (c == '+') break;
    if (gmail && c == '.') continue;
    key[w++] = c;
  }
  key.resize(w);
  key.push_back('@');
  key.append(gmail ? std::string_view("gmail.com") : d);
}

// What a run computes: provider folding of the key (an option), and the risk flags, which lists
// of addresses do not need.
struct run_mode {
  bool fold = false;
  bool flags = true;
};

// Stages 7 and 8 for an address that passed every rule: the identity key (local part lower-
// cased, then folded when asked) and the risk flags, which read the key's local part.
void flag_and_key(const tables& t, const run_mode& mode, std::string_view local, bool non_ascii,
                  std::string_view d, const domain_facts& facts, email_result& out) {
  append_lower(local, non_ascii, out.key);
  const std::size_t key_local_size = out.key.size();
  out.key.push_back('@');
  out.key.append(d);
  if (mode.flags) {
    // Role and placeholder names are read on the lower-cased local part before folding.
    std::string_view base = std::string_view(out.key).substr(0, key_local_size);
    base = base.substr(0, base.find('+'));
    if (base.size() <= t.longest_local_flag) {
      if (const auto it = t.local_flags.find(base); it != t.local_flags.end()) {
        out.flags |= it->second;
      }
    }
    out.flags |= facts.flags;
    if ((facts.flags & risk::typo) != 0) out.typo_suggestion = facts.typo_suggestion;
  }
  if (mode.fold) fold_key(out.key, key_local_size, d, facts.fold);
}

// Stages 0 to 2 for a cell that is not plain. On success `s` is the repaired (and, if not
// ASCII, NFC) text, `at` its first `@` and `at_count` 0, 1 or 2 (two or more).
email_reason prepare(const tables& t, std::string_view cell, std::string_view& s,
                     std::string& nfc, std::size_t& at, std::size_t& at_count, bool& ascii) {
  const bool cell_ascii = utf8::is_ascii(cell);
  if (!cell_ascii && !utf8::is_valid(cell)) return email_reason::bad_encoding;
  s = cell;
  if (const email_reason r = repair(s); r != email_reason::none) return r;
  if (s.empty()) return email_reason::empty;
  const byte_summary bytes = summarise(s);
  if (const email_reason r = unrepaired(s, bytes); r != email_reason::none) return r;
  at = bytes.first_at;
  at_count = bytes.at_count;
  ascii = cell_ascii || utf8::is_ascii(s);
  if (ascii) return ascii_chars(s, bytes);
  if (const email_reason r = unicode_chars(s); r != email_reason::none) return r;
  if (!normalise(t, s, nfc)) return email_reason::bad_encoding;
  at = s.find('@');  // NFC never creates or removes `@`, but positions may move
  at_count = static_cast<std::size_t>(std::count(s.begin(), s.end(), '@'));
  return email_reason::none;
}

// Stages 0 to 6, then flag_and_key. Returns the reason of the first rule that fails.
email_reason run(const tables& t, const run_mode& mode, std::string_view cell,
                 email_detail::domain_memo* memo, email_result& out) {
  std::string_view s = cell;
  std::string nfc;  // slow path only; an unused empty string does not allocate
  const email_detail::plain_cell fast = plain_at(cell);
  std::size_t at = fast.at;
  const bool plain = at != npos;
  std::size_t at_count = 1;
  bool ascii = true;
  if (!plain) {
    if (const email_reason r = prepare(t, cell, s, nfc, at, at_count, ascii);
        r != email_reason::none) {
      return r;
    }
  }
  if (at_count != 1) return email_reason::not_one_at;
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  if (local.empty()) return email_reason::empty_local;
  if (domain.empty()) return email_reason::empty_domain;

  bool non_ascii = false;
  if (const email_reason r =
          plain ? check_plain_local(local, fast.dots < at) : check_local(local, non_ascii);
      r != email_reason::none) {
    return r;
  }
  if (non_ascii) out.flags |= risk::smtputf8;

  out.sent.append(local);
  out.sent.push_back('@');
  const bool domain_ascii = ascii || utf8::is_ascii(domain);
  const domain_facts facts = memo != nullptr
                                 ? memo->lookup(domain, domain_ascii, out.sent)
                                 : email_detail::domain_stage(t, domain, domain_ascii, out.sent);
  if (facts.reason != email_reason::none) return facts.reason;
  if (out.sent.size() > 254) return email_reason::total_too_long;
  const std::string_view d = std::string_view(out.sent).substr(local.size() + 1);

  flag_and_key(t, mode, local, non_ascii, d, facts, out);
  return email_reason::none;
}

void clear(email_result& out) {
  out.flags = 0;
  out.typo_suggestion = {};
  out.sent.clear();
  out.key.clear();
}

}  // namespace

email_memo::email_memo() noexcept = default;
email_memo::email_memo(const email_memo&) noexcept {}
email_memo& email_memo::operator=(const email_memo& other) noexcept {
  if (this != &other) {
    memo_.reset();
    calls_ = 0;
  }
  return *this;
}
email_memo::email_memo(email_memo&&) noexcept = default;
email_memo& email_memo::operator=(email_memo&&) noexcept = default;
email_memo::~email_memo() = default;

email_validator::email_validator(const email_options& opts) : fold_(opts.fold_provider_aliases) {
  auto t = std::make_shared<tables>();
  email_detail::load_static_tables(*t);
  email_detail::load_disposable(*t, opts.disposable_file.empty()
                                        ? std::string(LEADPIPE_DATA_DIR "/disposable_domains.txt")
                                        : opts.disposable_file);
  email_detail::load_public_suffixes(
      *t, opts.psl_file.empty() ? std::string(LEADPIPE_PSL_FILE) : opts.psl_file);
  tables_ = std::move(t);
}

void email_validator::validate(std::string_view cell, email_result& out) const {
  check(cell, out, true);
}

void email_validator::identity(std::string_view cell, email_result& out) const {
  check(cell, out, false);
}

void email_validator::prefetch(std::string_view cell, const email_result& out) const noexcept {
  const email_detail::domain_memo* m = out.memo.memo_.get();
  if (m == nullptr) return;
  const std::size_t at = cell.rfind('@');
  if (at != npos) m->prefetch(cell.substr(at + 1));
}

void email_validator::check(std::string_view cell, email_result& out, bool flags) const {
  out.status = email_status::invalid;
  out.reason = email_reason::none;
  clear(out);
  // A result that is reused gets a memo of domains; one used once or twice never pays for it.
  email_memo& m = out.memo;
  if (m.memo_ == nullptr || m.memo_->owner() != tables_.get()) {
    if (m.calls_ < 16) {
      ++m.calls_;
    } else {
      m.memo_ = std::make_unique<email_detail::domain_memo>(tables_);
    }
  }
  const email_reason r = run(*tables_, {fold_, flags}, cell, m.memo_.get(), out);
  if (r != email_reason::none) {
    out.reason = r;
    clear(out);
    return;
  }
  if (!flags) out.flags = 0;
  out.status = out.flags != 0 ? email_status::risky : email_status::valid;
}

}  // namespace leadpipe
