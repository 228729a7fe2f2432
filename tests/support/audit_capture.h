#pragma once
// An AuditLog whose lines a test reads back instead of stderr.
//
//   testing::AuditCapture audit;                    // threshold debug: every event
//   CsrfGuard guard(url, metrics, audit.log());
//   EXPECT_EQ(audit.lines().size(), 1u);
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/audit_log.h"

namespace cloakroom::testing {

class MemoryAuditSink final : public AuditSink {
 public:
  void write(std::string_view line) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

class AuditCapture {
 public:
  explicit AuditCapture(LogLevel threshold = LogLevel::debug) {
    auto sink = std::make_unique<MemoryAuditSink>();
    sink_ = sink.get();
    log_ = std::make_unique<AuditLog>(std::move(sink), threshold);
  }
  const AuditLog& log() const { return *log_; }
  std::vector<std::string> lines() const { return sink_->lines(); }

 private:
  MemoryAuditSink* sink_;  // owned by log_
  std::unique_ptr<AuditLog> log_;
};

}  // namespace cloakroom::testing
