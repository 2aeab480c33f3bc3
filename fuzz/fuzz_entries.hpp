#pragma once
// The fuzz targets' entry points: one checker per reader (csv, email, response, journal, cache)
// that feeds it one input and verifies the reader's documented promises, not only that it
// survives.
// Linked by the libFuzzer executables (fuzz/fuzz_main.cpp) and by tests/fuzz_regression_test.cpp,
// which replays every file of fuzz/regressions/<target>/ through the same code.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace leadpipe::fuzz {

/// A broken promise found by a checker: what() says which one and with what values. Thrown out
/// of target::run (readers' own failures are expected and caught inside it); the libFuzzer main
/// turns it into a crash report, the regression test into a failed check.
class invariant_failure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Throws invariant_failure with "<what>" when `ok` is false.
void check(bool ok, std::string_view what);

/// One fuzz target. It keeps what is costly to build (validator tables, parsers) across inputs;
/// run() is deterministic for a given input. Not thread-safe.
class target {
 public:
  target() = default;
  target(const target&) = delete;
  target& operator=(const target&) = delete;
  virtual ~target() = default;
  /// Feeds `input` (any bytes) to the reader and checks its promises. Throws invariant_failure
  /// on a broken promise; anything else escaping is a bug of the reader too.
  virtual void run(std::span<const std::uint8_t> input) = 0;
};

/// The names make_target() knows, in a fixed order: "csv", "email", "response", "journal",
/// "cache".
[[nodiscard]] std::span<const std::string_view> target_names() noexcept;

/// The target called `name`, or nullptr for an unknown name. Loading the email validator's data
/// files may throw std::runtime_error (see email_validator).
[[nodiscard]] std::unique_ptr<target> make_target(std::string_view name);

/// Reads the leading option bytes of an input: each take() consumes one byte (0 once the input
/// is exhausted), rest() is what is left. Views into the caller's buffer.
class input_reader {
 public:
  explicit input_reader(std::span<const std::uint8_t> input) noexcept
      : data_(reinterpret_cast<const char*>(input.data()), input.size()) {}
  [[nodiscard]] std::uint8_t take() noexcept {
    if (data_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return b;
  }
  [[nodiscard]] std::string_view rest() const noexcept { return data_; }

 private:
  std::string_view data_;
};

// Factories of the individual targets (one .cpp each).
[[nodiscard]] std::unique_ptr<target> make_csv_target();
[[nodiscard]] std::unique_ptr<target> make_email_target();
[[nodiscard]] std::unique_ptr<target> make_response_target();
[[nodiscard]] std::unique_ptr<target> make_journal_target();
[[nodiscard]] std::unique_ptr<target> make_cache_target();

}  // namespace leadpipe::fuzz
