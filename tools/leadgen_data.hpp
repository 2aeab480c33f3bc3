#pragma once
// The fixed vocabularies leadpipe-gen draws from: names, places, companies, and the email forms
// whose classification under the email policy is certain (invalid, disposable, role, placeholder).
// All tables are immutable static data: thread-safe, valid for the whole program.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace leadpipe::leadgen {

/// A person's name as displayed and the ASCII slug used to build addresses (`José` -> `jose`).
struct name_entry {
  std::string_view display;
  std::string_view slug;
};

/// A place; `phone_prefix` is the country calling code used for the phone column.
struct place_entry {
  std::string_view city;
  std::string_view state;
  std::string_view country;
  std::string_view phone_prefix;
};

/// A job title and the seniority an export would list for it.
struct title_entry {
  std::string_view title;
  std::string_view seniority;
};

[[nodiscard]] std::span<const name_entry> first_names(bool unicode) noexcept;
[[nodiscard]] std::span<const name_entry> last_names(bool unicode) noexcept;
[[nodiscard]] std::span<const place_entry> places(bool unicode) noexcept;
[[nodiscard]] std::span<const title_entry> titles() noexcept;
[[nodiscard]] std::span<const std::string_view> industries() noexcept;
[[nodiscard]] std::span<const std::string_view> notes_single_line() noexcept;
/// Notes with LF or CRLF inside, double quotes and every supported delimiter.
[[nodiscard]] std::span<const std::string_view> notes_multiline() noexcept;
[[nodiscard]] std::span<const std::string_view> custom_values() noexcept;

/// Personal-mail domains (never disposable, never in the typo table).
[[nodiscard]] std::span<const std::string_view> freemail_domains() noexcept;
/// Valid IDN domains in NFC, lower case, with ICANN TLDs (`bücher.ch`).
[[nodiscard]] std::span<const std::string_view> idn_domains() noexcept;
/// Domains present in the npm `disposable-email-domains` list (checked against v1.0.62).
[[nodiscard]] std::span<const std::string_view> disposable_domains() noexcept;
/// Local parts on the policy's role list (flag `role`, kept by default).
[[nodiscard]] std::span<const std::string_view> role_locals() noexcept;
/// Local parts on the policy's placeholder list (flag `placeholder`, dropped by default).
[[nodiscard]] std::span<const std::string_view> placeholder_locals() noexcept;
/// Templates of addresses every reasonable validator rejects. Tokens: `{l}` a plausible local
/// part, `{f}`/`{s}` first/last name slugs, `{d}` a company domain, `{c}` its name without TLD.
[[nodiscard]] std::span<const std::string_view> invalid_templates() noexcept;

/// The company pool: `company_count()` companies, each with a name ("Northwind Logistics") and a
/// distinct two-label ASCII domain ("northwindlogistics.com"). Index must be < company_count().
[[nodiscard]] std::uint32_t company_count() noexcept;
void append_company_name(std::string& out, std::uint32_t company);
/// Appends the domain's first label (`northwindlogistics`).
void append_company_slug(std::string& out, std::uint32_t company);
[[nodiscard]] std::string_view company_tld(std::uint32_t company) noexcept;
void append_company_domain(std::string& out, std::uint32_t company);

/// Element `i` modulo the table's size (tables are never empty).
template <class T>
[[nodiscard]] const T& pick_from(std::span<const T> table, std::uint64_t i) noexcept {
  return table[static_cast<std::size_t>(i % table.size())];
}

/// Appends `n` in decimal, left-padded with zeros to `min_width` digits.
void append_decimal(std::string& out, std::uint64_t n, int min_width = 0);

/// Appends `s` with ASCII letters lower-cased and other bytes unchanged (for ASCII-domain
/// addresses this is the identity key). Thread-safe.
void append_lower_ascii(std::string& out, std::string_view s);

}  // namespace leadpipe::leadgen
