#pragma once
// The one bounded queue between the CPU side (a plain thread that packs batches) and the network
// side (sender coroutines on one io_context): back-pressure, not unbounded buffering.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "leadpipe/batch.hpp"

namespace leadpipe::net {

/// Producer methods (push, close) are called from the CPU thread; consumer methods (pop, shut)
/// only from the io_context's thread. Thread-safe in that sense.
class batch_queue {
 public:
  batch_queue(std::size_t capacity, const boost::asio::any_io_executor& ex)
      : capacity_(capacity == 0 ? 1 : capacity), ex_(ex), signal_(ex) {
    // Set once: waiters are woken by cancel(), which keeps the expiry, so several coroutines can
    // wait on the same timer without cancelling each other.
    signal_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  /// Blocks while the queue is full. Returns false (and keeps `b` untouched) when the network
  /// side has shut the queue: the caller then settles the batch itself.
  bool push(batch& b) {
    {
      std::unique_lock lock(mutex_);
      space_.wait(lock, [&] { return shut_ || items_.size() < capacity_; });
      if (shut_) return false;
      items_.push_back(std::move(b));
    }
    wake();
    return true;
  }

  /// No more batches will come.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    wake();
  }

  /// The next batch, or nullopt once the queue is closed and empty or shut.
  boost::asio::awaitable<std::optional<batch>> pop() {
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (!shut_ && !items_.empty()) {
          batch b = std::move(items_.front());
          items_.pop_front();
          space_.notify_one();
          co_return b;
        }
        if (closed_ || shut_) co_return std::nullopt;
      }
      // The producer's wake() is posted to this thread, so it cannot run between the check
      // above and this wait: no wake-up is lost.
      (void)co_await signal_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }

  /// Refuses further batches and returns those still queued (the job is stopping).
  std::vector<batch> shut() {
    std::vector<batch> left;
    {
      std::lock_guard lock(mutex_);
      shut_ = true;
      for (auto& b : items_) left.push_back(std::move(b));
      items_.clear();
    }
    space_.notify_all();
    signal_.cancel();
    return left;
  }

 private:
  void wake() {
    boost::asio::post(ex_, [this] { signal_.cancel(); });
  }

  std::mutex mutex_;
  std::condition_variable space_;
  std::deque<batch> items_;
  std::size_t capacity_;
  bool closed_ = false;
  bool shut_ = false;
  boost::asio::any_io_executor ex_;
  boost::asio::steady_timer signal_;
};

}  // namespace leadpipe::net
