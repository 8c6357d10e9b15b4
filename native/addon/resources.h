// Networks, storage pools and volumes, and secrets are read whole in one
// off-thread call and handed to JS as plain descriptions: checks only read them.
#pragma once

#include <libvirt/libvirt.h>

#include "data.h"

namespace pmc {

bool DescribeNetwork(virNetworkPtr net, Data& out);
bool DescribePool(virStoragePoolPtr pool, Data& out);
bool DescribeVolume(virStorageVolPtr vol, Data& out);
bool DescribeSecret(virSecretPtr secret, Data& out);

}  // namespace pmc
