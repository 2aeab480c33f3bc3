// byte_source: the raw input (file, standard input or memory) with its byte count and xxh3
// hash, the sniffing of gzip magic and byte-order marks, and the stage chain behind read().
#include "leadpipe/source.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include <fmt/format.h>
#include <xxhash.h>
// The input hash goes through libxxhash's x86 dispatcher: AVX2 or AVX-512 where the CPU has
// them, instead of the SSE2 build of the plain entry points: a third of the instructions.
#include <xxh_x86dispatch.h>

#include "leadpipe/utf8.hpp"
#include "source_stages.hpp"

namespace leadpipe {
namespace sd = source_detail;

void sd::fail(source_errc code, const std::string& name, std::string_view what) {
  throw source_error(code, fmt::format("{}: {}", name, what));
}

namespace {

// read(2) is asked for at most this much at once: large enough to amortise the system call,
// small enough that the hash and the caller's buffer stay in cache-friendly sizes.
constexpr std::size_t max_syscall_bytes = std::size_t{1} << 30;

std::string errno_text(int e) {
  std::string s = std::generic_category().message(e);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// The bottom of the chain: bytes as stored, counted and hashed as they pass.
class raw_stage final : public sd::stage {
 public:
  raw_stage(const std::string& name, int fd, bool owns_fd, std::size_t max_chunk,
            const std::atomic<bool>* stop)
      : name_(name),
        fd_(fd),
        owns_fd_(owns_fd),
        max_chunk_(max_chunk),
        stop_(stop),
        hash_(new_state()) {}
  raw_stage(const std::string& name, std::string_view data, std::size_t max_chunk)
      : name_(name), memory_(data), max_chunk_(max_chunk), hash_(new_state()) {}
  raw_stage(const raw_stage&) = delete;
  raw_stage& operator=(const raw_stage&) = delete;
  ~raw_stage() override {
    if (owns_fd_) ::close(fd_);
    XXH3_freeState(hash_);
  }

  std::size_t read(char* out, std::size_t n) override {
    n = std::min(n, max_syscall_bytes);
    if (max_chunk_ != 0) n = std::min(n, max_chunk_);
    const std::size_t got = fd_ < 0 ? read_memory(out, n) : read_fd(out, n);
    if (got != 0) {
      XXH3_128bits_update(hash_, out, got);
      consumed_ += got;
    }
    return got;
  }

  [[nodiscard]] std::uint64_t consumed() const noexcept { return consumed_; }

  // For a regular file: its size and modification time when opened, checked again at its end.
  void watch(const struct stat& st) {
    watched_ = true;
    size_at_open_ = static_cast<std::uint64_t>(st.st_size);
    mtime_at_open_ = st.st_mtim;
  }

  // How the file changed between its opening and the read that found its end; empty when it
  // did not (or is no regular file, or its end was not reached).
  [[nodiscard]] const std::string& change() const noexcept { return change_; }

  [[nodiscard]] std::string digest() const {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(hash_));
    std::string hex;
    hex.reserve(2 * sizeof(canonical.digest));
    for (const unsigned char b : canonical.digest)
      fmt::format_to(std::back_inserter(hex), "{:02x}", b);
    return hex;
  }

 private:
  static XXH3_state_t* new_state() {
    XXH3_state_t* s = XXH3_createState();
    if (s == nullptr) throw std::bad_alloc();
    XXH3_128bits_reset(s);
    return s;
  }

  std::size_t read_memory(char* out, std::size_t n) {
    const std::size_t got = std::min(n, memory_.size() - memory_pos_);
    std::memcpy(out, memory_.data() + memory_pos_, got);
    memory_pos_ += got;
    return got;
  }

  std::size_t read_fd(char* out, std::size_t n) {
    if (stop_ != nullptr && !watched_) wait_readable();
    for (;;) {
      const ssize_t r = ::read(fd_, out, n);
      if (r == 0 && watched_ && !checked_end_) check_end();
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno != EINTR)
        sd::fail(source_errc::read_failed, name_, "read failed: " + errno_text(errno));
    }
  }

  // A pipe or terminal may hold back its next bytes for ever (a stalled producer): the wait is
  // cut into 200 ms polls so that a stop request is seen. A signal may land on another thread
  // and leave this one's read blocked, so EINTR alone would not do.
  void wait_readable() {
    pollfd p{fd_, POLLIN, 0};
    for (;;) {
      if (stop_->load(std::memory_order_relaxed)) {
        sd::fail(source_errc::stopped, name_, "stopped by a signal while waiting for input");
      }
      const int r = ::poll(&p, 1, 200);
      if (r > 0) return;  // readable, at its end, or in error: read(2) says which
      if (r < 0 && errno != EINTR) return;
    }
  }

  void check_end() {
    checked_end_ = true;
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const bool touched =
        st.st_mtim.tv_sec != mtime_at_open_.tv_sec || st.st_mtim.tv_nsec != mtime_at_open_.tv_nsec;
    if (size != size_at_open_ || consumed_ != size_at_open_ || touched) {
      change_ = fmt::format("{} bytes when opened, {} bytes read, {} bytes at the end{}",
                            size_at_open_, consumed_, size, touched ? ", modified meanwhile" : "");
    }
  }

  const std::string& name_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool watched_ = false;
  bool checked_end_ = false;
  std::uint64_t size_at_open_ = 0;
  struct timespec mtime_at_open_ {};
  std::string change_;
  std::string_view memory_;
  std::size_t memory_pos_ = 0;
  std::size_t max_chunk_;
  const std::atomic<bool>* stop_ = nullptr;
  XXH3_state_t* hash_;
  std::uint64_t consumed_ = 0;
};

// Lets the sniffing look at the first bytes of a stream and then serves them again (or skips
// them, for a byte-order mark) before reading on.
class peek_stage final : public sd::stage {
 public:
  explicit peek_stage(sd::stage& upstream) : up_(upstream) {}

  // Up to `want` bytes from the start; fewer only at the end of the stream (then at_end()).
  std::string_view peek(std::size_t want) {
    if (buf_.size() < want) buf_.resize(want);
    while (len_ < want && !eof_) {
      const std::size_t got = up_.read(buf_.data() + len_, want - len_);
      if (got == 0) eof_ = true;
      len_ += got;
    }
    return {buf_.data() + pos_, len_ - pos_};
  }
  [[nodiscard]] bool at_end() const noexcept { return eof_; }
  void skip(std::size_t n) { pos_ += std::min(n, len_ - pos_); }

  std::size_t read(char* out, std::size_t n) override {
    if (pos_ < len_) {
      const std::size_t k = std::min(n, len_ - pos_);
      std::memcpy(out, buf_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    if (eof_) return 0;
    if (!buf_.empty()) std::string().swap(buf_);  // the sniffing window is no longer needed
    return up_.read(out, n);
  }

 private:
  sd::stage& up_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  bool eof_ = false;
};

struct bom {
  std::size_t length = 0;
  const char* canonical = "UTF-8";  // ICU name
  const char* label = "utf-8";      // what encoding() reports
};

bom detect_bom(std::string_view h) {
  const auto starts = [&](std::string_view p) { return h.substr(0, p.size()) == p; };
  using namespace std::string_view_literals;
  // UTF-32LE first: its mark begins with the UTF-16LE one.
  if (starts("\xFF\xFE\x00\x00"sv)) return {4, "UTF-32LE", "utf-32le"};
  if (starts("\x00\x00\xFE\xFF"sv)) return {4, "UTF-32BE", "utf-32be"};
  if (starts("\xEF\xBB\xBF"sv)) return {3, "UTF-8", "utf-8"};
  if (starts("\xFF\xFE"sv)) return {2, "UTF-16LE", "utf-16le"};
  if (starts("\xFE\xFF"sv)) return {2, "UTF-16BE", "utf-16be"};
  return {};
}

// How much of the (decompressed) input --encoding auto looks at when there is no byte-order mark.
constexpr std::size_t sniff_bytes = std::size_t{1} << 20;

// --encoding auto without a byte-order mark. Text whose bytes at odd (even) positions are mostly
// NUL is UTF-16LE (BE) without a mark; text that is valid UTF-8, allowing a sequence cut by the
// end of the window, is UTF-8; anything else is windows-1252, which is what Windows
// spreadsheets write, or Mac Roman (Excel's "CSV (Macintosh)"), told apart by their letters, or
// when those do not tell, by the line endings (Mac Roman when lines end with a lone CR).
bom sniff_encoding(std::string_view s, bool whole) {
  std::size_t nul_even = 0;
  std::size_t nul_odd = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0') ++((i % 2 == 0) ? nul_even : nul_odd);
  }
  if (s.size() >= 4) {
    if (nul_odd >= s.size() / 4 && nul_even * 8 <= nul_odd) return {0, "UTF-16LE", "utf-16le"};
    if (nul_even >= s.size() / 4 && nul_odd * 8 <= nul_even) return {0, "UTF-16BE", "utf-16be"};
  }
  for (std::size_t cut = 0; cut <= (whole ? 0U : std::min<std::size_t>(3, s.size())); ++cut) {
    if (utf8::is_valid(s.substr(0, s.size() - cut))) return {};
  }
  // Between the two 8-bit encodings the letters decide: an accented letter inside a word that
  // goes on in lower case is lower case itself, and the two encodings put their lower-case
  // letters at different bytes (windows-1252 mostly at E0-FF, Mac Roman at 87-9F). The line
  // endings decide a tie.
  std::size_t cp1252_letters = 0;
  std::size_t mac_letters = 0;
  // Bytes windows-1252 leaves undefined (81 8D 8F 90 9D: "Å", "ç", "è", "ê", "ù" in Mac Roman)
  // would be read as control characters: such a text is not windows-1252.
  if (s.find_first_of(std::string_view("\x81\x8D\x8F\x90\x9D", 5)) != std::string_view::npos) {
    return {0, "macintosh", "macintosh"};
  }
  for (std::size_t i = 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80 || s[i - 1] < 'a' || s[i - 1] > 'z') continue;
    const bool cp1252_lower =
        c == 0x9A || c == 0x9C || c == 0x9E || c == 0xDF || (c >= 0xE0 && c != 0xF7);
    // Not counted for Mac Roman: windows-1252's apostrophe (92: "don't", "O'Neil", which Mac
    // Roman reads as an i with acute), and its closing quote, ellipsis, trade mark and
    // guillemet (94 85 99 9B) where no letter follows.
    const bool next_lower = i + 1 < s.size() && s[i + 1] >= 'a' && s[i + 1] <= 'z';
    const bool cp1252_closing =
        c == 0x92 || (!next_lower && (c == 0x85 || c == 0x94 || c == 0x99 || c == 0x9B));
    const bool mac_lower = ((c >= 0x87 && c <= 0x9F) || c == 0xA7 || c == 0xBE || c == 0xBF ||
                            c == 0xCF || c == 0xD8 || c == 0xDE || c == 0xDF || c == 0xF5) &&
                           !cp1252_closing;
    cp1252_letters += cp1252_lower ? 1 : 0;
    mac_letters += mac_lower ? 1 : 0;
  }
  if (cp1252_letters != mac_letters) {
    return cp1252_letters > mac_letters ? bom{0, "windows-1252", "windows-1252"}
                                        : bom{0, "macintosh", "macintosh"};
  }
  const std::size_t brk = s.find_first_of("\r\n");
  if (brk != std::string_view::npos && s[brk] == '\r') {
    const std::string_view after = s.substr(brk + 1);
    if (!after.starts_with('\n') && !after.starts_with("\r\n")) {
      return {0, "macintosh", "macintosh"};
    }
  }
  return {0, "windows-1252", "windows-1252"};
}

}  // namespace

struct byte_source::impl {
  std::string name;
  std::string encoding = "utf-8";
  std::optional<std::uint64_t> size;
  std::size_t max_chunk = 0;
  bool gzip = false;
  bool bom_seen = false;
  std::unique_ptr<raw_stage> raw;
  std::unique_ptr<peek_stage> raw_peek;
  std::unique_ptr<sd::stage> gunzip;
  std::unique_ptr<peek_stage> plain_peek;
  std::unique_ptr<sd::stage> decoder;
  sd::stage* top = nullptr;

  // Sniffs gzip magic, then a byte-order mark in the (decompressed) stream, and chains the
  // stages. Runs once, from the factories.
  void build(const source_options& options) {
    const bool automatic = options.encoding == "auto";
    const bool named = !options.encoding.empty() && !automatic;
    // Checked before any read so that a typo fails fast, even when a BOM would win.
    std::string canonical = named ? sd::canonical_encoding(options.encoding, name) : "UTF-8";
    raw_peek = std::make_unique<peek_stage>(*raw);
    sd::stage* plain = raw_peek.get();
    if (raw_peek->peek(2) == std::string_view("\x1f\x8b", 2)) {
      gunzip = sd::make_gunzip(*raw_peek, name);
      plain = gunzip.get();
      gzip = true;
    }
    plain_peek = std::make_unique<peek_stage>(*plain);
    top = plain_peek.get();
    const bom mark = detect_bom(plain_peek->peek(4));
    if (mark.length != 0) {
      bom_seen = true;
      plain_peek->skip(mark.length);
      canonical = mark.canonical;
      encoding = mark.label;
    } else if (named && !sd::is_utf8(canonical)) {
      encoding = options.encoding;
    } else if (automatic) {
      const std::string_view sample = plain_peek->peek(sniff_bytes);  // before at_end()
      const bom guess = sniff_encoding(sample, plain_peek->at_end());
      canonical = guess.canonical;
      encoding = guess.label;
    }
    if (!sd::is_utf8(canonical)) {
      decoder = sd::make_decoder(*plain_peek, name, canonical, encoding, mark.length);
      top = decoder.get();
    }
  }
};

byte_source::byte_source(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
byte_source::byte_source(byte_source&&) noexcept = default;
byte_source& byte_source::operator=(byte_source&&) noexcept = default;
byte_source::~byte_source() = default;

byte_source byte_source::open(std::string_view path, const source_options& options) {
  auto p = std::make_unique<impl>();
  p->max_chunk = options.max_chunk;
  int fd = STDIN_FILENO;
  if (path == "-") {
    p->name = "<stdin>";
    p->raw = std::make_unique<raw_stage>(p->name, fd, false, options.max_chunk, options.stop);
  } else {
    p->name = std::string(path);
    fd = ::open(p->name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) sd::fail(source_errc::open_failed, p->name, "cannot open: " + errno_text(errno));
    p->raw = std::make_unique<raw_stage>(p->name, fd, true, options.max_chunk,
                                         options.stop);  // owns fd now
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      sd::fail(source_errc::open_failed, p->name, "cannot open: is a directory");
    if (S_ISREG(st.st_mode)) {
      p->size = static_cast<std::uint64_t>(st.st_size);
      p->raw->watch(st);
      // A hint only: failure changes nothing but read-ahead.
      (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  }
  p->build(options);
  return byte_source(std::move(p));
}

byte_source byte_source::from_memory(std::string_view data, std::string name,
                                     const source_options& options) {
  auto p = std::make_unique<impl>();
  p->max_chunk = options.max_chunk;
  p->name = std::move(name);
  p->size = data.size();
  p->raw = std::make_unique<raw_stage>(p->name, data, options.max_chunk);
  p->build(options);
  return byte_source(std::move(p));
}

std::size_t byte_source::read(char* out, std::size_t n) {
  if (n == 0) return 0;  // a zero-byte read(2) would look like the end of the input below
  if (impl_->max_chunk != 0) n = std::min(n, impl_->max_chunk);
  return impl_->top->read(out, n);
}

const std::string& byte_source::name() const noexcept { return impl_->name; }
std::uint64_t byte_source::raw_bytes_read() const noexcept { return impl_->raw->consumed(); }
const std::string& byte_source::changed_while_read() const noexcept { return impl_->raw->change(); }
std::optional<std::uint64_t> byte_source::raw_size() const noexcept { return impl_->size; }
std::string byte_source::raw_digest() const { return impl_->raw->digest(); }
bool byte_source::compressed() const noexcept { return impl_->gzip; }
const std::string& byte_source::encoding() const noexcept { return impl_->encoding; }
bool byte_source::has_bom() const noexcept { return impl_->bom_seen; }

}  // namespace leadpipe
