#pragma once
// The `validate` stage: applies the email validation and identity policy
// (/work/shared/email-policy.md, stages 0-8) to one email cell, giving valid / risky / invalid,
// the reason and risk flags, the form to send and the identity key used by deduplication.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace leadpipe {

/// Outcome class of one address (policy preamble).
enum class email_status : std::uint8_t {
  valid,    ///< passes every rule, no risk flag
  risky,    ///< passes every rule, carries one or more risk flags
  invalid,  ///< never sent; `email_result::reason` says why
};

/// Why an address is invalid; one code per rule of the policy. `code()` gives the machine name
/// (the enumerator's name), `describe()` one human sentence.
enum class email_reason : std::uint8_t {
  none,  ///< not invalid
  // Stage 0 and 1: bytes and container.
  empty,                   ///< nothing left after the stage-1 repairs (reported as missing_email)
  bad_encoding,            ///< not well-formed UTF-8
  ambiguous_display_name,  ///< `name <addr>` form whose display name contains `@`
  spreadsheet_formula,     ///< `=HYPERLINK(...)`, `="a@b.com"` and similar formulas
  html_entity,             ///< an HTML entity such as `&#64;` or `&lt;`
  percent_encoded_at,      ///< `%40` instead of `@`
  two_addresses,           ///< two or more addresses separated by `,` `;` `/` `|` or space
  brackets,                ///< starts with `(` `[` `<` or ends with `)` `]` `}` `>` (not repaired)
  backticks,               ///< ends with a backtick (e.g. wrapped in backticks)
  trailing_punctuation,    ///< ends with `.`, `,` or `;`
  // Stage 2: characters.
  whitespace,           ///< white space inside the address (Zs, Zl, Zp, TAB, LF, CR, ...)
  invisible_character,  ///< format character (Cf: zero-width, soft hyphen, bidi marks...) or,
                        ///< in the domain, any default-ignorable code point
  forbidden_character,  ///< control (Cc), private-use (Co), unassigned (Cn) or U+FFFD
  // Stage 3: structure.
  not_one_at,    ///< zero or more than one `@`
  empty_local,   ///< nothing before the `@`
  empty_domain,  ///< nothing after the `@`
  // Stage 4: local part.
  bad_local_char,      ///< a character not allowed in the local part (quotes, parens, ...)
  local_dot,           ///< leading, trailing or doubled dot in the local part
  local_leading_mark,  ///< local part starts with a combining mark
  local_too_long,      ///< local part over 64 bytes
  // Stage 5: domain.
  address_literal,         ///< domain starts with `[`
  bad_domain_char,         ///< ASCII other than letters, digits, `-`, `.` (before or after mapping)
  empty_label,             ///< leading, trailing (root) or doubled dot in the domain
  label_hyphen,            ///< a label starts or ends with `-`
  reserved_label_hyphens,  ///< `--` in positions 3-4 of a label not starting with `xn--`
  bad_punycode,            ///< an `xn--` label that does not decode to a valid IDNA2008 label
                           ///< or does not re-encode to itself
  idna_disallowed,         ///< a character IDNA2008 / UTS #46 disallow in a domain name
  idna_context,            ///< IDNA2008 contextual rule (CONTEXTJ / CONTEXTO) failed
  idna_bidi,               ///< IDNA2008 bidi rule failed
  idna_error,              ///< any other IDNA conversion failure
  label_too_long,          ///< an A-label over 63 bytes
  too_few_labels,          ///< fewer than two labels
  domain_too_long,         ///< A-label domain over 253 bytes
  reserved_domain,         ///< localhost, local, test, invalid, example, onion, arpa, internal,
                           ///< alt, example.com/.net/.org or a subdomain of one
  unknown_tld,             ///< last label is not an ICANN TLD of the Public Suffix List
  // Stage 6: total length.
  total_too_long,  ///< local + 1 + A-label domain over 254 bytes
};

/// Number of email_reason values (for per-reason counter arrays indexed by the enum).
inline constexpr std::size_t email_reason_count =
    static_cast<std::size_t>(email_reason::total_too_long) + 1;

/// Machine code of a reason, e.g. "reserved_domain"; "none" for email_reason::none. Static storage.
[[nodiscard]] std::string_view code(email_reason r) noexcept;
/// One lower-case human sentence explaining the reason (no trailing period). Static storage.
[[nodiscard]] std::string_view describe(email_reason r) noexcept;
/// "valid", "risky" or "invalid". Static storage.
[[nodiscard]] std::string_view code(email_status s) noexcept;

/// Risk flags (policy stage 7), combined as a bit mask in `email_result::flags`.
namespace risk {
inline constexpr std::uint8_t role = 1;         ///< role account (info@, sales@, ...)
inline constexpr std::uint8_t placeholder = 2;  ///< placeholder (test@, none@, ...)
inline constexpr std::uint8_t disposable = 4;   ///< domain or a parent on the disposable list
inline constexpr std::uint8_t typo = 8;         ///< domain is a known typo of a mail provider
inline constexpr std::uint8_t smtputf8 = 16;    ///< local part is not ASCII (needs SMTPUTF8)
inline constexpr std::uint8_t all = 31;
/// Flags whose addresses are dropped unless the user asks otherwise.
inline constexpr std::uint8_t dropped_by_default = disposable | placeholder;
}  // namespace risk

/// Name of one flag ("role", "placeholder", "disposable", "typo", "smtputf8"); empty when
/// `single_flag` is not exactly one known flag. Static storage.
[[nodiscard]] std::string_view flag_name(std::uint8_t single_flag) noexcept;
/// The names of the flags set in `flags`, lowest bit first, comma-separated ("placeholder,
/// disposable"); empty for none.
[[nodiscard]] std::string flag_names(std::uint8_t flags);
/// One lower-case human sentence for one flag; empty when not exactly one known flag.
[[nodiscard]] std::string_view describe_flag(std::uint8_t single_flag) noexcept;

/// Parses a comma-separated list of flag names ("disposable,placeholder"; spaces around names
/// allowed; "" and "none" give 0) into a mask. On an unknown name returns
/// errc::invalid_argument and, when `message` is given, writes a lower-case message naming it.
/// Thread-safe.
[[nodiscard]] boost::system::result<std::uint8_t> parse_flags(std::string_view list,
                                                              std::string* message = nullptr);

namespace email_detail {
class domain_memo;
}  // namespace email_detail

/// What an email_result remembers between calls: the verdicts on the last few thousand domains
/// it saw (created once a result has served 16 calls, about 600 KB). It changes no result, only
/// speed. A copy starts empty; a move takes it along. Not thread-safe, like its email_result.
class email_memo {
 public:
  email_memo() noexcept;
  email_memo(const email_memo&) noexcept;
  email_memo& operator=(const email_memo&) noexcept;
  email_memo(email_memo&&) noexcept;
  email_memo& operator=(email_memo&&) noexcept;
  ~email_memo();

 private:
  friend class email_validator;
  std::unique_ptr<email_detail::domain_memo> memo_;
  unsigned calls_ = 0;
};

/// The outcome for one cell. Strings are owned; reuse one object across calls so their
/// capacity is reused (no allocation in steady state on the ASCII path) and its memo of domains
/// spares repeated domains most of the domain stage.
struct email_result {
  email_status status = email_status::invalid;
  email_reason reason = email_reason::none;  ///< why invalid (none when valid/risky)
  std::uint8_t flags = 0;                    ///< risk:: bits (0 when invalid)
  std::string_view typo_suggestion;          ///< static storage; set with risk::typo
  std::string sent;                          ///< sent form (stage 8); empty when invalid
  std::string key;                           ///< identity key (stage 8); empty when invalid
  email_memo memo;                           ///< domains seen recently (speed only)
};

/// Options of the validate stage.
struct email_options {
  /// Stage 8 provider folding (gmail dots/+tag, plus-addressing providers) in the identity key.
  bool fold_provider_aliases = false;
  /// Disposable list; empty: LEADPIPE_DATA_DIR "/disposable_domains.txt".
  std::string disposable_file;
  /// Public Suffix List (.dat text form); empty: LEADPIPE_PSL_FILE.
  std::string psl_file;
};

/// Applies the policy. Construction loads the data files into immutable tables; copies share
/// them. All members are const and thread-safe: one validator may serve many threads.
class email_validator {
 public:
  /// Loads the disposable list and the ICANN section of the Public Suffix List (read through
  /// libpsl). Throws std::runtime_error naming the file (and line) when a file is unreadable,
  /// malformed, or yields no entries.
  explicit email_validator(const email_options& opts);

  /// Validates one cell (CSV-unquoted, untrimmed) and overwrites `out`. Pure-ASCII cells make
  /// no ICU call, no libidn2 call (unless a label starts with `xn--`, which must be verified)
  /// and no allocation once `out`'s strings have grown. `cell` must not alias `out.sent` or
  /// `out.key`. Never fails: bad input is an `invalid` outcome.
  void validate(std::string_view cell, email_result& out) const;

  /// validate() without the risk flags of stage 7, for lists of addresses (block, unsubscribed,
  /// members), which need only the identity key: out.status is invalid exactly when validate()
  /// says so (with the same reason), valid otherwise; out.sent and out.key are exactly
  /// validate()'s; out.flags is 0 and typo_suggestion empty. Thread-safe; same aliasing rule.
  void identity(std::string_view cell, email_result& out) const;

  /// A hint, no result: starts loading what validating `cell` with `out` will look up in its
  /// memo of domains, so that a caller that knows its next cells (a batch of rows, a list) can
  /// overlap those cache misses with other work. Cheap; does nothing for unusual cells.
  void prefetch(std::string_view cell, const email_result& out) const noexcept;

  /// Whether identity keys fold provider aliases (email_options::fold_provider_aliases): sets
  /// of keys made with and without it do not match each other.
  [[nodiscard]] bool folds_provider_aliases() const noexcept { return fold_; }

  struct tables;  ///< implementation detail (pipeline/email_detail.hpp)

 private:
  void check(std::string_view cell, email_result& out, bool flags) const;
  std::shared_ptr<const tables> tables_;
  bool fold_ = false;
};

}  // namespace leadpipe
