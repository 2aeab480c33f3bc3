#include "leadpipe/contract_email.hpp"

#include <string>

#include <doctest/doctest.h>

using leadpipe::contract_trim;
using leadpipe::is_contract_domain;
using leadpipe::is_contract_email;

TEST_CASE("addresses that pass the rule of contract section 7.1") {
  for (const char* ok : {"ana.silva@example.org", "a@example.co", "o'brien+tag@mail.example.ie",
                         "x!#$%&'*+/=?^_{|}~-y@example.com", "CAPS@EXAMPLE.COM",
                         "user@sub.domain.example.travel", "user@example.xn--p1ai",
                         "1234@123.example.com"}) {
    CAPTURE(ok);
    CHECK(is_contract_email(ok));
  }
}

TEST_CASE("addresses that fail the rule of contract section 7.1") {
  const std::string long_local(65, 'a');
  const std::string long_total = std::string(64, 'a') + "@" + std::string(63, 'b') + "." +
                                 std::string(63, 'c') + "." + std::string(63, 'd') + ".com";
  for (const std::string& bad :
       {std::string("bob(at)example.com"), std::string("no-at-sign"), std::string("a@b@example.com"),
        std::string("@example.com"), std::string("a@"), std::string(".a@example.com"),
        std::string("a.@example.com"), std::string("a..b@example.com"), std::string("a b@example.com"),
        std::string("a@b.c"), std::string("a@example"), std::string("a@example.c0m"),
        std::string("a@example.c"), std::string("a@-example.com"), std::string("a@example-.com"),
        std::string("a@exa_mple.com"), std::string("a@example..com"), std::string("a`b@example.com"),
        std::string("jos\xC3\xA9@example.com"), std::string("a@example.xn--"),
        long_local + "@example.com", long_total, std::string(" a@example.com")}) {
    CAPTURE(bad);
    CHECK_FALSE(is_contract_email(bad));
  }
}

TEST_CASE("block-list domains use the same domain rule") {
  CHECK(is_contract_domain("rival.example"));
  CHECK(is_contract_domain("ab.cd"));
  CHECK(is_contract_domain("Sub.Example.COM"));
  CHECK_FALSE(is_contract_domain("a.b"));          // under 4 characters
  CHECK_FALSE(is_contract_domain("localhost"));    // one label
  CHECK_FALSE(is_contract_domain("example.c"));    // last label under two letters
  CHECK_FALSE(is_contract_domain("rival@example.com"));
  CHECK_FALSE(is_contract_domain(std::string(250, 'a') + ".com"));  // over 253
}

TEST_CASE("trim, domain and lower-case helpers") {
  CHECK(contract_trim("  a@b.example \t\r\n") == "a@b.example");
  CHECK(contract_trim("   ").empty());
  CHECK(leadpipe::email_domain("Ana@Example.ORG") == "Example.ORG");
  CHECK(leadpipe::email_domain("no-at").empty());
  std::string out = "x:";
  leadpipe::append_ascii_lower(out, "Ana@Example.ORG");
  CHECK(out == "x:ana@example.org");
}
