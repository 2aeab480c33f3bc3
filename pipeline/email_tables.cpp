// Static text and tables of the validate stage: reason codes and sentences, flag names, and the
// role / placeholder / typo / reserved / provider lists of the email policy (stages 5, 7, 8).
#include "leadpipe/email.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include <boost/system/errc.hpp>

#include "email_detail.hpp"

namespace leadpipe {
namespace {

struct reason_text {
  std::string_view code;
  std::string_view sentence;
};

// Indexed by email_reason; the static_assert below keeps it in step with the enum.
constexpr std::array<reason_text, email_reason_count> reason_texts{{
    {"none", "the address is acceptable"},
    {"empty", "the email cell is empty"},
    {"bad_encoding", "the cell is not valid utf-8 text"},
    {"ambiguous_display_name",
     "the display name before <...> contains an @, so the address is ambiguous"},
    {"spreadsheet_formula", "the cell holds a spreadsheet formula, not an address"},
    {"html_entity", "the cell contains an html entity such as &#64; or &lt;"},
    {"percent_encoded_at", "the @ is percent-encoded as %40"},
    {"two_addresses", "the cell holds more than one address"},
    {"brackets", "the address is wrapped in or followed by brackets"},
    {"backticks", "the address is wrapped in backticks"},
    {"trailing_punctuation", "the address ends with punctuation (. , or ;)"},
    {"whitespace", "the address contains white space"},
    {"invisible_character",
     "the address contains an invisible character (zero-width, soft hyphen, direction mark...)"},
    {"forbidden_character",
     "the address contains a control, private-use, unassigned or replacement character"},
    {"not_one_at", "the address must contain exactly one @"},
    {"empty_local", "nothing before the @"},
    {"empty_domain", "nothing after the @"},
    {"bad_local_char",
     "the part before the @ contains a character that is not allowed (quotes, parentheses, "
     "commas...)"},
    {"local_dot", "the part before the @ starts or ends with a dot or has two dots in a row"},
    {"local_leading_mark", "the part before the @ starts with a combining mark"},
    {"local_too_long", "the part before the @ is longer than 64 bytes"},
    {"address_literal", "ip address literals ([...]) are not accepted as domains"},
    {"bad_domain_char",
     "the domain contains a character other than letters, digits, hyphens and dots"},
    {"empty_label", "the domain starts or ends with a dot or has two dots in a row"},
    {"label_hyphen", "a domain label starts or ends with a hyphen"},
    {"reserved_label_hyphens",
     "a domain label has -- in positions 3-4 without being an xn-- label"},
    {"bad_punycode",
     "an xn-- domain label is not valid punycode of a valid internationalised label"},
    {"idna_disallowed",
     "the domain contains a character not allowed in internationalised domain names"},
    {"idna_context", "the domain breaks an idna contextual rule (joiners, middle dots, ...)"},
    {"idna_bidi", "the domain mixes right-to-left and left-to-right text in a way idna forbids"},
    {"idna_error", "the internationalised domain cannot be converted to ascii"},
    {"label_too_long", "a domain label is longer than 63 bytes"},
    {"too_few_labels", "the domain needs at least two labels (name.tld)"},
    {"domain_too_long", "the domain is longer than 253 bytes"},
    {"reserved_domain",
     "the domain is reserved (example, test, localhost, invalid, ...) and never receives mail"},
    {"unknown_tld", "the top-level domain does not exist"},
    {"total_too_long", "the address is longer than 254 bytes"},
}};
static_assert(reason_texts.back().code == "total_too_long",
              "reason_texts out of step with the enum");

struct flag_text {
  std::uint8_t bit;
  std::string_view name;
  std::string_view sentence;
};
constexpr std::array<flag_text, 5> flag_texts{{
    {risk::role, "role", "a role address (info@, sales@...) rather than a person"},
    {risk::placeholder, "placeholder",
     "a placeholder address (test@, none@...) rather than a real one"},
    {risk::disposable, "disposable", "the domain belongs to a disposable-mail service"},
    {risk::typo, "typo", "the domain looks like a misspelling of a major mail provider"},
    {risk::smtputf8, "smtputf8", "the part before the @ is not ascii, so delivery needs smtputf8"},
}};

const flag_text* find_flag(std::uint8_t bit) noexcept {
  for (const auto& f : flag_texts) {
    if (f.bit == bit) return &f;
  }
  return nullptr;
}

constexpr std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// clang-format off: the policy's lists, kept dense.
constexpr std::string_view roles[] = {"abuse",
                                      "accounting",
                                      "accounts",
                                      "admin",
                                      "administrator",
                                      "billing",
                                      "careers",
                                      "compliance",
                                      "contact",
                                      "contactus",
                                      "customerservice",
                                      "customersupport",
                                      "donotreply",
                                      "do-not-reply",
                                      "enquiries",
                                      "enquiry",
                                      "feedback",
                                      "finance",
                                      "ftp",
                                      "hello",
                                      "help",
                                      "helpdesk",
                                      "hostmaster",
                                      "hr",
                                      "info",
                                      "information",
                                      "inquiries",
                                      "inquiry",
                                      "invoices",
                                      "jobs",
                                      "legal",
                                      "mail",
                                      "mailer-daemon",
                                      "marketing",
                                      "media",
                                      "news",
                                      "newsletter",
                                      "no-reply",
                                      "noc",
                                      "noreply",
                                      "office",
                                      "orders",
                                      "partners",
                                      "postmaster",
                                      "press",
                                      "privacy",
                                      "recruiting",
                                      "recruitment",
                                      "reception",
                                      "root",
                                      "sales",
                                      "security",
                                      "service",
                                      "services",
                                      "shop",
                                      "support",
                                      "team",
                                      "usenet",
                                      "uucp",
                                      "webmaster",
                                      "www"};

constexpr std::string_view placeholders[] = {
    "asdf",   "email", "example", "n/a",  "na",   "nil",     "noemail", "no-email",
    "nobody", "none",  "noone",   "null", "test", "testing", "unknown", "xxx"};

// The policy's list first, then a few frequent misspellings of our own. Never auto-corrected.
constexpr std::pair<std::string_view, std::string_view> typos[] = {
    {"gmial.com", "gmail.com"},
    {"gmai.com", "gmail.com"},
    {"gamil.com", "gmail.com"},
    {"gnail.com", "gmail.com"},
    {"gmaill.com", "gmail.com"},
    {"gmal.com", "gmail.com"},
    {"gmil.com", "gmail.com"},
    {"gmali.com", "gmail.com"},
    {"gmail.co", "gmail.com"},
    {"gmail.cm", "gmail.com"},
    {"gogglemail.com", "googlemail.com"},
    {"hotmial.com", "hotmail.com"},
    {"hotmal.com", "hotmail.com"},
    {"hotmai.com", "hotmail.com"},
    {"hotnail.com", "hotmail.com"},
    {"hotmail.co", "hotmail.com"},
    {"yahooo.com", "yahoo.com"},
    {"yaho.com", "yahoo.com"},
    {"yhoo.com", "yahoo.com"},
    {"outlok.com", "outlook.com"},
    {"outloo.com", "outlook.com"},
    {"outlook.co", "outlook.com"},
    {"iclod.com", "icloud.com"},
    {"icoud.com", "icloud.com"},
    {"icloud.co", "icloud.com"},
    {"protonmal.com", "protonmail.com"},
    // Additions beyond the policy's minimum.
    {"gmsil.com", "gmail.com"},
    {"gmaik.com", "gmail.com"},
    {"gmaul.com", "gmail.com"},
    {"gmail.om", "gmail.com"},
    {"hotmil.com", "hotmail.com"},
    {"hotamil.com", "hotmail.com"},
    {"yahho.com", "yahoo.com"},
    {"yaoo.com", "yahoo.com"},
    {"outllok.com", "outlook.com"},
    {"iclould.com", "icloud.com"}};

constexpr std::string_view reserved[] = {"localhost", "local",       "test",        "invalid",
                                         "example",   "onion",       "arpa",        "internal",
                                         "alt",       "example.com", "example.net", "example.org"};

constexpr std::string_view plus_tag[] = {"outlook.com",  "icloud.com",     "me.com",   "mac.com",
                                         "fastmail.com", "protonmail.com", "proton.me"};
// clang-format on

}  // namespace

std::string_view code(email_reason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < reason_texts.size() ? reason_texts[i].code : std::string_view("unknown");
}

std::string_view describe(email_reason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < reason_texts.size() ? reason_texts[i].sentence : std::string_view("unknown reason");
}

std::string_view code(email_status s) noexcept {
  constexpr std::string_view names[] = {"valid", "risky", "invalid"};
  const auto i = static_cast<std::size_t>(s);
  return i < std::size(names) ? names[i] : std::string_view("unknown");
}

std::string_view flag_name(std::uint8_t single_flag) noexcept {
  const flag_text* f = find_flag(single_flag);
  return f != nullptr ? f->name : std::string_view();
}

std::string flag_names(std::uint8_t flags) {
  std::string out;
  for (unsigned bit = 0; bit < 8; ++bit) {
    const auto f = static_cast<std::uint8_t>(1U << bit);
    if ((flags & f) == 0) continue;
    if (!out.empty()) out += ',';
    out += flag_name(f);
  }
  return out;
}

std::string_view describe_flag(std::uint8_t single_flag) noexcept {
  const flag_text* f = find_flag(single_flag);
  return f != nullptr ? f->sentence : std::string_view();
}

boost::system::result<std::uint8_t> parse_flags(std::string_view list, std::string* message) {
  std::uint8_t mask = 0;
  if (trim_spaces(list) == "none") return mask;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view name = trim_spaces(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty()) continue;
    bool known = false;
    for (const auto& f : flag_texts) {
      if (f.name == name) {
        mask = static_cast<std::uint8_t>(mask | f.bit);
        known = true;
      }
    }
    if (!known) {
      if (message != nullptr) {
        *message = "unknown risk flag '";
        message->append(name);
        message->append("' (expected role, placeholder, disposable, typo or smtputf8)");
      }
      return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    }
  }
  return mask;
}

namespace email_detail {

std::span<const std::string_view> role_names() noexcept { return roles; }
std::span<const std::string_view> placeholder_names() noexcept { return placeholders; }
std::span<const std::pair<std::string_view, std::string_view>> typo_domains() noexcept {
  return typos;
}
std::span<const std::string_view> reserved_domains() noexcept { return reserved; }
std::span<const std::string_view> plus_tag_domains() noexcept { return plus_tag; }

}  // namespace email_detail
}  // namespace leadpipe
