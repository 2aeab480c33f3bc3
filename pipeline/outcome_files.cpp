#include "leadpipe/outcome_files.hpp"

#include <charconv>
#include <cstring>

#include "leadpipe/email.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

// Room for a decimal std::uint64_t.
constexpr std::size_t number_bound = 20;
// Room for every flag name joined by '|'.
constexpr std::size_t flags_bound = 64;

char* put_number(char* out, std::uint64_t n) {
  return std::to_chars(out, out + number_bound, n).ptr;
}

char* put_text(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

char* put_flag_names(char* out, std::uint8_t flags) {
  if (flags == 0) return out;  // nearly every row: skip the walk over the bits
  bool first = true;
  for (unsigned bit = 0; bit < 8; ++bit) {
    const auto f = static_cast<std::uint8_t>(1U << bit);
    if ((flags & f) == 0) continue;
    if (!first) *out++ = '|';
    out = put_text(out, flag_name(f));
    first = false;
  }
  return out;
}

// ",outcome,reason,detail": the part both files share.
std::size_t verdict_bound(const row_result& r) {
  return 3 + name(r.what).size() + csv_cell_bound(r.reason.size()) +
         csv_cell_bound(r.detail.size());
}

char* put_verdict(char* out, const row_result& r) {
  *out++ = ',';
  out = put_text(out, name(r.what));
  *out++ = ',';
  out = put_csv_cell(out, r.reason);
  *out++ = ',';
  return put_csv_cell(out, r.detail);
}

}  // namespace

void append_flag_names(std::string& out, std::uint8_t flags) {
  const std::size_t at = out.size();
  out.resize(at + flags_bound);
  out.resize(static_cast<std::size_t>(put_flag_names(out.data() + at, flags) - out.data()));
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
  // A cell that is not UTF-8 (an invalid_email row of a windows-1252 file read as UTF-8) or
  // holds a NUL byte is repaired for the files only; the verdict was made on the bytes as they
  // are.
  const auto utf8_text = [this](std::string_view v) -> std::string_view {
    if (utf8::is_text(v)) return v;
    repaired_.clear();
    utf8::append_text(repaired_, v);
    return repaired_;
  };
  // Each line is sized once and written through a raw pointer (see csv_lead_writer::accept).
  if (outcomes_) {
    // A sent form passed stage 0: only a cell that failed the policy may hold such bytes.
    const bool raw_cell = r.what == outcome::invalid_email || r.what == outcome::missing_email ||
                          r.what == outcome::malformed_row;
    const std::string_view email = raw_cell ? utf8_text(r.email) : r.email;
    const std::size_t bound =
        2 * number_bound + csv_cell_bound(email.size()) + verdict_bound(r) + flags_bound + 12;
    char* p = outcomes_->reserve(bound);
    p = put_number(p, r.line);
    *p++ = ',';
    p = put_csv_cell(p, email);
    p = put_verdict(p, r);
    *p++ = ',';
    p = put_flag_names(p, r.flags);
    p = put_text(p, r.by == decided_by::server ? ",server," : ",local,");
    if (r.batch != 0) p = put_number(p, r.batch);
    *p++ = '\n';
    outcomes_->commit(p);
  }
  if (rejects_ && r.what != outcome::accepted && r.what != outcome::added) {
    const std::string_view raw = utf8_text(r.raw);
    const std::size_t bound = 2 * number_bound + verdict_bound(r) + csv_cell_bound(raw.size()) + 4;
    char* p = rejects_->reserve(bound);
    p = put_number(p, r.line);
    *p++ = ',';
    p = put_number(p, r.offset);
    p = put_verdict(p, r);
    *p++ = ',';
    p = put_csv_cell(p, raw);
    *p++ = '\n';
    rejects_->commit(p);
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
