#pragma once
// Everything vrrpd asks of the operating system besides receiving adverts:
// link facts, the macvlan (virtual MAC) device and its addresses, sending IP
// packets and Ethernet frames, running notify scripts. The engine only talks
// to this interface, so its logic runs against a fake in tests; LinuxHost is
// the real one. Calls never throw: failures come back as a reason string
// ("" = done) so the engine can count and log them and carry on.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/net/address.h"

namespace tandem::vrrp {

struct LinkInfo {
  int ifindex = 0;
  bool up = false;  // administratively up and carrier present
  std::optional<net::Ipv4> primary;  // the first IPv4 address
  net::Mac mac;
};

class Host {
 public:
  virtual ~Host() = default;
  virtual std::optional<LinkInfo> link(const std::string& device) = 0;
  // (Re)creates a macvlan `name` on `base` with `mac`, left down and without
  // addresses; a leftover of a killed run is replaced.
  virtual std::string create_vmac(const std::string& base, const std::string& name,
                                  const net::Mac& mac) = 0;
  virtual std::string delete_link(const std::string& device) = 0;
  virtual std::string set_up(const std::string& device, bool up) = 0;
  virtual std::string set_address(const std::string& device, const net::Ipv4Prefix& address,
                                  bool add) = 0;
  // ARP behaviour for VIPs on a vmac: answer only for addresses on the
  // receiving device, announce with the device's own address.
  virtual std::string tune_arp(const std::string& device) = 0;
  // A complete IPv4 packet (header included) out of `ifindex`.
  virtual std::string send_ip(int ifindex, net::Ipv4 dst, std::span<const std::uint8_t> packet) = 0;
  // A complete Ethernet frame out of `ifindex`.
  virtual std::string send_frame(int ifindex, std::span<const std::uint8_t> frame) = 0;
  // Starts a program without a shell and without waiting for it.
  virtual void spawn(const std::vector<std::string>& argv) = 0;
  // Collects finished spawned programs; called now and then.
  virtual void reap() {}
};

class LinuxHost final : public Host {
 public:
  LinuxHost();
  ~LinuxHost() override;
  LinuxHost(const LinuxHost&) = delete;
  LinuxHost& operator=(const LinuxHost&) = delete;

  std::optional<LinkInfo> link(const std::string& device) override;
  std::string create_vmac(const std::string& base, const std::string& name,
                          const net::Mac& mac) override;
  std::string delete_link(const std::string& device) override;
  std::string set_up(const std::string& device, bool up) override;
  std::string set_address(const std::string& device, const net::Ipv4Prefix& address,
                          bool add) override;
  std::string tune_arp(const std::string& device) override;
  std::string send_ip(int ifindex, net::Ipv4 dst, std::span<const std::uint8_t> packet) override;
  std::string send_frame(int ifindex, std::span<const std::uint8_t> frame) override;
  void spawn(const std::vector<std::string>& argv) override;

  void reap() override;

 private:
  int ioctl_fd_ = -1;
  int ip_fd_ = -1;      // raw IPPROTO_RAW: we write the IPv4 header
  int packet_fd_ = -1;  // AF_PACKET for gratuitous ARP
  std::vector<int> children_;
};

// Runs argv (argv[0] looked up in PATH), waits, returns "" on exit 0 or the
// reason with the program's stderr. No shell is involved.
std::string run_program(const std::vector<std::string>& argv);

}  // namespace tandem::vrrp
