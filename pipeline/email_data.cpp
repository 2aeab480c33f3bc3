// Start-up data of the validate stage: the disposable-domain list, the ICANN section of the
// Public Suffix List (through libpsl) and the static policy tables, loaded into hash sets once.
#include "email_detail.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include <idn2.h>
#include <libpsl.h>
#include <unicode/normalizer2.h>

#include "leadpipe/utf8.hpp"

namespace leadpipe::email_detail {

int to_alabels(std::string_view domain, std::string& out) {
  const std::string z(domain);  // libidn2 wants a NUL-terminated string
  char* converted = nullptr;
  const int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(z.c_str()),
                                reinterpret_cast<std::uint8_t**>(&converted),
                                IDN2_NONTRANSITIONAL | IDN2_USE_STD3_ASCII_RULES);
  if (rc == IDN2_OK) out.append(converted);
  idn2_free(converted);
  return rc;
}

namespace {

std::string read_whole_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw std::runtime_error(path + ": cannot open " + std::string(what) + ": " +
                             std::strerror(errno));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error(path + ": cannot read " + std::string(what));
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) throw std::runtime_error(path + ": read error");
  return text;
}

// Calls `fn(line, line_number)` for each line without its end-of-line bytes.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++number);
  }
}

std::string_view strip_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Appends the lower-case A-label form of `name` to `arena`; false when it is not a domain name.
bool append_normalised(std::string_view name, std::string& arena) {
  if (!utf8::is_ascii(name)) return utf8::is_valid(name) && to_alabels(name, arena) == IDN2_OK;
  if (name.empty() || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  for (const char c : name) {
    if (!is_ldh(c) && c != '.') return false;
    arena.push_back(ascii_lower(c));
  }
  return true;
}

// Collects entries in one arena first and takes views only afterwards, so that the arena never
// reallocates under a view.
struct arena_builder {
  std::string& arena;
  std::vector<std::pair<std::size_t, std::size_t>> spans;

  bool add(std::string_view name) {
    const std::size_t start = arena.size();
    if (!append_normalised(name, arena)) {
      arena.resize(start);
      return false;
    }
    spans.emplace_back(start, arena.size() - start);
    return true;
  }
  void fill(sv_set& set) const {
    set.reserve(spans.size());
    for (const auto& [start, size] : spans) set.insert(std::string_view(arena).substr(start, size));
  }
};

}  // namespace

void load_disposable(tables& t, const std::string& path) {
  const std::string text = read_whole_file(path, "disposable-domain list");
  arena_builder b{t.disposable_arena, {}};
  t.disposable_arena.reserve(text.size());
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    line = strip_blanks(line);
    if (line.empty() || line.front() == '#') return;
    if (!b.add(line)) {
      throw std::runtime_error(path + ":" + std::to_string(number) +
                               ": not a domain name: " + std::string(line));
    }
  });
  if (b.spans.empty()) throw std::runtime_error(path + ": no domains in disposable-domain list");
  b.fill(t.disposable);
}

void load_public_suffixes(tables& t, const std::string& path) {
  // libpsl is the authority on what the list says; our own pass over the text only enumerates
  // the ICANN rules, because libpsl has no iteration API.
  const std::unique_ptr<psl_ctx_t, decltype(&psl_free)> psl(psl_load_file(path.c_str()), &psl_free);
  if (!psl) throw std::runtime_error(path + ": cannot load public suffix list");
  const std::string text = read_whole_file(path, "public suffix list");
  arena_builder b{t.suffix_arena, {}};
  bool in_icann = false;
  bool saw_section = false;
  for_each_line(text, [&](std::string_view line, std::size_t /*number*/) {
    if (line.starts_with("// ===BEGIN ICANN DOMAINS===")) in_icann = saw_section = true;
    if (line.starts_with("// ===END ICANN DOMAINS===")) in_icann = false;
    line = strip_blanks(line.substr(0, line.find_first_of(" \t")));
    if (!in_icann || line.empty() || line.starts_with("//") || line.front() == '!') return;
    if (line.starts_with("*.")) line.remove_prefix(2);  // `*.ck` makes `ck` a suffix too
    const std::size_t start = t.suffix_arena.size();
    // A rule we cannot convert to A-labels is left out rather than stopping start-up over a
    // list we do not control; libpsl's own check below filters the rest.
    if (!b.add(line)) return;
    const std::string rule = t.suffix_arena.substr(start);
    if (psl_is_public_suffix2(psl.get(), rule.c_str(), PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) ==
        0) {
      b.spans.pop_back();
      t.suffix_arena.resize(start);
    }
  });
  if (!saw_section || b.spans.empty()) {
    throw std::runtime_error(path + ": no ICANN section in public suffix list");
  }
  b.fill(t.icann_suffixes);
}

void load_static_tables(tables& t) {
  for (const std::string_view r : role_names()) t.local_flags.emplace(r, risk::role);
  for (const std::string_view p : placeholder_names()) t.local_flags.emplace(p, risk::placeholder);
  for (const auto& [typo, fix] : typo_domains()) t.typos.emplace(typo, fix);
  for (const std::string_view r : reserved_domains())
    t.reserved.emplace_back(r, r.substr(r.rfind('.') + 1));
  for (const auto& entry : t.local_flags) {
    t.longest_local_flag = std::max(t.longest_local_flag, entry.first.size());
  }
  for (const auto& entry : t.typos) t.longest_typo = std::max(t.longest_typo, entry.first.size());
  UErrorCode ec = U_ZERO_ERROR;
  t.nfc = icu::Normalizer2::getNFCInstance(ec);
  if (U_FAILURE(ec) || t.nfc == nullptr) {
    throw std::runtime_error(std::string("icu: cannot load nfc normalisation data: ") +
                             u_errorName(ec));
  }
}

}  // namespace leadpipe::email_detail
