// The validate stage's fast-path contract: once a reused email_result has grown, pure-ASCII cells
// (valid, risky and invalid alike) cause no heap allocation. Global operator new is replaced in
// this test executable only, to count allocations.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "leadpipe/email.hpp"

namespace {
std::atomic<std::size_t> allocations{0};  // test instrumentation, not product state
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST_CASE("ascii cells: no allocation once the result has grown") {
  const leadpipe::email_validator plain(leadpipe::email_options{});
  const leadpipe::email_validator folding(leadpipe::email_options{true, {}, {}});
  const std::vector<std::string> cells = {"  John.Smith@Acme.COM ",
                                          "\"Jane Roe\" <Jane@Acme.io>",
                                          "mailto:bob@acme.com?x=1",
                                          "info@mailinator.com",
                                          "bob@gmial.com",
                                          "J.O.H.N+news@Gmail.com",
                                          "bob+x@outlook.com",
                                          "bob@example.com",
                                          "bob@acme.zz",
                                          "bob smith@acme.com",
                                          "\"bob\"@acme.com",
                                          "bob@acme.com.",
                                          "bob@a..b.com",
                                          "bob@acme_corp.com",
                                          "bob%40acme.com",
                                          "bob@acme.com, x@y.com",
                                          "",
                                          std::string(70, 'a') + "@x.com",
                                          "bob@sub.a.b.c.d.example-corp.co.uk"};
  leadpipe::email_result r;
  leadpipe::email_result f;
  for (const auto& c : cells) {  // warm-up: the result strings grow to their largest size
    plain.validate(c, r);
    folding.validate(c, f);
  }
  const std::size_t before = allocations.load();
  std::size_t accepted = 0;
  for (int round = 0; round < 100; ++round) {
    for (const auto& c : cells) {
      plain.validate(c, r);
      folding.validate(c, f);
      accepted += r.status != leadpipe::email_status::invalid ? 1U : 0U;
    }
  }
  const std::size_t during = allocations.load() - before;
  CHECK(during == 0);
  CHECK(accepted == 100U * 8U);
}
