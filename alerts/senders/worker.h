#pragma once
// One thread that runs blocking deliveries in order. A worker thread rather
// than curl's multi interface: the transfers stay plain sequential code, the
// event loop only ever sees completions posted back to it, and alert volume
// is tiny. The cost: one slow server delays the jobs queued behind it (each
// bounded by its sender's timeout).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "alerts/senders/curl_send.h"

namespace tandem::alerts {

class DeliveryWorker {
 public:
  using Work = std::function<SendResult()>;
  using Done = std::function<void(SendResult)>;

  explicit DeliveryWorker(boost::asio::io_context& io);
  // Waits for the transfer in progress (bounded by its timeout); queued work
  // is dropped, which is safe because every job is still in the spool.
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  // `done` runs on the io_context's thread.
  void submit(Work work, Done done);
  // Set once destruction begins; work passes it to the senders so a
  // transfer in progress ends now instead of at its timeout.
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }

 private:
  void loop();

  boost::asio::io_context& io_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Work, Done>> queue_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace tandem::alerts
