#include "leadpipe/outcome_files.hpp"

#include <charconv>

#include "leadpipe/email.hpp"

namespace leadpipe {
namespace {

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

// ",outcome,reason,detail": the part both files share.
void append_verdict(std::string& b, const row_result& r) {
  b.push_back(',');
  b.append(name(r.what));
  b.push_back(',');
  append_csv_cell(b, r.reason);
  b.push_back(',');
  append_csv_cell(b, r.detail);
}

}  // namespace

void append_flag_names(std::string& out, std::uint8_t flags) {
  if (flags == 0) return;  // nearly every row: skip the walk over the bits
  bool first = true;
  for (unsigned bit = 0; bit < 8; ++bit) {
    const auto f = static_cast<std::uint8_t>(1U << bit);
    if ((flags & f) == 0) continue;
    if (!first) out.push_back('|');
    out.append(flag_name(f));
    first = false;
  }
}

outcome_files::outcome_files(const std::string& outcomes_path, const std::string& rejects_path,
                             bool append_outcomes, bool append_rejects) {
  const auto open = [&](const std::string& path, std::string_view header,
                        std::optional<output_file>& slot, bool append) {
    if (path.empty()) return;
    if (append) {
      slot.emplace(output_file::append_to(path));
    } else {
      slot.emplace(path);
      slot->write(header);
    }
  };
  open(outcomes_path, outcomes_header, outcomes_, append_outcomes);
  open(rejects_path, rejects_header, rejects_, append_rejects);
}

void outcome_files::write(const row_result& r) {
  if (outcomes_) {
    std::string& b = outcomes_->buffer();
    append_number(b, r.line);
    b.push_back(',');
    append_csv_cell(b, r.email);
    append_verdict(b, r);
    b.push_back(',');
    append_flag_names(b, r.flags);
    b.append(r.by == decided_by::server ? ",server," : ",local,");
    if (r.batch != 0) append_number(b, r.batch);
    b.push_back('\n');
    outcomes_->maybe_spill();
  }
  if (rejects_ && r.what != outcome::accepted && r.what != outcome::added) {
    std::string& b = rejects_->buffer();
    append_number(b, r.line);
    b.push_back(',');
    append_number(b, r.offset);
    append_verdict(b, r);
    b.push_back(',');
    append_csv_cell(b, r.raw);
    b.push_back('\n');
    rejects_->maybe_spill();
  }
}

void outcome_files::flush(bool durable) {
  if (outcomes_) outcomes_->flush(durable);
  if (rejects_) rejects_->flush(durable);
}

void outcome_files::close() {
  if (outcomes_) outcomes_->close();
  if (rejects_) rejects_->close();
}

}  // namespace leadpipe
