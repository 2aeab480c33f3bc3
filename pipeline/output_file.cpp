#include "leadpipe/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

namespace leadpipe {

output_file::output_file(std::string path, bool atomic) : path_(std::move(path)) {
  if (path_ == "-") {
    file_ = stdout;
  } else {
    if (atomic) tmp_path_ = path_ + ".tmp";
    const std::string& target = atomic ? tmp_path_ : path_;
    file_ = std::fopen(target.c_str(), "wb");
    if (file_ == nullptr) fail("cannot open for writing");
    owns_ = true;
  }
  buf_.reserve(kBufferSize);
}

output_file output_file::append_to(std::string path) {
  output_file f;
  f.path_ = std::move(path);
  f.file_ = std::fopen(f.path_.c_str(), "ab");
  if (f.file_ == nullptr) f.fail("cannot open for appending");
  f.owns_ = true;
  if (std::fseek(f.file_, 0, SEEK_END) != 0) f.fail("cannot seek");
  const long end = std::ftell(f.file_);
  if (end < 0) f.fail("cannot tell the file size");
  f.written_ = static_cast<std::uint64_t>(end);
  f.buf_.reserve(kBufferSize);
  return f;
}

output_file::output_file(output_file&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_path_(std::move(other.tmp_path_)),
      file_(std::exchange(other.file_, nullptr)),
      owns_(std::exchange(other.owns_, false)),
      buf_(std::move(other.buf_)),
      written_(other.written_) {}

output_file::~output_file() {
  if (file_ == nullptr) return;
  try {
    close();
  } catch (const output_error&) {
    // Destructors must not throw; callers that care call close() themselves.
  }
}

void output_file::fail(std::string_view what) const {
  throw output_error(fmt::format("{}: {}: {}", path_, what, std::strerror(errno)));
}

void output_file::write_through(std::string_view s) {
  if (std::fwrite(s.data(), 1, s.size(), file_) != s.size()) fail("write failed");
  written_ += s.size();
}

void output_file::spill() {
  if (buf_.empty()) return;
  write_through(buf_);
  buf_.clear();
}

void output_file::flush(bool durable) {
  if (file_ == nullptr) return;
  spill();
  if (std::fflush(file_) != 0) fail("flush failed");
  if (durable && owns_ && ::fsync(::fileno(file_)) != 0) fail("fsync failed");
}

void output_file::close() {
  if (file_ == nullptr) return;
  flush(false);
  std::FILE* f = std::exchange(file_, nullptr);
  if (owns_ && std::fclose(f) != 0) fail("close failed");
  if (!tmp_path_.empty()) {
    std::error_code ec;
    std::filesystem::rename(tmp_path_, path_, ec);
    if (ec) {
      throw output_error(fmt::format("{}: cannot rename {} into place: {}", path_, tmp_path_,
                                     ec.message()));
    }
  }
}

void truncate_file(const std::string& path, std::uint64_t size) {
  std::error_code ec;
  std::filesystem::resize_file(path, size, ec);
  if (ec) throw output_error(fmt::format("{}: cannot truncate to {} bytes: {}", path, size, ec.message()));
}

bool looks_like_formula(std::string_view cell) noexcept {
  if (cell.empty()) return false;
  const char c = cell.front();
  if (c == '=' || c == '@' || c == '\t' || c == '\r') return true;
  if (c != '+' && c != '-') return false;
  // "+1 (555) 010-0199" and "-12.5" are data, not formulas: only digits and phone punctuation.
  for (char d : cell.substr(1)) {
    const bool plain = (d >= '0' && d <= '9') || d == ' ' || d == '(' || d == ')' || d == '-' ||
                       d == '.' || d == '/';
    if (!plain) return true;
  }
  return cell.size() == 1;
}

void append_csv_cell(std::string& out, std::string_view cell, bool neutralise) {
  const bool formula = neutralise && looks_like_formula(cell);
  const bool quote = formula || cell.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!cell.empty() && (cell.front() == ' ' || cell.back() == ' '));
  if (!quote) {
    out.append(cell);
    return;
  }
  out.push_back('"');
  if (formula) out.push_back('\'');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace leadpipe
