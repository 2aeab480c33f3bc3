// The domain's share of the email policy as one pure function (stage 5, the typo and
// disposable flags of stage 7, the provider kind of stage 8), and a small per-result memory of
// it: lead files and lists repeat a few thousand domains millions of times, and a non-ASCII
// domain costs two libidn2 calls that each run tens of thousands of instructions.
#include "email_detail.hpp"

#include <cstring>
#include <utility>

namespace leadpipe::email_detail {
namespace {

constexpr auto npos = std::string_view::npos;
// Domains longer than this are not remembered (no valid domain is: 253 bytes at most, and a
// Unicode one is at most 4 bytes per A-label byte, which this covers for common scripts).
constexpr std::size_t max_remembered = 255;
constexpr std::size_t short_sets = 4096;  // powers of two
constexpr std::size_t long_sets = 512;

bool is_disposable(const tables& t, std::string_view d) {
  for (;;) {
    if (t.disposable.contains(d)) return true;
    d.remove_prefix(d.find('.') + 1);  // the domain has at least two labels
    if (d.find('.') == npos) return false;
  }
}

// hotmail.* and live.* count only over a public suffix (hotmail.co.uk), never a custom domain.
bool is_plus_provider(const tables& t, std::string_view d) {
  for (const std::string_view p : plus_tag_domains()) {
    if (d == p) return true;
  }
  for (const std::string_view brand : {std::string_view("hotmail."), std::string_view("live.")}) {
    if (d.starts_with(brand) && t.icann_suffixes.contains(d.substr(brand.size()))) return true;
  }
  return false;
}

}  // namespace

domain_facts domain_stage(const tables& t, std::string_view domain, bool ascii, std::string& out) {
  domain_facts f;
  const std::size_t base = out.size();
  f.reason = check_domain(t, domain, ascii, out);
  if (f.reason != email_reason::none) return f;
  const std::string_view d = std::string_view(out).substr(base);
  if (d.size() <= t.longest_typo) {
    if (const auto it = t.typos.find(d); it != t.typos.end()) {
      f.flags |= risk::typo;
      f.typo_suggestion = it->second;
    }
  }
  if (is_disposable(t, d)) f.flags |= risk::disposable;
  if (d == "gmail.com" || d == "googlemail.com") {
    f.fold = fold_kind::gmail;
  } else if (is_plus_provider(t, d)) {
    f.fold = fold_kind::plus_tag;
  }
  return f;
}

domain_memo::domain_memo(std::shared_ptr<const tables> owner)
    : owner_(std::move(owner)), short_(2 * short_sets), long_(2 * long_sets) {}

domain_facts domain_memo::lookup(std::string_view domain, bool ascii, std::string& out) {
  if (ascii && domain.size() <= sizeof(short_entry::bytes)) return lookup_short(domain, out);
  if (domain.size() > max_remembered) return domain_stage(*owner_, domain, ascii, out);
  return lookup_long(domain, ascii, out);
}

// The ASCII domain stage starts by lower-casing into `out`, and every rule after that reads
// only the lower-case form: so it is lower-cased here, and a hit leaves it in place.
domain_facts domain_memo::lookup_short(std::string_view domain, std::string& out) {
  const std::size_t base = out.size();
  out.resize(base + domain.size());
  char* lower = out.data() + base;
  lower_ascii(domain.data(), domain.size(), lower);
  const std::string_view key(lower, domain.size());
  const std::uint64_t h = XXH3_64bits(key.data(), key.size());
  short_entry* set = &short_[2 * (h & (short_sets - 1))];
  for (unsigned way = 0; way < 2; ++way) {
    short_entry& e = set[way];
    if (e.hash != h || e.size != key.size() || std::memcmp(e.bytes, key.data(), key.size()) != 0) {
      continue;
    }
    if (way == 1) std::swap(set[0], set[1]);
    return set[0].facts;
  }
  out.resize(base);
  set[1] = set[0];
  short_entry& e = set[0];
  e.facts = domain_stage(*owner_, domain, true, out);
  e.hash = h;
  e.size = static_cast<std::uint8_t>(domain.size());
  lower_ascii(domain.data(), domain.size(), e.bytes);
  return e.facts;
}

domain_facts domain_memo::lookup_long(std::string_view domain, bool ascii, std::string& out) {
  const std::uint64_t h = XXH3_64bits(domain.data(), domain.size());
  long_entry* set = &long_[2 * (h & (long_sets - 1))];
  for (unsigned way = 0; way < 2; ++way) {
    long_entry& e = set[way];
    if (!e.used || e.hash != h || e.domain != domain) continue;
    if (way == 1) std::swap(set[0], set[1]);
    if (set[0].facts.reason == email_reason::none) out.append(set[0].alabel);
    return set[0].facts;
  }
  std::swap(set[0], set[1]);  // the older entry's strings are reused for the new one
  long_entry& e = set[0];
  const std::size_t base = out.size();
  e.facts = domain_stage(*owner_, domain, ascii, out);
  e.hash = h;
  e.used = true;
  e.domain.assign(domain);
  if (e.facts.reason == email_reason::none) e.alabel.assign(out, base);
  return e.facts;
}

}  // namespace leadpipe::email_detail
