#include "vrrpd/core/instance.h"
