// libFuzzer's entry point for the one target named by LEADPIPE_FUZZ_TARGET at compile time.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Built once per process: the email target loads its data files in its constructor, and
  // libFuzzer gives no other place to keep state between inputs.
  static const std::unique_ptr<leadpipe::fuzz::target> t =
      leadpipe::fuzz::make_target(LEADPIPE_FUZZ_TARGET);
  try {
    t->run({data, size});
  } catch (const leadpipe::fuzz::invariant_failure& e) {
    std::fprintf(stderr, "==leadpipe-fuzz== invariant broken (%s): %s\n", LEADPIPE_FUZZ_TARGET,
                 e.what());
    std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "==leadpipe-fuzz== uncaught exception (%s): %s\n", LEADPIPE_FUZZ_TARGET,
                 e.what());
    std::abort();
  }
  return 0;
}
