#include "leadpipe/journal.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include <boost/system/errc.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "leadpipe/json_writer.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

std::uint32_t crc_of(std::string_view s) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// A string field of the identity. Paths are bytes, not always UTF-8 (a Latin-1 file name), and
// json_writer would replace the bad bytes with U+FFFD: resume would then compare and truncate
// files under names that do not exist. Such a value goes, hex-encoded, under "<key>_hex".
void put_bytes(json_writer& w, std::string_view key, std::string_view value) {
  if (utf8::is_valid(value)) {
    w.key(key).value(value);
    return;
  }
  std::string hex;
  for (const char c : value) {
    fmt::format_to(std::back_inserter(hex), "{:02x}", static_cast<unsigned char>(c));
  }
  w.key(std::string(key) + "_hex").value(hex);
}

bool from_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned byte = 0;
    if (std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16).ptr != hex.data() + i + 2) {
      return false;
    }
    out += static_cast<char>(byte);
  }
  return true;
}

std::string identity_json(const journal_identity& id) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("version").value(journal_version);
  put_bytes(w, "base_url", id.base_url);
  w.key("campaign_id").value(id.campaign_id);
  put_bytes(w, "input_path", id.input_path);
  w.key("input_size").value(id.input_size);
  put_bytes(w, "input_xxh3", id.input_xxh3);
  put_bytes(w, "outcomes_path", id.outcomes_path);
  put_bytes(w, "rejects_path", id.rejects_path);
  put_bytes(w, "settings", id.settings);
  w.end_object();
  return out;
}

// Splits "a b c" on single spaces.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const std::size_t sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

bool to_u64(std::string_view s, std::uint64_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_checkpoint(const std::vector<std::string_view>& w, std::size_t at,
                      journal_checkpoint& cp) {
  return w.size() >= at + 3 && to_u64(w[at], cp.watermark_line) &&
         to_u64(w[at + 1], cp.outcomes_bytes) && to_u64(w[at + 2], cp.rejects_bytes);
}

bool parse_identity(std::string_view json, journal_identity& id, std::string& why) {
  simdjson::dom::parser p;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (p.parse(padded).get(doc) != simdjson::SUCCESS) {
    why = "identity record is not JSON";
    return false;
  }
  int64_t version = 0;
  if (doc["version"].get(version) != simdjson::SUCCESS || version != journal_version) {
    why = fmt::format("journal version {} is not supported (this leadpipe writes {})", version,
                      journal_version);
    return false;
  }
  std::string_view sv;
  const auto str = [&](const char* k, std::string& out) {
    if (doc[k].get(sv) == simdjson::SUCCESS) {
      out = std::string(sv);
      return true;
    }
    return doc[std::string(k) + "_hex"].get(sv) == simdjson::SUCCESS && from_hex(sv, out);
  };
  uint64_t size = 0;
  int64_t campaign = 0;
  if (!str("base_url", id.base_url) || !str("input_path", id.input_path) ||
      !str("input_xxh3", id.input_xxh3) || !str("outcomes_path", id.outcomes_path) ||
      !str("rejects_path", id.rejects_path) || !str("settings", id.settings) ||
      doc["campaign_id"].get(campaign) != simdjson::SUCCESS ||
      doc["input_size"].get(size) != simdjson::SUCCESS) {
    why = "identity record lacks a field";
    return false;
  }
  id.campaign_id = campaign;
  id.input_size = size;
  return true;
}

}  // namespace

void line_set::insert(std::uint64_t line) {
  std::uint64_t& bits = words_[line / 64];
  const std::uint64_t mask = std::uint64_t{1} << (line % 64);
  if ((bits & mask) == 0) {
    bits |= mask;
    ++count_;
  }
}

bool line_set::contains(std::uint64_t line) const {
  const auto it = words_.find(line / 64);
  return it != words_.end() && (it->second >> (line % 64) & 1U) != 0;
}

boost::system::result<journal_state> read_journal(const std::string& path, std::string* message) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (message != nullptr) {
      *message = fmt::format("{}: cannot open journal: {}", path, std::strerror(errno));
    }
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_journal(text, path, message);
}

boost::system::result<journal_state> parse_journal(std::string_view text, std::string_view path,
                                                   std::string* message) {
  const auto fail = [&](std::string why) -> boost::system::result<journal_state> {
    if (message != nullptr) *message = std::move(why);
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  };
  journal_state st;
  std::size_t pos = 0;
  std::uint64_t line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    const bool last = nl == std::string_view::npos || nl + 1 == text.size();
    const std::string_view line(text.data() + pos,
                                (nl == std::string_view::npos ? text.size() : nl) - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    std::uint32_t crc = 0;
    const bool framed = line.size() > 9 && line[8] == ' ' &&
                        std::from_chars(line.data(), line.data() + 8, crc, 16).ptr == line.data() + 8;
    const std::string_view payload = framed ? line.substr(9) : std::string_view{};
    if (nl == std::string_view::npos || !framed || crc_of(payload) != crc) {
      if (last && line_no > 1) {
        st.torn_tail = true;  // a crash during the last append
        break;
      }
      return fail(fmt::format("{}:{}: corrupt journal record", path, line_no));
    }
    if (line_no == 1) {
      std::string why;
      if (payload.substr(0, 2) != "I " || !parse_identity(payload.substr(2), st.identity, why)) {
        return fail(fmt::format("{}:1: not a leadpipe journal{}{}", path, why.empty() ? "" : ": ",
                                why));
      }
      st.durable_bytes = pos;
      continue;
    }
    const auto w = words(payload);
    if (w.empty()) return fail(fmt::format("{}:{}: empty journal record", path, line_no));
    if (w[0] == "K") {
      std::uint64_t batch = 0;
      std::uint64_t n = 0;
      journal_checkpoint cp;
      if (w.size() < 6 || !to_u64(w[1], batch) || !parse_checkpoint(w, 2, cp) ||
          !to_u64(w[5], n) || w.size() != 6 + n) {
        return fail(fmt::format("{}:{}: malformed batch record", path, line_no));
      }
      std::uint64_t prev = 0;
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t delta = 0;
        // The writer sorts the lines, so a sum that wraps can only be corruption.
        if (!to_u64(w[6 + i], delta) || prev + delta < prev) {
          return fail(fmt::format("{}:{}: malformed line number", path, line_no));
        }
        prev += delta;
        st.acked_lines.insert(prev);
      }
      st.last = cp;
      st.finished = false;  // a resumed run's records after an F: the job goes on
      ++st.batches_acked;
      st.max_batch_id = std::max(st.max_batch_id, batch);
    } else if (w[0] == "D") {
      std::uint64_t batch = 0;
      std::uint64_t hi = 0;
      if (w.size() != 3 || !to_u64(w[1], batch) || !to_u64(w[2], hi)) {
        return fail(fmt::format("{}:{}: malformed dispatch record", path, line_no));
      }
      st.max_dispatched_line = std::max(st.max_dispatched_line, hi);
      st.max_batch_id = std::max(st.max_batch_id, batch);
    } else if (w[0] == "F") {
      if (!parse_checkpoint(w, 1, st.last)) {
        return fail(fmt::format("{}:{}: malformed finish record", path, line_no));
      }
      st.finished = true;
    } else {
      return fail(fmt::format("{}:{}: unknown journal record '{}'", path, line_no, w[0]));
    }
    st.durable_bytes = pos;
  }
  if (line_no == 0) return fail(fmt::format("{}: empty journal", path));
  return st;
}

journal_writer journal_writer::create(const std::string& path, const journal_identity& id) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("{}: cannot create journal: {}", path, std::strerror(errno)));
  }
  journal_writer w(path, fd);
  w.append("I " + identity_json(id));
  return w;
}

journal_writer journal_writer::reopen(const std::string& path) {
  // Cut the torn tail the reader ignored, whether it lacks its LF or only its checksum fails:
  // a record appended after a corrupt line would turn that line into corruption mid-file.
  std::string message;
  const auto st = read_journal(path, &message);
  if (!st) throw std::runtime_error(fmt::format("cannot reopen journal: {}", message));
  const std::uint64_t keep = st->durable_bytes;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(keep)) != 0 ||
      ::lseek(fd, 0, SEEK_END) < 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("{}: cannot reopen journal: {}", path, std::strerror(errno)));
  }
  return {path, fd};
}

journal_writer::journal_writer(journal_writer&& o) noexcept
    : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}

journal_writer::~journal_writer() {
  if (fd_ >= 0) ::close(fd_);
}

void journal_writer::append(const std::string& payload, bool sync) {
  const std::string rec = fmt::format("{:08x} {}\n", crc_of(payload), payload);
  std::size_t done = 0;
  while (done < rec.size()) {
    const ssize_t n = ::write(fd_, rec.data() + done, rec.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw std::runtime_error(fmt::format("{}: journal write failed: {}", path_, std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (sync && ::fdatasync(fd_) != 0) {
    throw std::runtime_error(fmt::format("{}: journal sync failed: {}", path_, std::strerror(errno)));
  }
}

void journal_writer::record_batch(std::uint64_t batch_id, std::span<const std::uint64_t> lines,
                                  const journal_checkpoint& cp) {
  std::vector<std::uint64_t> sorted(lines.begin(), lines.end());
  std::sort(sorted.begin(), sorted.end());
  std::string p = fmt::format("K {} {} {} {} {}", batch_id, cp.watermark_line, cp.outcomes_bytes,
                              cp.rejects_bytes, sorted.size());
  std::uint64_t prev = 0;
  for (std::uint64_t l : sorted) {
    p += fmt::format(" {}", l - prev);
    prev = l;
  }
  append(p);
}

void journal_writer::record_dispatch(std::uint64_t batch_id, std::uint64_t max_line) {
  append(fmt::format("D {} {}", batch_id, max_line), false);
}

void journal_writer::record_finished(const journal_checkpoint& cp) {
  append(fmt::format("F {} {} {}", cp.watermark_line, cp.outcomes_bytes, cp.rejects_bytes));
}

std::string journal_path(const std::string& state_dir, std::int64_t campaign_id,
                         const std::string& input_xxh3) {
  return fmt::format("{}/import-{}-{}.journal", state_dir, campaign_id,
                     input_xxh3.substr(0, std::min<std::size_t>(16, input_xxh3.size())));
}

}  // namespace leadpipe
