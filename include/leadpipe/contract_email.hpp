#pragma once
// The SmartLead contract's email validity rule (§7.1) and the block-list domain rule (§6.10),
// shared by the importer's pre-flight and the simulator so both judge an address identically.

#include <string>
#include <string_view>

namespace leadpipe {

/// Removes ASCII white space (space, TAB, CR, LF, VT, FF) at both ends: the "trim" of contract §4.
/// Returns a view into `s`. Thread-safe.
[[nodiscard]] std::string_view contract_trim(std::string_view s) noexcept;

/// True when `s` (already trimmed) is an address under contract §7.1: exactly one '@'; a local
/// part of 1-64 characters from the allowed ASCII set, without a leading or trailing '.' or "..";
/// a domain that passes is_contract_domain(); no white space; at most 254 characters in all.
/// Pure ASCII only: any byte >= 0x80 fails. Thread-safe.
[[nodiscard]] bool is_contract_email(std::string_view s) noexcept;

/// True when `s` is a domain under contract §7.1: 4-253 characters, at least two dot-separated
/// labels of 1-63 letters, digits or '-' (not at either end of a label), and a last label of at
/// least two letters or an IDNA A-label ("xn--..."). Case-insensitive. Thread-safe.
[[nodiscard]] bool is_contract_domain(std::string_view s) noexcept;

/// The part after the last '@' of `email`, or an empty view when there is none. Thread-safe.
[[nodiscard]] std::string_view email_domain(std::string_view email) noexcept;

/// Appends `s` to `out` with ASCII letters lower-cased (other bytes unchanged): the contract's
/// case-insensitive comparison key for addresses and domains. Thread-safe.
void append_ascii_lower(std::string& out, std::string_view s);

}  // namespace leadpipe
