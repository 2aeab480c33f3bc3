// Tests of email.hpp beyond the case table: reason/flag texts, parse_flags, the policy's role,
// placeholder, typo and reserved tables, length limits at their boundaries, result reuse,
// copies and threads, and loading of the data files (custom, missing and malformed).
#include "leadpipe/email.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

namespace {

using leadpipe::email_options;
using leadpipe::email_reason;
using leadpipe::email_result;
using leadpipe::email_status;
using leadpipe::email_validator;
namespace risk = leadpipe::risk;

const email_validator& shared_validator() {
  static const email_validator v(email_options{});
  return v;
}

email_result check(std::string_view cell, const email_validator& v = shared_validator()) {
  email_result r;
  v.validate(cell, r);
  return r;
}

// The policy's lists as the policy writes them (stage 7), split on spaces.
constexpr std::string_view policy_roles =
    "abuse accounting accounts admin administrator billing careers compliance contact contactus "
    "customerservice customersupport donotreply do-not-reply enquiries enquiry feedback finance "
    "ftp hello help helpdesk hostmaster hr info information inquiries inquiry invoices jobs legal "
    "mail mailer-daemon marketing media news newsletter no-reply noc noreply office orders "
    "partners postmaster press privacy recruiting recruitment reception root sales security "
    "service services shop support team usenet uucp webmaster www";
constexpr std::string_view policy_placeholders =
    "asdf email example n/a na nil noemail no-email nobody none noone null test testing unknown "
    "xxx";
constexpr std::pair<std::string_view, std::string_view> policy_typos[] = {
    {"gmail.com",
     "gmial.com gmai.com gamil.com gnail.com gmaill.com gmal.com gmil.com gmali.com gmail.co "
     "gmail.cm"},
    {"googlemail.com", "gogglemail.com"},
    {"hotmail.com", "hotmial.com hotmal.com hotmai.com hotnail.com hotmail.co"},
    {"yahoo.com", "yahooo.com yaho.com yhoo.com"},
    {"outlook.com", "outlok.com outloo.com outlook.co"},
    {"icloud.com", "iclod.com icoud.com icloud.co"},
    {"protonmail.com", "protonmal.com"}};

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    if (space != 0) out.emplace_back(text.substr(0, space));
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  }
  return out;
}

email_options with_files(std::string disposable, std::string psl = {}) {
  email_options o;
  o.disposable_file = std::move(disposable);
  o.psl_file = std::move(psl);
  return o;
}

// A file under the build tree, removed when the test ends.
struct temp_file {
  std::string path;
  temp_file(const std::string& name, const std::string& text)
      : path(std::string(LEADPIPE_BINARY_DIR) + "/email_test_" + name) {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
};

std::string throw_message(const email_options& opts) {
  try {
    const email_validator v(opts);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no exception";
}

// Builds a domain of exactly `size` bytes from labels of at most 63 bytes, ending in ".com".
std::string domain_of_size(std::size_t size) {
  std::string d;
  const std::size_t body = size - 4;  // ".com"
  while (d.size() < body) {
    if (!d.empty()) d.push_back('.');
    const std::size_t room = body - d.size();
    // Avoid leaving a remainder too small for "x.": labels of 60 leave room for the next one.
    const std::size_t n = room > 63 ? (room - 63 < 2 ? 60 : 63) : room;
    d.append(n, 'a');
  }
  return d + ".com";
}

}  // namespace

TEST_CASE("reason codes and sentences: one distinct lower-case code per reason") {
  std::set<std::string_view> codes;
  for (std::size_t i = 0; i < leadpipe::email_reason_count; ++i) {
    const auto r = static_cast<email_reason>(i);
    const std::string_view c = code(r);
    const std::string_view d = describe(r);
    CAPTURE(c);
    CHECK(!c.empty());
    CHECK(!d.empty());
    CHECK(d.back() != '.');
    for (const char ch : c)
      CHECK(((ch >= 'a' && ch <= 'z') || ch == '_' || (ch >= '0' && ch <= '9')));
    CHECK(codes.insert(c).second);
  }
  CHECK(code(email_reason::none) == "none");
  CHECK(code(email_reason::reserved_domain) == "reserved_domain");
  CHECK(code(email_reason::total_too_long) == "total_too_long");
  CHECK(code(static_cast<email_reason>(200)) == "unknown");
  CHECK(code(email_status::valid) == "valid");
  CHECK(code(email_status::risky) == "risky");
  CHECK(code(email_status::invalid) == "invalid");
}

TEST_CASE("flag names, sentences and parse_flags") {
  CHECK(leadpipe::flag_name(risk::role) == "role");
  CHECK(leadpipe::flag_name(risk::placeholder) == "placeholder");
  CHECK(leadpipe::flag_name(risk::disposable) == "disposable");
  CHECK(leadpipe::flag_name(risk::typo) == "typo");
  CHECK(leadpipe::flag_name(risk::smtputf8) == "smtputf8");
  CHECK(leadpipe::flag_name(risk::role | risk::typo).empty());
  CHECK(leadpipe::flag_name(0).empty());
  CHECK(leadpipe::flag_name(32).empty());
  for (std::uint8_t f = 1; f <= 16; f = static_cast<std::uint8_t>(f << 1U)) {
    CHECK(!leadpipe::describe_flag(f).empty());
    auto parsed = leadpipe::parse_flags(leadpipe::flag_name(f));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == f);
  }
  CHECK(risk::dropped_by_default == (risk::disposable | risk::placeholder));

  std::string message;
  CHECK(leadpipe::parse_flags("disposable,placeholder", &message).value() == 6);
  CHECK(leadpipe::parse_flags(" role , typo ", &message).value() == 9);
  CHECK(leadpipe::parse_flags("role,,typo,role", &message).value() == 9);
  CHECK(leadpipe::parse_flags("", &message).value() == 0);
  CHECK(leadpipe::parse_flags("none", &message).value() == 0);
  CHECK(leadpipe::parse_flags("role,disposable,placeholder,typo,smtputf8").value() == risk::all);

  auto bad = leadpipe::parse_flags("role,bogus", &message);
  REQUIRE(bad.has_error());
  CHECK(message.find("'bogus'") != std::string::npos);
  CHECK(message.find("unknown risk flag") == 0);
  CHECK(leadpipe::parse_flags("Role").has_error());  // names are exact
}

TEST_CASE("every role name of the policy is flagged role, with +tag and any case") {
  for (const std::string& name : words(policy_roles)) {
    CAPTURE(name);
    CHECK(check(name + "@acme.com").flags == risk::role);
    std::string upper = name;
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    const email_result r = check(upper + "+x@acme.com");
    CHECK(r.flags == risk::role);
    CHECK(r.status == email_status::risky);
    CHECK(check(name + "x@acme.com").flags == 0);
  }
}

TEST_CASE("every placeholder name of the policy is flagged placeholder") {
  for (const std::string& name : words(policy_placeholders)) {
    CAPTURE(name);
    CHECK(check(name + "@acme.com").flags == risk::placeholder);
    CHECK(check(name + "+1@acme.com").flags == risk::placeholder);
    CHECK(check("my" + name + "@acme.com").flags == 0);
  }
}

TEST_CASE("every typo of the policy is flagged with its suggestion, never corrected") {
  std::size_t checked = 0;
  for (const auto& [fix, list] : policy_typos) {
    for (const std::string& typo : words(list)) {
      CAPTURE(typo);
      const email_result r = check("Bob@" + typo);
      CHECK((r.flags & risk::typo) != 0);
      CHECK(r.typo_suggestion == fix);
      CHECK(r.sent == "Bob@" + typo);
      CHECK(r.status == email_status::risky);
      ++checked;
    }
  }
  CHECK(checked == 26);
  CHECK(check("bob@gmail.com").typo_suggestion.empty());
  CHECK(check("bob@sub.gmial.com").flags == 0);  // exact domains only
}

TEST_CASE("each reserved name is refused as a domain and as a parent domain") {
  const char* const names[] = {"localhost", "local",       "test",        "invalid",
                               "example",   "onion",       "arpa",        "internal",
                               "alt",       "example.com", "example.net", "example.org"};
  for (const std::string name : names) {
    CAPTURE(name);
    const email_reason alone = check("bob@" + name).reason;
    // Single labels fail the two-label rule first.
    CHECK((alone == email_reason::reserved_domain || alone == email_reason::too_few_labels));
    CHECK(check("bob@mail." + name).reason == email_reason::reserved_domain);
    CHECK(check("bob@a.b." + name).reason == email_reason::reserved_domain);
  }
  CHECK(check("bob@example.com").reason == email_reason::reserved_domain);
  CHECK(check("bob@notexample.com").status == email_status::valid);
  CHECK(check("bob@example.comm").reason == email_reason::unknown_tld);
}

TEST_CASE("length limits at their boundaries") {
  SUBCASE("local part: 64 bytes ascii") {
    CHECK(check(std::string(64, 'a') + "@acme.com").status == email_status::valid);
    CHECK(check(std::string(65, 'a') + "@acme.com").reason == email_reason::local_too_long);
  }
  SUBCASE("local part: 64 bytes of utf-8 after nfc") {
    std::string e32;
    for (int i = 0; i < 32; ++i) e32 += "\xC3\xA9";
    CHECK(check(e32 + "@acme.com").flags == risk::smtputf8);
    CHECK(check(e32 + "a@acme.com").reason == email_reason::local_too_long);
    // 32 decomposed e + U+0301 is 96 bytes typed but 64 after NFC.
    std::string decomposed;
    for (int i = 0; i < 32; ++i) decomposed += "e\xCC\x81";
    const email_result r = check(decomposed + "@acme.com");
    CHECK(r.status == email_status::risky);
    CHECK(r.sent == e32 + "@acme.com");
  }
  SUBCASE("label: 63 bytes") {
    CHECK(check("bob@" + std::string(63, 'a') + ".com").status == email_status::valid);
    CHECK(check("bob@" + std::string(64, 'a') + ".com").reason == email_reason::label_too_long);
  }
  SUBCASE("label: A-label of an IDN crosses 63 bytes") {
    std::size_t longest_valid = 0;
    email_reason first_failure = email_reason::none;
    for (std::size_t k = 30; k < 70 && first_failure == email_reason::none; ++k) {
      const email_result r = check("bob@b\xC3\xBC" + std::string(k, 'c') + ".de");
      if (r.status == email_status::invalid) {
        first_failure = r.reason;
      } else {
        longest_valid = r.sent.size() - 4 - 3;  // "bob@" and ".de"
      }
    }
    CHECK(longest_valid == 63);
    CHECK(first_failure == email_reason::label_too_long);
  }
  SUBCASE("domain: 253 bytes, total: 254 bytes") {
    CHECK(domain_of_size(252).size() == 252);
    CHECK(check("a@" + domain_of_size(252)).status == email_status::valid);  // 254 in all
    CHECK(check("ab@" + domain_of_size(252)).reason == email_reason::total_too_long);
    CHECK(check("a@" + domain_of_size(253)).reason == email_reason::total_too_long);
    CHECK(check("a@" + domain_of_size(254)).reason == email_reason::domain_too_long);
    const std::string local64(64, 'x');
    CHECK(check(local64 + "@" + domain_of_size(189)).status == email_status::valid);
    CHECK(check(local64 + "@" + domain_of_size(190)).reason == email_reason::total_too_long);
  }
  SUBCASE("total length counts the A-label form, not the typed form") {
    // "bücher" is 7 bytes typed and 13 as xn--bcher-kva.
    const std::string local64(64, 'x');
    const email_result r = check(local64 + "@bücher." + domain_of_size(175));
    CHECK(r.status == email_status::valid);
    CHECK(r.sent.size() == 254);
    const email_result over = check(local64 + "@bücher." + domain_of_size(176));  // 249 typed
    CHECK(over.reason == email_reason::total_too_long);
  }
}

TEST_CASE("a reused result is fully overwritten") {
  const email_validator& v = shared_validator();
  email_result r;
  v.validate("Bob@gmial.com", r);
  CHECK(r.typo_suggestion == "gmail.com");
  v.validate("bob@", r);
  CHECK(r.status == email_status::invalid);
  CHECK(r.reason == email_reason::empty_domain);
  CHECK(r.flags == 0);
  CHECK(r.typo_suggestion.empty());
  CHECK(r.sent.empty());
  CHECK(r.key.empty());
  v.validate("info@acme.com", r);
  CHECK(r.status == email_status::risky);
  CHECK(r.reason == email_reason::none);
  v.validate("jane@acme.io", r);
  CHECK(r.status == email_status::valid);
  CHECK(r.flags == 0);
  CHECK(r.sent == "jane@acme.io");
  v.validate("ana@example.com", r);  // fails after the sent form was partly built
  CHECK(r.sent.empty());
  CHECK(r.key.empty());
}

TEST_CASE("copies share the tables; one validator serves several threads") {
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is what is tested
  const email_validator copy = shared_validator();
  CHECK(check("bob@mailinator.com", copy).flags == risk::disposable);
  const auto summary = [](const email_result& r) {
    return std::string(code(r.reason)) + "|" + r.sent + "|" + r.key + "|" + std::to_string(r.flags);
  };
  std::vector<std::pair<std::string, std::string>> expected;  // cell, summary
  for (const std::string cell : {"John.Smith@Acme.COM", "bob@bücher.ch", "info@mailinator.com",
                                 "bob@gmial.com", "bad@@x.com", "用户@例子.中国", "bob@a·b.com"}) {
    expected.emplace_back(cell, summary(check(cell)));
  }
  expected.emplace_back("x@" + domain_of_size(252),
                        "none|x@" + domain_of_size(252) + "|x@" + domain_of_size(252) + "|0");
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  threads.reserve(mismatches.size());
  for (int& count : mismatches) {  // each thread owns one counter
    threads.emplace_back([&] {
      email_result r;
      for (int round = 0; round < 200; ++round) {
        for (const auto& [cell, want] : expected) {
          copy.validate(cell, r);
          if (summary(r) != want) ++count;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const int m : mismatches) CHECK(m == 0);
}

TEST_CASE("custom disposable list: comments, blank lines, CRLF, case, IDN lines, parents") {
  const temp_file list("disposable.txt",
                       "# test list\r\n\r\nthrowaway.example-mail.org\r\n  Burner.IO  \n"
                       "müll.de\n# trailing comment\n");
  const email_validator v(with_files(list.path));
  CHECK(check("bob@throwaway.example-mail.org", v).flags == risk::disposable);
  CHECK(check("bob@x.burner.io", v).flags == risk::disposable);
  CHECK(check("bob@MÜLL.de", v).flags == risk::disposable);
  CHECK(check("bob@xn--mll-hoa.de", v).flags == risk::disposable);
  CHECK(check("bob@mailinator.com", v).flags == 0);  // only this list is loaded
}

TEST_CASE("data files that cannot be used stop start-up with the file named") {
  const std::string missing_list = std::string(LEADPIPE_BINARY_DIR) + "/no_such_list.txt";
  CHECK(throw_message(with_files(missing_list)).find(missing_list + ": cannot open") == 0);

  const temp_file bad_line("bad_line.txt", "# header\nok.com\nnot a domain\n");
  CHECK(throw_message(with_files(bad_line.path)).find(bad_line.path + ":3: not a domain name") ==
        0);

  const temp_file only_comments("comments.txt", "# nothing here\n\n");
  CHECK(throw_message(with_files(only_comments.path)).find("no domains") != std::string::npos);

  const std::string missing_psl = std::string(LEADPIPE_BINARY_DIR) + "/no_such_psl.dat";
  CHECK(throw_message(with_files({}, missing_psl)).find(missing_psl + ": ") == 0);

  const temp_file private_only("private.dat",
                               "// ===BEGIN PRIVATE DOMAINS===\ngithub.io\n"
                               "// ===END PRIVATE DOMAINS===\n");
  CHECK(throw_message(with_files({}, private_only.path)).find("no ICANN section") !=
        std::string::npos);
}

TEST_CASE("custom public suffix list: only its ICANN section counts") {
  const temp_file psl("psl.dat",
                      "// ===BEGIN ICANN DOMAINS===\ncom\nuk\nco.uk\n*.ck\n!www.ck\nрф\n"
                      "// ===END ICANN DOMAINS===\n// ===BEGIN PRIVATE DOMAINS===\nzz\n"
                      "// ===END PRIVATE DOMAINS===\n");
  const email_validator v(with_files({}, psl.path));
  CHECK(check("bob@acme.com", v).status == email_status::valid);
  CHECK(check("bob@acme.co.uk", v).status == email_status::valid);
  CHECK(check("bob@x.ck", v).status == email_status::valid);
  CHECK(check("bob@x.рф", v).status == email_status::valid);
  CHECK(check("bob@acme.org", v).reason == email_reason::unknown_tld);
  CHECK(check("bob@acme.zz", v).reason == email_reason::unknown_tld);  // private section
}

// The plain-cell fast path (stages 0-2 skipped) against the full path: a leading space sends a
// cell down the full path, and stage 1 trims it away, so both must give the same result. Every
// interesting byte at every position of cells of many lengths exercises the 16-byte scan, its
// overlapping last block and the byte-wise scan of short cells; mixed case exercises the
// lower-casing of keys and domains at every length.
TEST_CASE("plain cells: the fast path gives the full path's result at every length") {
  const email_validator& v = shared_validator();
  constexpr std::string_view specials[] = {
      ".", "@", "-", "_", "+", "A", "Z", "[", "`", "{", "/", ":", "0", "9", " ", "\"",
      "\x80", "\xC3\xA9", "\x7F", std::string_view("\0", 1), "\x1F", "=", "%", "&", ">", ",", ";"};
  email_result fast;
  email_result full;
  std::size_t valid = 0;
  for (std::size_t local = 1; local <= 34; local += 3) {
    for (std::size_t domain = 1; domain <= 20; domain += 4) {
      std::string base;
      for (std::size_t i = 0; i < local; ++i) base.push_back(static_cast<char>("aBcD.e"[i % 6]));
      base += "@";
      for (std::size_t i = 0; i < domain; ++i) base.push_back(static_cast<char>("XyZw"[i % 4]));
      base += ".Com";
      for (std::size_t at = 0; at <= base.size(); ++at) {
        for (const std::string_view sp : specials) {
          std::string cell = base;
          if (at < base.size()) {
            cell.replace(at, 1, sp);
          } else {
            cell.append(sp);
          }
          CAPTURE(cell);
          v.validate(cell, fast);
          v.validate(" " + cell, full);
          CHECK(code(fast.status) == code(full.status));
          CHECK(code(fast.reason) == code(full.reason));
          CHECK(fast.flags == full.flags);
          CHECK(fast.sent == full.sent);
          CHECK(fast.key == full.key);
          valid += fast.status != email_status::invalid ? 1 : 0;
        }
      }
    }
  }
  CHECK(valid > 1000);
  // The fast path finds ".." in the same pass, within a 16-byte block, across two blocks and in
  // the overlapping last block: two dots at every pair of places in local parts up to 40 bytes,
  // and in the domain, where ".." is the domain stage's to judge.
  std::size_t doubled = 0;
  for (std::size_t len = 1; len <= 40; ++len) {
    for (std::size_t a = 0; a < len; ++a) {
      for (std::size_t b = a + 1; b < len; ++b) {
        std::string local(len, 'q');
        local[a] = '.';
        local[b] = '.';
        for (const std::string& cell : {local + "@example.com", "x@" + local + ".example.com"}) {
          CAPTURE(cell);
          v.validate(cell, fast);
          v.validate(" " + cell, full);
          CHECK(code(fast.reason) == code(full.reason));
          CHECK(fast.key == full.key);
          doubled += fast.reason == email_reason::local_dot && b == a + 1 ? 1 : 0;
        }
      }
    }
  }
  CHECK(doubled > 700);
  v.validate("ABCDEFGHIJKLMNOPQRSTUVWXYZ.abc@EXAMPLE-Corp.CO.UK", fast);
  CHECK(fast.key == "abcdefghijklmnopqrstuvwxyz.abc@example-corp.co.uk");
  CHECK(fast.sent == "ABCDEFGHIJKLMNOPQRSTUVWXYZ.abc@example-corp.co.uk");
}

// The memo of domains builds its key with 32-byte loads straight from the cell unless they would
// cross into the next page; a domain ending right at a page end, or anywhere before it, must give
// the same verdict as one in an ordinary string, from a fresh result and from a warmed memo, and
// the prefetch hint must change nothing.
TEST_CASE("domains at every distance from a page end validate the same, memo warm or cold") {
  const email_validator& v = shared_validator();
  constexpr std::size_t page = 4096;
  auto* block = static_cast<char*>(std::aligned_alloc(page, 2 * page));
  REQUIRE(block != nullptr);
  std::memset(block, 'Z', 2 * page);
  const std::vector<std::string> cells = {"Ann@Example.COM",
                                          "b@X.io",
                                          "c.d@Mail.Some-Corp.CO.UK",
                                          "e@abcdefghijklmnopqrstuvwxyz0123.com",
                                          "f@ABCDEFGHIJKLMNOPQRSTUVWXYZ01234.com",
                                          "g@x.y z",
                                          "h@bad..com",
                                          "i@Gmail.com"};
  email_result warm;
  for (int round = 0; round < 40; ++round) {  // the memo appears after 16 calls
    for (const std::string& cell : cells) v.validate(cell, warm);
  }
  for (const std::string& cell : cells) {
    const email_result want = check(cell);
    for (std::size_t back = cell.size(); back <= cell.size() + 40; ++back) {
      char* at = block + page - back;  // the cell ends `back - size` bytes before the page end
      std::memcpy(at, cell.data(), cell.size());
      const std::string_view view(at, cell.size());
      v.prefetch(view, warm);
      v.validate(view, warm);
      CAPTURE(cell);
      CAPTURE(back);
      CHECK(warm.status == want.status);
      CHECK(warm.reason == want.reason);
      CHECK(warm.sent == want.sent);
      CHECK(warm.key == want.key);
      CHECK(warm.flags == want.flags);
    }
  }
  std::free(block);
}
