// Fuzz target "email": email_validator (the policy of /work/shared/email-policy.md) and the
// contract's address rule (contract_email.hpp).
//
// Input: 1 option byte (bit 0: fold_provider_aliases), then the cell's bytes.
//
// Promises checked: status, reason, flags and forms agree with each other; a result does not
// depend on what the reused email_result held before; the sent form validates again to itself
// (same status, flags and key); its domain is lower-case ASCII; smtputf8 is set exactly when the
// local part is not ASCII; an accepted ASCII address passes the contract's rule (backticks
// aside, see below); the contract's helpers are case-insensitive and idempotent.
#include <algorithm>

#include <fmt/format.h>

#include "fuzz_entries.hpp"
#include "leadpipe/contract_email.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe::fuzz {
namespace {

bool same(const email_result& a, const email_result& b) {
  return a.status == b.status && a.reason == b.reason && a.flags == b.flags &&
         a.typo_suggestion == b.typo_suggestion && a.sent == b.sent && a.key == b.key;
}

std::string describe(const email_result& r) {
  return fmt::format("{} {} flags={} sent<{}> key<{}>", code(r.status), code(r.reason), r.flags,
                     r.sent, r.key);
}

bool has_upper_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

void check_shape(const email_result& r, std::string_view cell) {
  const std::string where = fmt::format("cell <{}>: {}", cell, describe(r));
  if (r.status == email_status::invalid) {
    check(r.reason != email_reason::none && r.flags == 0 && r.sent.empty() && r.key.empty() &&
              r.typo_suggestion.empty(),
          "invalid result with a form or flags: " + where);
    return;
  }
  check(r.reason == email_reason::none, "accepted result with a reason: " + where);
  check((r.status == email_status::valid) == (r.flags == 0),
        "status disagrees with flags: " + where);
  check((r.flags & ~risk::all) == 0, "unknown flag bits: " + where);
  check(((r.flags & risk::typo) != 0) == !r.typo_suggestion.empty(),
        "typo flag without suggestion or the reverse: " + where);
  check(utf8::is_valid(r.sent) && utf8::is_valid(r.key), "forms are not UTF-8: " + where);
  const std::size_t at = r.sent.find('@');
  check(at != std::string::npos && at > 0 && r.sent.find('@', at + 1) == std::string::npos,
        "sent form without exactly one @: " + where);
  const std::string_view local = std::string_view(r.sent).substr(0, at);
  const std::string_view domain = std::string_view(r.sent).substr(at + 1);
  check(utf8::is_ascii(domain) && !has_upper_ascii(domain),
        "sent domain is not lower-case A-labels: " + where);
  check(((r.flags & risk::smtputf8) != 0) == !utf8::is_ascii(local),
        "smtputf8 flag disagrees with the local part: " + where);
  check(r.sent.size() <= 254, "sent form over 254 bytes (policy stage 6): " + where);
  // The policy allows a backtick inside the local part, contract §7.1 does not: such an address
  // is accepted here and counted invalid by the server. Every other ASCII address must pass.
  if (utf8::is_ascii(r.sent) && local.find('`') == std::string_view::npos) {
    check(is_contract_email(r.sent), "accepted address fails contract §7.1: " + where);
  }
}

void check_contract(std::string_view cell) {
  const std::string_view t = contract_trim(cell);
  check(contract_trim(t) == t, "contract_trim is not idempotent");
  check(t.data() >= cell.data() && t.data() + t.size() <= cell.data() + cell.size(),
        "contract_trim does not return a view into its argument");
  std::string lower;
  append_ascii_lower(lower, cell);
  check(lower.size() == cell.size() && !has_upper_ascii(lower), "append_ascii_lower");
  std::string upper(cell);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  const bool is_email = is_contract_email(cell);
  check(is_email == is_contract_email(lower) && is_email == is_contract_email(upper),
        fmt::format("is_contract_email is case-sensitive on <{}>", cell));
  check(is_contract_domain(cell) == is_contract_domain(lower) &&
            is_contract_domain(cell) == is_contract_domain(upper),
        fmt::format("is_contract_domain is case-sensitive on <{}>", cell));
  if (is_email) {
    check(cell.size() <= 254 && utf8::is_ascii(cell) && t == cell &&
              std::count(cell.begin(), cell.end(), '@') == 1 &&
              is_contract_domain(email_domain(cell)),
          fmt::format("is_contract_email accepts <{}>", cell));
  }
}

class email_target final : public target {
 public:
  email_target() : plain_(email_options{}), folding_(folding_options()) {}

  void run(std::span<const std::uint8_t> input) override {
    input_reader in(input);
    const email_validator& v = (in.take() & 1U) != 0 ? folding_ : plain_;
    const std::string_view cell = in.rest();

    email_result fresh;
    v.validate(cell, fresh);
    v.validate(cell, reused_);  // still holds the previous input's result
    check(same(fresh, reused_), fmt::format("cell <{}>: result depends on the reused object: {} "
                                            "vs {}",
                                            cell, describe(fresh), describe(reused_)));
    check_shape(fresh, cell);
    if (fresh.status != email_status::invalid) {
      email_result again;
      v.validate(fresh.sent, again);
      check(again.status == fresh.status && again.flags == fresh.flags &&
                again.sent == fresh.sent && again.key == fresh.key,
            fmt::format("cell <{}>: {} but its sent form gives {}", cell, describe(fresh),
                        describe(again)));
    }
    check_contract(cell);
  }

 private:
  static email_options folding_options() {
    email_options o;
    o.fold_provider_aliases = true;
    return o;
  }

  email_validator plain_;
  email_validator folding_;
  email_result reused_;
};

}  // namespace

std::unique_ptr<target> make_email_target() { return std::make_unique<email_target>(); }

}  // namespace leadpipe::fuzz
