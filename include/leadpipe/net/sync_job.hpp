#pragma once
// `leadpipe sync` and the import's cache step: fetches the sets the server consults on import
// (block list with client scoping, campaign members, unsubscribed leads, other campaigns'
// members) page by page through an api_session, and keeps them in the per-campaign cache.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "leadpipe/email.hpp"
#include "leadpipe/net/api_client.hpp"
#include "leadpipe/progress.hpp"
#include "leadpipe/report.hpp"
#include "leadpipe/sync_cache.hpp"

namespace leadpipe::net {

/// Which groups of sets a job needs (an import's settings decide it).
struct sync_needs {
  bool block_list = true;       ///< blocked_emails + blocked_domains
  bool members = true;          ///< existing
  bool unsubscribed = true;
  bool other_campaigns = true;  ///< only with cross-campaign skipping
};

/// How the cache is used.
struct cache_policy {
  std::string dir;                          ///< empty: default_cache_dir()
  std::chrono::seconds max_age{3600};       ///< older needed sets are fetched again
  bool no_sync = false;                     ///< use the cache as it is (no request at all)
  bool refresh = false;                     ///< fetch every needed set, whatever its age
  progress_mode progress = progress_mode::automatic;
};

/// What one fetch of a set group did.
struct fetch_stats {
  std::string group;                ///< "block_list", "members", "unsubscribed", "other_campaigns"
  std::uint64_t requests = 0;       ///< pages fetched
  std::uint64_t server_entries = 0; ///< entries the server listed
  std::uint64_t kept = 0;           ///< distinct keys stored
  std::uint64_t out_of_scope = 0;   ///< block entries of another client
  std::uint64_t unusable = 0;       ///< entries that are not valid addresses or domains
};

/// Everything a cache step did, for the report and the command's summary.
struct cache_outcome {
  std::string path;
  std::string loaded;                 ///< "fresh", "missing", or why a file was rebuilt
  std::vector<fetch_stats> fetched;   ///< groups fetched now
  bool written = false;
  /// With no_sync (a dry run): the groups a real run would fetch (stale or missing), and the
  /// requests that takes, estimated from the sizes the server listed last time: pages of 100
  /// members, 1,000 block-list entries, the campaign and the campaign list. `estimate_floor`:
  /// some group was never fetched, so its size is unknown and the estimate is a lower bound.
  std::vector<std::string> would_fetch;
  std::uint64_t estimated_requests = 0;
  bool estimate_floor = false;
  /// The members were counted from a cached set: a real run may need just the one request that
  /// counts them (when the campaign holds as many as the cache), so the estimate is the most.
  bool estimate_ceiling = false;
};

/// The campaign's cache as the needs and policy want it: read from disk (a damaged or foreign
/// file is rebuilt, with a warning in `rep`), stale or missing needed groups fetched (unless
/// no_sync), written back when anything was fetched. Also always fetches the campaign itself
/// first when any group is fetched (its client id scopes the block list). Throws api_error when
/// the API fails, output_error when the cache cannot be written.
[[nodiscard]] sync_cache prepare_cache(api_session& api, const email_validator& validator,
                                       std::int64_t campaign_id, const sync_needs& needs,
                                       const cache_policy& policy, report& rep,
                                       cache_outcome& out);

/// Adds the cache's sets to `rep.sets` (name, source "cache", entries, age), one entry per
/// set the job uses. Set names match the list files': existing, block_list, unsubscribed,
/// other_campaigns.
void describe_cache(const sync_cache& cache, const sync_needs& needs, const cache_outcome& out,
                    report& rep);

/// The JSON section "sync" of the report: path, how it was loaded, and per fetched group the
/// requests, entries and keys.
[[nodiscard]] std::string sync_section_json(const cache_outcome& out);

}  // namespace leadpipe::net
