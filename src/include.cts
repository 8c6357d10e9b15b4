// libvirt-pmc/include: where the C headers are, for a plugin's or a C tool's
// build, as node-addon-api exposes its own:
//   cc -I"$(node -p "require('libvirt-pmc/include').include_dir")" …
// and then `#include <libvirt-pmc/pmc-plugin.h>`, as with the installed C
// library's `pkg-config --cflags libvirt-pmc`.
import path = require('node:path');

/** The directory holding `libvirt-pmc/pmc.h` and `libvirt-pmc/pmc-plugin.h` (the package's `include`); node-addon-api's name. */
export const include_dir: string = path.join(__dirname, '..', 'include');
