/*
 * pmc-external.h: checks from outside the program, loaded into a
 * virPMCCheckList from C (the 2010 RFC's second and third "possible
 * enhancements"): XML check files (docs/check-files.md) and plugins
 * (pmc-plugin.h). Part of libvirt-pmc (docs/c-library.md); link with
 * `pkg-config --libs libvirt-pmc`.
 *
 * The checks these calls add are BLOCKING C checks owned by the list: they
 * live until virPMCCheckListFree. Before each run of the list
 * (virPMCRunChecks, virDomainMigratePMC), the library fetches the facts the
 * loaded checks read ($domain, $dstCaps, … and a plugin's host->fact), once
 * per run and for that run alone (runs of one list from several threads at
 * once each read their own), on the calling thread, from the run's `domain`
 * and `dconn`: the
 * domain's migratable XML, both hosts' capabilities, the destination's domain
 * capabilities, node info, hostnames and free memory. `$options` is not
 * available to C callers: a check that reads it ends in ERROR, saying so.
 * A fact libvirt cannot give makes the checks that read it end in ERROR.
 *
 * A check of a list freed while one of its runs' workers was abandoned past
 * its timeout finds the list gone and ends in ERROR; it never touches freed
 * memory.
 */
#ifndef LIBVIRT_PMC_EXTERNAL_H
#define LIBVIRT_PMC_EXTERNAL_H

#include "pmc.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Loads the plugin at `path` (absolute; as root, refused when anyone but root
 * could have changed it) and adds its checks, named "<plugin>.<check>", with
 * origin "plugin:<plugin>". The same file loaded twice is one plugin, never
 * unloaded. `list` comes from virPMCCheckListNew; `flags` must be 0.
 * Returns the number of checks added, or -1 with virPMCGetLastError() saying
 * why: VIR_PMC_ERR_PLUGIN (no such file, not a plugin, wrong ABI, invalid
 * checks, unsafe), VIR_PMC_ERR_DUPLICATE_CHECK (a name the list has already:
 * then nothing is added), VIR_PMC_ERR_INVALID_ARG, VIR_PMC_ERR_NO_MEMORY.
 */
int virPMCCheckListAddPlugin(virPMCCheckListPtr list, const char *path, unsigned int flags);

/*
 * Loads the XML check file at `path` (at most 1 MiB; parsed without network,
 * DTDs or entities, validated against the check-file schema built into the
 * library, every XPath compiled and tried once) and adds its checks, with
 * origin "xml". `list` comes from virPMCCheckListNew; `flags` must be 0.
 * Returns the number of checks added, or -1 with virPMCGetLastError() saying
 * why: VIR_PMC_ERR_CHECK_FILE (the message starts with the file, and
 * line:column when known), VIR_PMC_ERR_DUPLICATE_CHECK (then nothing is
 * added), VIR_PMC_ERR_INVALID_ARG, VIR_PMC_ERR_NO_MEMORY.
 */
int virPMCCheckListAddCheckFile(virPMCCheckListPtr list, const char *path, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIRT_PMC_EXTERNAL_H */
