#pragma once
// When an offset/limit listing is complete. Servers may give fewer items per page than asked
// (an older cap: 100 block-list entries instead of 1000, §9), so a short page ends the walk only
// when no total is given and it is shorter than the server's own full page.

#include <algorithm>
#include <cstdint>
#include <optional>

namespace leadpipe {

class page_walk {
 public:
  /// Records a page of `items` entries and whether the answer gave a total (`total_leads`);
  /// returns true when it was the last page. With a total: once the offset reaches it. Without:
  /// at an empty page, or at a page shorter than the first one (the first page is the server's
  /// full page, whatever was asked; so a list that fits in one page costs one more request, which
  /// answers with nothing). Not thread-safe.
  [[nodiscard]] bool last(std::uint64_t items, std::optional<std::int64_t> total = std::nullopt) {
    offset_ += items;
    if (items == 0) return true;
    if (total) return offset_ >= static_cast<std::uint64_t>(std::max<std::int64_t>(*total, 0));
    if (full_page_ == 0) {
      full_page_ = items;
      return false;
    }
    return items < full_page_;
  }
  /// Entries seen so far: the offset of the next page.
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }

 private:
  std::uint64_t offset_ = 0;
  std::uint64_t full_page_ = 0;
};

}  // namespace leadpipe
