#pragma once
// Stage "filter": local copies of the sets the server consults when it imports (contract §7.2
// steps 3-7), so that rows it would skip never take a place in a request. Filled from list files
// (--block-list, --unsubscribed, --existing) or from the sync cache; held as fingerprint sets.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "leadpipe/email.hpp"
#include "leadpipe/keyset.hpp"
#include "leadpipe/outcome.hpp"

namespace leadpipe {

/// Which server checks apply (mirrors the import settings of §6.1 and the cross-campaign intent).
struct filter_options {
  bool ignore_global_block_list = false;
  bool ignore_unsubscribe_list = false;
  bool skip_in_other_campaigns = false;  ///< cross_campaign = skip
};

/// The sets, by identity key (email-policy stage 8) or, for block-list domains, by A-label
/// domain. Plain data; concurrent readers are fine, writers need exclusive access.
struct server_sets {
  key_set existing;          ///< members of the target campaign (§7.2 step 3)
  key_set blocked_emails;    ///< block-list address entries (step 4)
  key_set blocked_domains;   ///< block-list domain entries, exact domain match (step 4, §6.10)
  key_set unsubscribed;      ///< unsubscribed leads (step 5)
  key_set other_campaigns;   ///< members of the account's other campaigns (step 7)

  /// The first server skip that applies to a lead, in the server's own order (§7.2: already in
  /// campaign, blocked, unsubscribed, in other campaign), or nullopt when the server would add it.
  /// `key` is the identity key's fingerprint; `domain` the fingerprint of the address's A-label
  /// domain. Thread-safe for concurrent readers.
  [[nodiscard]] std::optional<outcome> check(const fingerprint& key, const fingerprint& domain,
                                             const filter_options& opts) const;

  /// Hints the CPU to load the table lines check() will read for these fingerprints, so that a
  /// caller can overlap the memory latency of a batch of rows. Changes nothing. Thread-safe.
  void prefetch(const fingerprint& key, const fingerprint& domain,
                const filter_options& opts) const noexcept;
};

/// Turns list entries (addresses, or domains) into the fingerprints server_sets::check looks
/// up, exactly as the pipeline keys rows: an address by its identity key, a domain as the
/// domain of an address would be normalised (A-label). Used for list files, the sync's server
/// listings and the leads an import added. Reuses its buffers: one per thread. Borrows the
/// validator, which must outlive it.
class entry_keyer {
 public:
  explicit entry_keyer(const email_validator& validator) : validator_(validator) {}
  /// The fingerprint of an address's identity key; nullopt when the address is invalid (the
  /// reason is in result()).
  [[nodiscard]] std::optional<fingerprint> email(std::string_view address);
  /// The fingerprint of a domain; nullopt when it is not a valid domain.
  [[nodiscard]] std::optional<fingerprint> domain(std::string_view domain);
  /// The validator's verdict on the last entry.
  [[nodiscard]] const email_result& result() const { return result_; }

 private:
  const email_validator& validator_;
  email_result result_;
  std::string probe_;
};

/// What loading one list file found.
struct list_stats {
  std::uint64_t lines = 0;            ///< entries read (blank lines and # comments not counted)
  std::uint64_t emails = 0;           ///< address entries added
  std::uint64_t domains = 0;          ///< domain entries added
  std::uint64_t invalid = 0;          ///< entries that are neither (see `problems`)
  std::vector<std::string> problems;  ///< the first few invalid entries, "FILE:LINE: message"
};

/// Reads a list of addresses (and, when `domains` is given, domains) from `path` ("-" is
/// standard input; gzip is detected): either one entry per line (blank lines and lines starting
/// with # are skipped) or a CSV whose header has a column named like email, domain,
/// email_or_domain or value. Addresses are normalised by `validator` to their identity key;
/// domains to lower-case A-labels. Entries are added to `emails` / `*domains`. An entry that is
/// neither a valid address nor (with `domains`) a valid domain is counted as invalid and
/// skipped. Throws source_error when the file cannot be read, std::runtime_error when a CSV list
/// has no usable column or when it has entries and none of them is valid (the wrong file, column
/// or encoding). Not thread-safe for the sets.
list_stats load_list(const std::string& path, const email_validator& validator, key_set& emails,
                     key_set* domains, const std::atomic<bool>* stop = nullptr);

/// The columns of a list's header that hold its entries: those named like an address column
/// (email, email_or_domain, value, entry, address, blocked, suppression, ...), and, with
/// `with_domains`, those named domain or domains; without it a domain column counts only when
/// there is no address column. Empty: the header names none (a list of one entry per line).
/// Used by load_list() and `block add`, so both read a file the same way. Thread-safe.
[[nodiscard]] std::vector<std::size_t> list_columns(const std::vector<std::string>& header,
                                                    bool with_domains);

/// The A-label domain of an address in sent form (the part after the last '@').
[[nodiscard]] inline std::string_view domain_of(std::string_view sent) {
  const std::size_t at = sent.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : sent.substr(at + 1);
}

}  // namespace leadpipe
