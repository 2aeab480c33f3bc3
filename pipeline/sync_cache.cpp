#include "leadpipe/sync_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <xxhash.h>

#include "leadpipe/output_file.hpp"
#include "leadpipe/paths.hpp"

namespace leadpipe {
namespace {

constexpr std::string_view kMagic = "LPCACHE\n";
constexpr std::size_t kAccountIdLen = 32;
constexpr std::size_t kMaxUrlLen = 4096;

// error_category's destructor is protected and non-virtual by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class cache_category_impl final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "leadpipe.cache"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<cache_errc>(ev)) {
      case cache_errc::missing: return "no cache file";
      case cache_errc::unreadable: return "the cache file cannot be read";
      case cache_errc::not_a_cache: return "not a leadpipe cache file";
      case cache_errc::foreign_version: return "a cache file of another format version";
      case cache_errc::truncated: return "the cache file is truncated";
      case cache_errc::corrupt: return "the cache file is corrupt (checksum or values)";
      case cache_errc::other_owner: return "the cache file belongs to another server, account or campaign";
    }
    return "unknown cache error";
  }
};
#pragma GCC diagnostic pop

// Little-endian fixed-width writes and bounds-checked reads. Fingerprints are written as two
// 64-bit words; the host is little-endian (checked below), so a set is one memcpy each way.
static_assert(std::endian::native == std::endian::little, "the cache format is little-endian");
static_assert(sizeof(fingerprint) == 16);

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

class reader {
 public:
  explicit reader(std::span<const char> b) : b_(b) {}
  template <class T>
  bool get(T& v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (b_.size() - pos_ < n) return false;
    out = std::string_view(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] std::size_t left() const { return b_.size() - pos_; }

 private:
  std::span<const char> b_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string_view name(cache_set s) noexcept {
  switch (s) {
    case cache_set::existing: return "existing";
    case cache_set::blocked_emails: return "blocked_emails";
    case cache_set::blocked_domains: return "blocked_domains";
    case cache_set::unsubscribed: return "unsubscribed";
    case cache_set::other_campaigns: return "other_campaigns";
  }
  return "unknown";
}

std::optional<double> cached_set::age_seconds(std::int64_t now_ms) const {
  if (!fetched()) return std::nullopt;
  return static_cast<double>(std::max<std::int64_t>(0, now_ms - fetched_at_ms)) / 1000.0;
}

const boost::system::error_category& cache_category() noexcept {
  static const cache_category_impl category;
  return category;
}

boost::system::error_code make_error_code(cache_errc e) noexcept {
  return {static_cast<int>(e), cache_category()};
}

std::string serialise_cache(const sync_cache& c) {
  std::string out;
  std::size_t total = 128 + c.base_url.size();
  for (const auto& s : c.sets) total += 32 + s.keys.size() * sizeof(fingerprint);
  out.reserve(total + 8);
  out.append(kMagic);
  put<std::uint32_t>(out, sync_cache_version);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(cache_set_count));
  put<std::int64_t>(out, c.campaign_id);
  put<std::uint8_t>(out, c.client_id ? 1 : 0);
  put<std::int64_t>(out, c.client_id.value_or(0));
  put<std::int64_t>(out, c.user_id);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(c.base_url.size()));
  out.append(c.base_url);
  std::string account = c.account_id;
  account.resize(kAccountIdLen, '0');
  out.append(account);
  for (std::size_t i = 0; i < cache_set_count; ++i) {
    const cached_set& s = c.sets[i];
    put<std::uint8_t>(out, static_cast<std::uint8_t>(i));
    put<std::int64_t>(out, s.fetched_at_ms);
    put<std::uint64_t>(out, s.server_entries);
    put<std::uint64_t>(out, static_cast<std::uint64_t>(s.keys.size()));
    const std::size_t at = out.size();
    out.resize(at + s.keys.size() * sizeof(fingerprint));
    char* p = out.data() + at;
    for (const fingerprint& f : s.keys) {
      std::memcpy(p, &f, sizeof(fingerprint));
      p += sizeof(fingerprint);
    }
  }
  put<std::uint64_t>(out, XXH3_64bits(out.data(), out.size()));
  return out;
}

boost::system::result<sync_cache> parse_cache(std::span<const char> bytes) {
  if (bytes.size() < kMagic.size() ||
      std::string_view(bytes.data(), kMagic.size()) != kMagic) {
    return cache_errc::not_a_cache;
  }
  reader r(bytes.subspan(kMagic.size()));
  std::uint32_t version = 0;
  if (!r.get(version)) return cache_errc::truncated;
  if (version != sync_cache_version) return cache_errc::foreign_version;
  // The checksum covers everything before the last 8 bytes; verify it before building sets so
  // a flipped bit anywhere is caught, not just in the header.
  if (bytes.size() < kMagic.size() + 4 + 8) return cache_errc::truncated;
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  const std::uint64_t computed = XXH3_64bits(bytes.data(), bytes.size() - 8);

  sync_cache c;
  std::uint32_t set_count = 0;
  std::uint8_t has_client = 0;
  std::int64_t client = 0;
  std::uint32_t url_len = 0;
  std::string_view url;
  std::string_view account;
  if (!r.get(set_count) || !r.get(c.campaign_id) || !r.get(has_client) || !r.get(client) ||
      !r.get(c.user_id) || !r.get(url_len)) {
    return cache_errc::truncated;
  }
  if (set_count != cache_set_count || has_client > 1 || url_len > kMaxUrlLen) {
    return cache_errc::corrupt;
  }
  if (!r.bytes(url_len, url) || !r.bytes(kAccountIdLen, account)) return cache_errc::truncated;
  if (has_client != 0) c.client_id = client;
  c.base_url.assign(url);
  c.account_id.assign(account);

  struct span_of_set {
    std::string_view keys;
  };
  std::array<span_of_set, cache_set_count> spans{};
  for (std::size_t i = 0; i < cache_set_count; ++i) {
    std::uint8_t kind = 0;
    std::uint64_t count = 0;
    cached_set& s = c.sets[i];
    if (!r.get(kind) || !r.get(s.fetched_at_ms) || !r.get(s.server_entries) || !r.get(count)) {
      return cache_errc::truncated;
    }
    if (kind != i || s.fetched_at_ms < 0) return cache_errc::corrupt;
    if (count > r.left() / sizeof(fingerprint)) return cache_errc::truncated;
    if (!r.bytes(static_cast<std::size_t>(count) * sizeof(fingerprint), spans[i].keys)) {
      return cache_errc::truncated;
    }
  }
  if (r.left() < 8) return cache_errc::truncated;
  if (r.left() > 8) return cache_errc::corrupt;
  if (stored != computed) return cache_errc::corrupt;

  for (std::size_t i = 0; i < cache_set_count; ++i) {
    const std::string_view k = spans[i].keys;
    const std::size_t n = k.size() / sizeof(fingerprint);
    key_set& set = c.sets[i].keys;
    set.reserve(n);
    for (std::size_t j = 0; j < n; ++j) {
      fingerprint f;
      std::memcpy(&f, k.data() + j * sizeof(fingerprint), sizeof(fingerprint));
      set.insert(f);
    }
    if (set.size() != n) return cache_errc::corrupt;  // a writer never stores a key twice
  }
  return c;
}

boost::system::result<sync_cache> read_cache(const std::string& path, std::string_view base_url,
                                             std::string_view account_id,
                                             std::int64_t campaign_id) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return cache_errc::missing;
  std::ifstream in(path, std::ios::binary);
  if (!in) return cache_errc::unreadable;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return cache_errc::unreadable;
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) return cache_errc::unreadable;
  auto c = parse_cache(bytes);
  if (!c) return c;
  if (c->base_url != base_url || c->account_id != account_id || c->campaign_id != campaign_id) {
    return cache_errc::other_owner;
  }
  return c;
}

void write_cache(const std::string& path, const sync_cache& c) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) {
    throw output_error(fmt::format("{}: cannot create the cache directory: {}",
                                   p.parent_path().string(), ec.message()));
  }
  const std::string bytes = serialise_cache(c);
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw output_error(fmt::format("{}: cannot write the cache: {}", tmp, std::strerror(errno)));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw output_error(fmt::format("{}: cannot write the cache: {}", tmp, std::strerror(e)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw output_error(fmt::format("{}: cannot write the cache: {}", tmp, std::strerror(e)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw output_error(fmt::format("{}: cannot replace the cache: {}", path, std::strerror(e)));
  }
}

std::string cache_path(const std::string& dir, std::string_view base_url,
                       std::string_view account_id, std::int64_t campaign_id, bool folded) {
  std::string owner(base_url);
  owner.push_back('\n');
  owner.append(account_id);
  return fmt::format("{}/{:016x}-{}{}.lpcache", dir, XXH3_64bits(owner.data(), owner.size()),
                     campaign_id, folded ? "-folded" : "");
}

std::string default_cache_dir() { return user_dir("XDG_CACHE_HOME", ".cache", ".leadpipe-cache"); }

}  // namespace leadpipe
