#include "leadpipe/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace leadpipe {

namespace {

// "<path>.tmp", or, when that name would pass the 255 bytes a file name may have, a shorter
// hidden name in the same directory (so that the rename stays within one file system).
std::string temp_name(const std::string& path) {
  constexpr std::size_t name_max = 255;
  const std::size_t slash = path.rfind('/');
  const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
  if (path.size() - base + 4 <= name_max) return path + ".tmp";
  return fmt::format("{}.leadpipe-{}.tmp", path.substr(0, base), ::getpid());
}

}  // namespace

output_file::output_file(std::string path, bool atomic) : path_(std::move(path)) {
  if (path_ == "-") {
    file_ = stdout;
  } else {
    // Only a regular file (or a new one) can be replaced: a device, FIFO or socket such as
    // /dev/null is written in place, never renamed over; so is anything reached through a
    // symbolic link (/dev/stdout, which names whatever standard output is, a regular file when
    // it was redirected to one: a rename would replace the link itself).
    struct stat st {};
    if (atomic && ::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) atomic = false;
    if (atomic) tmp_path_ = temp_name(path_);
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
      used_(other.used_),
      raw_(other.raw_),
      written_(other.written_) {}

output_file::~output_file() {
  if (file_ == nullptr) return;
  try {
    if (tmp_path_.empty()) {
      close();
    } else {
      // Not closed: the run stopped part-way. What was written stays in the .tmp file (nothing
      // is lost), and whatever `path` held before stays there.
      flush(false);
      std::FILE* f = std::exchange(file_, nullptr);
      if (owns_) std::fclose(f);
    }
  } catch (const output_error&) {
    // Destructors must not throw; callers that care call close() themselves.
  }
}

void output_file::fail(std::string_view what) const {
  const int e = errno;
  const std::string_view name = path_ == "-" ? std::string_view("<stdout>") : path_;
  throw output_error(fmt::format("{}: {}: {}", name, what, std::strerror(e)));
}

void output_file::write_through(std::string_view s) {
  if (std::fwrite(s.data(), 1, s.size(), file_) != s.size()) fail("write failed");
  written_ += s.size();
}

// Raw mode keeps buf_ at its full size (zero-filled once) and counts the bytes in use apart.
void output_file::enter_raw() {
  used_ = buf_.size();
  if (buf_.size() < kBufferSize) buf_.resize(kBufferSize);
  raw_ = true;
}

void output_file::leave_raw() {
  buf_.resize(used_);
  raw_ = false;
}

void output_file::spill() {
  const std::size_t n = pending();
  if (n == 0) return;
  write_through({buf_.data(), n});
  if (raw_) {
    used_ = 0;
  } else {
    buf_.clear();
  }
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

namespace {

// What the first byte of a cell says about formulas: most cells are settled by it alone.
enum class lead_kind : std::uint8_t { plain, formula, sign };

constexpr std::array<lead_kind, 256> kLeadKind = [] {
  std::array<lead_kind, 256> t{};
  t[static_cast<unsigned char>('=')] = lead_kind::formula;
  t[static_cast<unsigned char>('@')] = lead_kind::formula;
  t[static_cast<unsigned char>('\t')] = lead_kind::formula;
  t[static_cast<unsigned char>('\r')] = lead_kind::formula;
  t[static_cast<unsigned char>('+')] = lead_kind::sign;
  t[static_cast<unsigned char>('-')] = lead_kind::sign;
  return t;
}();

// Bytes that may follow the sign of a number or phone number.
constexpr std::array<bool, 256> kPhoneByte = [] {
  std::array<bool, 256> t{};
  for (const char c : std::string_view("0123456789 ()-./")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// Eight bytes at a time: a word holds a byte equal to `b` when (w ^ b...) has a zero byte. The
// classic zero-byte test is exact about whether there is one, which is all that is asked here.
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

constexpr std::uint64_t zero_bytes(std::uint64_t w) noexcept { return (w - kOnes) & ~w & kHighs; }

[[gnu::always_inline]] inline bool word_needs_quotes(std::uint64_t w) noexcept {
  return (zero_bytes(w ^ (kOnes * ',')) | zero_bytes(w ^ (kOnes * '"')) |
          zero_bytes(w ^ (kOnes * '\r')) | zero_bytes(w ^ (kOnes * '\n'))) != 0;
}

bool byte_needs_quotes(char c) noexcept { return c == ',' || c == '"' || c == '\r' || c == '\n'; }

std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w = 0;
  std::memcpy(&w, p, 8);
  return w;
}

std::uint64_t load4(const char* p) noexcept {
  std::uint32_t w = 0;
  std::memcpy(&w, p, 4);
  return w;
}

// True when `cell` holds a comma, quote, CR or LF: one pass, not one scan per special byte. The
// tail is covered by a last load that overlaps the previous one instead of a byte loop, since
// most cells are short names.
bool has_quote_trigger(std::string_view cell) noexcept {
  const char* p = cell.data();
  const std::size_t n = cell.size();
  if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      if (byte_needs_quotes(p[i])) return true;
    }
    return false;
  }
  if (n < 8) return word_needs_quotes(load4(p) | (load4(p + n - 4) << 32U));
  if (n <= 16) return word_needs_quotes(load8(p)) || word_needs_quotes(load8(p + n - 8));
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  const auto hit = [&](const char* at) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const __m128i text = _mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, quote));
    const __m128i ends = _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf));
    return _mm_movemask_epi8(_mm_or_si128(text, ends)) != 0;
  };
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (hit(p + i)) return true;
  }
  return i != n && hit(p + n - 16);
#else
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (word_needs_quotes(load8(p + i))) return true;
  }
  return i != n && word_needs_quotes(load8(p + n - 8));
#endif
}

}  // namespace

bool looks_like_formula(std::string_view cell) noexcept {
  if (cell.empty()) return false;
  const lead_kind k = kLeadKind[static_cast<unsigned char>(cell.front())];
  if (k != lead_kind::sign) return k == lead_kind::formula;
  // "+1 (555) 010-0199" and "-12.5" are data, not formulas: only digits and phone punctuation.
  for (const char d : cell.substr(1)) {
    if (!kPhoneByte[static_cast<unsigned char>(d)]) return true;
  }
  return cell.size() == 1;
}

namespace {

void store8(char* p, std::uint64_t w) noexcept { std::memcpy(p, &w, 8); }
void store4(char* p, std::uint64_t w) noexcept {
  const auto v = static_cast<std::uint32_t>(w);
  std::memcpy(p, &v, 4);
}

// Copies n >= 16 bytes 16 at a time (the last block overlaps the one before), checking each
// block for a byte that needs quotes; false, with `out` partly written, when it finds one.
bool copy_unquoted_long(char* out, const char* p, std::size_t n) noexcept {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  const auto copy = [&](std::size_t at) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    const __m128i text = _mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, quote));
    const __m128i ends = _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf));
    if (_mm_movemask_epi8(_mm_or_si128(text, ends)) != 0) return false;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + at), x);
    return true;
  };
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (!copy(i)) return false;
  }
  return i == n || copy(n - 16);
#else
  if (has_quote_trigger({p, n})) return false;
  std::memcpy(out, p, n);
  return true;
#endif
}

// The general case: a cell that may need quotes, doubled quotes or the formula mark. Out of
// line, so that the common case in put_csv_cell() stays a leaf with few registers to save.
[[gnu::noinline]] char* put_cell_slow(char* out, std::string_view cell, bool neutralise) noexcept {
  // The first byte settles most formula checks; only a leading sign needs the full look.
  const lead_kind k = kLeadKind[static_cast<unsigned char>(cell.front())];
  const bool formula =
      neutralise && (k == lead_kind::formula || (k == lead_kind::sign && looks_like_formula(cell)));
  // A signed cell that is no formula (a phone number, "-12.5") holds only digits and phone
  // punctuation: nothing in it needs quotes.
  const bool phone = neutralise && k == lead_kind::sign && !formula;
  const bool quote =
      formula || cell.front() == ' ' || cell.back() == ' ' || (!phone && has_quote_trigger(cell));
  if (!quote) {
    std::memcpy(out, cell.data(), cell.size());
    return out + cell.size();
  }
  *out++ = '"';
  if (formula) *out++ = '\'';
  // Copy up to and including each quote, then double it.
  for (std::size_t at = cell.find('"'); at != std::string_view::npos; at = cell.find('"')) {
    std::memcpy(out, cell.data(), at + 1);
    out += at + 1;
    *out++ = '"';
    cell.remove_prefix(at + 1);
  }
  std::memcpy(out, cell.data(), cell.size());
  out += cell.size();
  *out++ = '"';
  return out;
}

}  // namespace

char* put_csv_cell(char* out, std::string_view cell, bool neutralise) noexcept {
  const std::size_t n = cell.size();
  if (n == 0) return out;
  const char* p = cell.data();
  const lead_kind k = kLeadKind[static_cast<unsigned char>(p[0])];
  // Short plain cells (names, cities, phone numbers) are checked and copied with the same two
  // overlapping loads; anything else takes the general path.
  if ((k == lead_kind::plain || !neutralise) && p[0] != ' ' && p[n - 1] != ' ') {
    if (n >= 8 && n <= 16) {
      const std::uint64_t a = load8(p);
      const std::uint64_t b = load8(p + n - 8);
      if (!word_needs_quotes(a) && !word_needs_quotes(b)) {
        store8(out, a);
        store8(out + n - 8, b);
        return out + n;
      }
    } else if (n >= 4 && n < 8) {
      const std::uint64_t a = load4(p);
      const std::uint64_t b = load4(p + n - 4);
      if (!word_needs_quotes(a | (b << 32U))) {
        store4(out, a);
        store4(out + n - 4, b);
        return out + n;
      }
    } else if (n > 16 && copy_unquoted_long(out, p, n)) {
      return out + n;
    }
  }
  return put_cell_slow(out, cell, neutralise);
}

char* put_plain_csv_value(char* out, std::string_view cell) noexcept {
  const std::size_t n = cell.size();
  if (n == 0) return out;
  if (cell.front() == ' ' || cell.back() == ' ') return put_cell_slow(out, cell, false);
  std::memcpy(out, cell.data(), n);
  return out + n;
}

void append_csv_cell(std::string& out, std::string_view cell, bool neutralise) {
  if (cell.empty()) return;
  const std::size_t at = out.size();
  out.resize(at + csv_cell_bound(cell.size()));
  char* end = put_csv_cell(out.data() + at, cell, neutralise);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace leadpipe
