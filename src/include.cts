// libvirt-pmc/include: where the C headers are, for a plugin's or a C tool's
// build, as node-addon-api exposes its own:
//   cc -I"$(node -p "require('libvirt-pmc/include').include_dir")" …
import path = require('node:path');

/** The directory holding `pmc.h` and `pmc-plugin.h` (the package's `native/pmc`); node-addon-api's name. */
export const include_dir: string = path.join(__dirname, '..', 'native', 'pmc');
