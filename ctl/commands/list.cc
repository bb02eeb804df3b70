// `tandemctl list [OPTIONS]`: the virtual service table exactly as
// `ipvsadm -L -n [OPTIONS]` prints it (-c, --stats, --rate, --thresholds,
// --persistent-conn, --exact, --nosort, -t/-u VIP:PORT), or --json.

#include "ctl/commands.h"
#include "ctl/commands/ipvsadm.h"

namespace tandem::ctl {

namespace {

int run(const Globals& g, std::span<const std::string> args) {
  std::vector<std::string> words = {"-L"};
  words.insert(words.end(), args.begin(), args.end());
  return ipvsadm_words(g, words);
}

}  // namespace

Command list_command() {
  return {"list", "[-c] [--stats|--rate|...] [-t|-u VIP:PORT]",
          "virtual services and real servers as ipvsadm -L -n prints them", run};
}

}  // namespace tandem::ctl
