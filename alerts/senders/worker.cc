#include "alerts/senders/worker.h"

#include <boost/asio/post.hpp>
#include <exception>

namespace tandem::alerts {

DeliveryWorker::DeliveryWorker(boost::asio::io_context& io)
    : io_(io), thread_([this] { loop(); }) {}

DeliveryWorker::~DeliveryWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

void DeliveryWorker::submit(Work work, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(work), std::move(done));
  }
  cv_.notify_one();
}

void DeliveryWorker::loop() {
  for (;;) {
    std::pair<Work, Done> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    SendResult r;
    try {
      r = item.first();
    } catch (const std::exception& e) {
      r = {false, std::string("sender failed: ") + e.what()};
    }
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stop_;
    }
    if (stopping) return;
    boost::asio::post(
        io_, [done = std::move(item.second), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

}  // namespace tandem::alerts
