#include "fuzz_entries.hpp"

#include <array>

namespace leadpipe::fuzz {
namespace {

constexpr std::array<std::string_view, 5> names = {"csv", "email", "response", "journal", "cache"};

}  // namespace

void check(bool ok, std::string_view what) {
  if (!ok) throw invariant_failure(std::string(what));
}

std::span<const std::string_view> target_names() noexcept { return names; }

std::unique_ptr<target> make_target(std::string_view name) {
  if (name == "csv") return make_csv_target();
  if (name == "email") return make_email_target();
  if (name == "response") return make_response_target();
  if (name == "journal") return make_journal_target();
  if (name == "cache") return make_cache_target();
  return nullptr;
}

}  // namespace leadpipe::fuzz
