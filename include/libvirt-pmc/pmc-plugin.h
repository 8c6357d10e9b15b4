/*
 * libvirt-pmc/pmc-plugin.h in the npm package: the package's include directory
 * (require('libvirt-pmc/include').include_dir) holds libvirt-pmc/, so that
 * `#include <libvirt-pmc/pmc-plugin.h>` reads the same everywhere, as with the
 * installed C library (pkg-config --cflags libvirt-pmc). The header itself is
 * native/pmc/pmc-plugin.h.
 */
#include "../../native/pmc/pmc-plugin.h"
