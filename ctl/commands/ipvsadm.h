#pragma once
// Shared by `tandemctl ipvsadm`, `tandemctl list` and main.cc's dispatch of
// a leading ipvsadm option (`tandemctl -Ln`).

#include <string>
#include <vector>

#include "ctl/cli.h"

namespace tandem::ctl {

// Runs one ipvsadm command line (the words after `ipvsadm`); exit code.
int ipvsadm_words(const Globals& g, const std::vector<std::string>& words);

}  // namespace tandem::ctl
