#pragma once
// Simulator fixtures from leadpipe-gen's companion lists: one campaign whose members are the
// --existing addresses, plus the block list and the unsubscribed addresses, in the JSON format
// that sim/fixture.cpp loads (campaigns, leads, memberships, block_list, unsubscribed).

#include <cstdint>
#include <string>

#include "leadgen_output.hpp"

namespace leadpipe::leadgen {

/// The list files a fixture is built from (empty path = that list was not generated).
struct fixture_sources {
  std::string existing;
  std::string block;
  std::string unsubscribed;
};

/// Writes the fixture to `path`: campaign `campaign_id` (status ACTIVE, named after `seed`), a
/// lead and a membership per line of `sources.existing`, a block entry per line of
/// `sources.block` (addresses and domains alike), an unsubscribe per line of
/// `sources.unsubscribed`. Reads the lists line by line, so memory does not grow with them.
/// Fails with a message naming the file that could not be read or written. Thread-safe for
/// distinct paths.
[[nodiscard]] gen_result<> write_sim_fixture(const std::string& path, std::int64_t campaign_id,
                                             std::uint64_t seed, const fixture_sources& sources);

}  // namespace leadpipe::leadgen
