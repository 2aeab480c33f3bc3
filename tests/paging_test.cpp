#include "leadpipe/paging.hpp"

#include <doctest/doctest.h>

using leadpipe::page_walk;

TEST_CASE("with a total, the walk ends when the offset reaches it, whatever the page size") {
  page_walk w;
  CHECK_FALSE(w.last(50, 120));  // a server giving 50 where 100 were asked
  CHECK(w.offset() == 50);
  CHECK_FALSE(w.last(50, 120));
  CHECK(w.last(20, 120));
  CHECK(w.offset() == 120);
  page_walk e;
  CHECK(e.last(0, 500));  // an empty page ends it even if the total says more
}

TEST_CASE("without a total, a page shorter than the server's full page is the last") {
  page_walk w;
  CHECK_FALSE(w.last(100));  // 1000 asked, the server caps at 100: not the end
  CHECK_FALSE(w.last(100));
  CHECK(w.last(37));
  CHECK(w.offset() == 237);
  page_walk one;
  CHECK_FALSE(one.last(12));  // a short first page may be a cap too: ask once more
  CHECK(one.last(0));
  page_walk exact;
  CHECK_FALSE(exact.last(100));
  CHECK(exact.last(0));
}
