#include "leadgen_lists.hpp"

#include <cmath>
#include <utility>

#include "leadgen_data.hpp"

namespace leadpipe::leadgen {

void append_filler_address(std::string& out, std::uint64_t list_key, std::uint64_t k) {
  splitmix64 r = splitmix64::for_index(list_key, k);
  out.append(pick_from(first_names(false), r.next()).slug);
  out.push_back('.');
  out.append(pick_from(last_names(false), r.next()).slug);
  out.push_back('.');
  append_decimal(out, k + 1);
  out.push_back('@');
  append_company_slug(out, static_cast<std::uint32_t>(r.below(company_count())));
  out.append(".org");
}

list_writer::list_writer(output_sink sink, std::uint64_t count, double hit_rate,
                         std::uint64_t eligible, std::uint64_t list_key)
    : sink_(std::move(sink)), rng_(mix64(list_key)), list_key_(list_key), eligible_(eligible) {
  const auto wanted =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(count) * hit_rate));
  hits_ = wanted < eligible ? wanted : eligible;
  fillers_ = count - hits_;
}

bool list_writer::draw() noexcept {
  if (offered_ >= eligible_) return false;
  // Selection sampling (Knuth's algorithm S): take this row with probability
  // (hits still needed) / (rows still to come), which yields exactly hits_ in the end.
  const std::uint64_t remaining = eligible_ - offered_;
  ++offered_;
  if (rng_.below(remaining) >= hits_ - taken_) return false;
  ++taken_;
  return true;
}

gen_result<> list_writer::write_fillers_until(std::uint64_t target) {
  std::string& out = sink_.buffer();
  while (written_fillers_ < target) {
    append_filler_address(out, list_key_, written_fillers_);
    out.push_back('\n');
    ++written_fillers_;
    auto flushed = sink_.flush_if_full();
    if (!flushed) return flushed;
  }
  return {};
}

gen_result<> list_writer::write_hit(std::string_view address) {
  // Spread the fillers evenly: before hit k come floor(k * fillers / hits) of them.
  if (hits_ > 0) {
    auto spread = write_fillers_until(written_hits_ * fillers_ / hits_);
    if (!spread) return spread;
  }
  append_lower_ascii(sink_.buffer(), address);
  sink_.buffer().push_back('\n');
  ++written_hits_;
  return sink_.flush_if_full();
}

gen_result<> list_writer::write_line(std::string_view line) {
  sink_.buffer().append(line);
  sink_.buffer().push_back('\n');
  return sink_.flush_if_full();
}

gen_result<> list_writer::finish() {
  auto rest = write_fillers_until(fillers_);
  if (!rest) return rest;
  return sink_.close();
}

}  // namespace leadpipe::leadgen
