#include "leadpipe/server_sets.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "leadpipe/ascii.hpp"
#include "leadpipe/csv.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/mapping.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/source.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

constexpr std::size_t kMaxProblems = 20;

// Header names of list files exported by SmartLead, CRMs and suppression tools: columns of
// addresses (or of either), and columns of domains only.
enum class list_column : std::uint8_t { none, entries, domains };

list_column list_header(std::string_view h) {
  static constexpr std::array<std::string_view, 12> entries = {
      "email",   "emails",    "emailaddress", "emailordomain", "value",        "entry",
      "address", "blocklist", "blocked",      "suppression",   "unsubscribed", "mail"};
  const std::string n = normalise_header(h);
  if (n == "domain" || n == "domains") return list_column::domains;
  for (auto name : entries) {
    if (n == name) return list_column::entries;
  }
  return list_column::none;
}

// Inserts address fingerprints a fixed distance behind the entry being read, prefetching each
// one's bucket when it is read, so that the inserts of a big list overlap their cache misses.
class delayed_inserter {
 public:
  explicit delayed_inserter(key_set& set) : set_(set) {}
  delayed_inserter(const delayed_inserter&) = delete;
  delayed_inserter& operator=(const delayed_inserter&) = delete;
  ~delayed_inserter() = default;  // flush() is the caller's: it may throw (bad_alloc)

  void add(const fingerprint& f) {
    set_.prefetch(f);
    fingerprint& slot = ring_[count_ % ring_.size()];
    if (count_ >= ring_.size()) set_.insert(slot);
    slot = f;
    ++count_;
  }
  void flush() {
    const std::size_t held = std::min<std::size_t>(count_, ring_.size());
    for (std::size_t i = count_ - held; i < count_; ++i) set_.insert(ring_[i % ring_.size()]);
    count_ = 0;
  }

 private:
  key_set& set_;
  std::array<fingerprint, 16> ring_{};
  std::size_t count_ = 0;
};

// After the first `sample` entries, sizes `set` for the whole list from the share of the file
// they took. Only for plain files of UTF-8 text, whose decoded offsets are file offsets; other
// lists grow as they load (doubling, so at worst twice the memory).
void reserve_for_list(const csv_reader& reader, const csv_record& rec, std::uint64_t sample,
                      std::size_t held_before, key_set& set) {
  const byte_source& src = reader.source();
  const auto size = src.raw_size();
  const std::uint64_t read = rec.offset + rec.raw.size() + 1;
  if (!size || src.compressed() || src.encoding() != "utf-8" || read == 0) return;
  const auto estimate = static_cast<double>(*size) / static_cast<double>(read) *
                        static_cast<double>(sample) * 1.05;
  set.reserve(held_before + static_cast<std::size_t>(estimate));
}

}  // namespace

std::optional<outcome> server_sets::check(const fingerprint& key, const fingerprint& domain,
                                          const filter_options& opts) const {
  if (!existing.empty() && existing.contains(key)) return outcome::already_in_campaign;
  if (!opts.ignore_global_block_list &&
      ((!blocked_emails.empty() && blocked_emails.contains(key)) ||
       (!blocked_domains.empty() && blocked_domains.contains(domain)))) {
    return outcome::blocked;
  }
  if (!opts.ignore_unsubscribe_list && !unsubscribed.empty() && unsubscribed.contains(key)) {
    return outcome::unsubscribed;
  }
  if (opts.skip_in_other_campaigns && !other_campaigns.empty() && other_campaigns.contains(key)) {
    return outcome::in_other_campaign;
  }
  return std::nullopt;
}

void server_sets::prefetch(const fingerprint& key, const fingerprint& domain,
                           const filter_options& opts) const noexcept {
  existing.prefetch(key);
  if (!opts.ignore_global_block_list) {
    blocked_emails.prefetch(key);
    blocked_domains.prefetch(domain);
  }
  if (!opts.ignore_unsubscribe_list) unsubscribed.prefetch(key);
  if (opts.skip_in_other_campaigns) other_campaigns.prefetch(key);
}

std::optional<fingerprint> entry_keyer::email(std::string_view address) {
  validator_.identity(address, result_);
  if (result_.status == email_status::invalid) return std::nullopt;
  return fingerprint_of(result_.key);
}

std::optional<fingerprint> entry_keyer::domain(std::string_view domain) {
  // A domain is normalised exactly as the domain of an address would be.
  probe_.assign("x@");
  probe_.append(domain);
  validator_.identity(probe_, result_);
  if (result_.status == email_status::invalid) return std::nullopt;
  return fingerprint_of(domain_of(result_.sent));
}

std::vector<std::size_t> list_columns(const std::vector<std::string>& header, bool with_domains) {
  std::vector<std::size_t> columns;
  std::vector<std::size_t> domain_columns;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const list_column kind = list_header(header[i]);
    if (kind == list_column::entries || (kind == list_column::domains && with_domains)) {
      columns.push_back(i);
    } else if (kind == list_column::domains) {
      domain_columns.push_back(i);
    }
  }
  return columns.empty() ? domain_columns : columns;
}

list_stats load_list(const std::string& path, const email_validator& validator, key_set& emails,
                     key_set* domains, const std::atomic<bool>* stop) {
  std::string message;
  source_options how;
  how.stop = stop;  // a list given as a pipe that holds back its data does not hold a stop back
  auto reader = csv_reader::open(byte_source::open(path, how), {}, &message);
  list_stats st;
  if (!reader) {
    if (reader.error() == make_error_code(csv_errc::empty_input)) return st;  // an empty list
    throw std::runtime_error(message);
  }
  const auto& header = reader->header();
  // Recognised column names make it a CSV list; otherwise it is one entry per line and the
  // first line is an entry too. A block list reads every such column (suppression exports
  // often have an email and a domain column side by side); the other lists, which hold
  // addresses only, read their address columns, or a domain column when it is all there is.
  std::vector<std::size_t> columns = list_columns(header, domains != nullptr);
  const bool headerless = columns.empty();
  if (headerless && header.size() > 1) {
    throw std::runtime_error(fmt::format(
        "{}: a list needs one entry per line or a column named email, domain or email_or_domain "
        "(header has {} columns, none of them)", path, header.size()));
  }
  if (headerless) columns.push_back(0);

  entry_keyer keyer(validator);
  const std::size_t held_before = emails.size();
  delayed_inserter inserter(emails);
  bool nul = false;  // an invalid entry held a NUL byte: UTF-16 read as UTF-8
  const auto add = [&](std::string_view entry, std::uint64_t line) {
    // A list written by leadpipe (`block list`, `leads export`) or opened in a spreadsheet
    // guards entries such as "=eq@x.io" with a quote; the address is what follows.
    entry = unguard_cell(utf8::trim_space(entry));
    if (entry.empty() || entry.front() == '#') return;
    ++st.lines;
    // "@rival.io" is how suppression lists (and `block add`) write a whole domain.
    const std::size_t at = entry.find('@');
    const bool is_domain =
        domains != nullptr &&
        (at == std::string_view::npos || (at == 0 && entry.find('@', 1) == std::string_view::npos));
    const std::optional<fingerprint> key =
        is_domain ? keyer.domain(at == 0 ? entry.substr(1) : entry) : keyer.email(entry);
    if (!key) {
      ++st.invalid;
      nul = nul || entry.find('\0') != std::string_view::npos;
      if (st.problems.size() < kMaxProblems) {
        st.problems.push_back(fmt::format("{}:{}: '{}' is not a valid {}: {}", path, line,
                                          utf8::printable(entry), is_domain ? "domain" : "address",
                                          describe(keyer.result().reason)));
      }
      return;
    }
    if (is_domain) {
      domains->insert(*key);
      ++st.domains;
    } else {
      inserter.add(*key);
      ++st.emails;
    }
  };
  if (headerless) add(header[0], reader->header_line());
  csv_record rec;
  constexpr std::uint64_t sample = 4096;
  std::uint64_t records = 0;
  while (reader->next(rec)) {
    if (++records == sample) reserve_for_list(*reader, rec, sample, held_before, emails);
    for (const std::size_t column : columns) {
      if (column < rec.fields.size()) add(rec.fields[column], rec.line);
    }
  }
  inserter.flush();
  // A list none of whose entries could be read is the wrong file, column or encoding; going on
  // without it would send every lead it should have stopped.
  if (st.lines != 0 && st.emails + st.domains == 0) {
    throw std::runtime_error(fmt::format(
        "{}: none of its {} entries is a valid address{}; {}", path, st.lines,
        domains != nullptr ? " or domain" : "",
        nul ? "it holds NUL bytes, so it looks like UTF-16 without a byte-order mark: save it "
              "as UTF-8"
            : fmt::format("the first: {}", st.problems.empty() ? "?" : st.problems.front())));
  }
  return st;
}

}  // namespace leadpipe
