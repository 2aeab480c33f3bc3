#include "leadpipe/server_sets.hpp"

#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "leadpipe/ascii.hpp"
#include "leadpipe/csv.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/mapping.hpp"
#include "leadpipe/source.hpp"

namespace leadpipe {
namespace {

constexpr std::size_t kMaxProblems = 20;

// Header names of list files exported by SmartLead, CRMs and suppression tools.
bool is_list_header(std::string_view h) {
  static constexpr std::array<std::string_view, 14> names = {
      "email",  "emails", "emailaddress", "domain",  "domains",     "emailordomain", "value",
      "entry",  "address", "blocklist",   "blocked", "suppression", "unsubscribed",  "mail"};
  const std::string n = normalise_header(h);
  for (auto name : names) {
    if (n == name) return true;
  }
  return false;
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

list_stats load_list(const std::string& path, const email_validator& validator, key_set& emails,
                     key_set* domains) {
  std::string message;
  auto reader = csv_reader::open(byte_source::open(path), {}, &message);
  list_stats st;
  if (!reader) {
    if (reader.error() == make_error_code(csv_errc::empty_input)) return st;  // an empty list
    throw std::runtime_error(message);
  }
  const auto& header = reader->header();
  // A recognised column name makes it a CSV list; otherwise it is one entry per line and the
  // first line is an entry too.
  std::size_t column = header.size();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (is_list_header(header[i])) {
      column = i;
      break;
    }
  }
  const bool headerless = column == header.size();
  if (headerless && header.size() > 1) {
    throw std::runtime_error(fmt::format(
        "{}: a list needs one entry per line or a column named email, domain or email_or_domain "
        "(header has {} columns, none of them)", path, header.size()));
  }
  if (headerless) column = 0;

  email_result r;
  std::string probe;
  const auto add = [&](std::string_view entry, std::uint64_t line) {
    entry = ascii::trim_blanks(entry);
    if (entry.empty() || entry.front() == '#') return;
    ++st.lines;
    const bool is_domain = entry.find('@') == std::string_view::npos;
    if (is_domain && domains != nullptr) {
      // A domain is normalised exactly as the domain of an address would be.
      probe.assign("x@");
      probe.append(entry);
      validator.validate(probe, r);
    } else {
      validator.validate(entry, r);
    }
    if (r.status == email_status::invalid) {
      ++st.invalid;
      if (st.problems.size() < kMaxProblems) {
        st.problems.push_back(fmt::format("{}:{}: '{}' is not a valid {}: {}", path, line, entry,
                                          is_domain && domains != nullptr ? "domain" : "address",
                                          describe(r.reason)));
      }
      return;
    }
    if (is_domain && domains != nullptr) {
      domains->insert(fingerprint_of(domain_of(r.sent)));
      ++st.domains;
    } else {
      emails.insert(fingerprint_of(r.key));
      ++st.emails;
    }
  };
  if (headerless) add(header[0], reader->header_line());
  csv_record rec;
  while (reader->next(rec)) {
    if (column < rec.fields.size()) add(rec.fields[column], rec.line);
  }
  return st;
}

}  // namespace leadpipe
