#pragma once
// Network namespaces for the adapter's integration tests: made by the test,
// removed by the test even when an assertion fails (destructors), and
// removed again before a run in case a crashed run left them behind.

#include <string>
#include <vector>

namespace tandem::director::io::testing {

// Runs a command line through /bin/sh; returns its exit status.
int sh(const std::string& command);

class Netns {
 public:
  explicit Netns(std::string name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  bool ok() const { return ok_; }
  // Runs `command` inside the namespace.
  int exec(const std::string& command) const;

 private:
  std::string name_;
  bool ok_ = false;
};

// Moves the calling thread into a namespace for its lifetime; sockets made
// meanwhile stay in that namespace after it ends.
class InNetns {
 public:
  explicit InNetns(const Netns& ns);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int home_ = -1;
  bool ok_ = false;
};

// A veth pair with one end in each namespace, both up.
bool make_veth(const Netns& a, const std::string& a_name, const Netns& b,
               const std::string& b_name);

std::vector<unsigned char> link_mac(const Netns& ns, const std::string& dev);

}  // namespace tandem::director::io::testing
