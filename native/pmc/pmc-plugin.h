/*
 * pmc-plugin.h: the ABI of a pre-migration-check plugin, a shared library of
 * C checks (the 2010 RFC's third "possible enhancement").
 *
 * A plugin exports one function, virPMCPluginInit. pmc loads the library with
 * dlopen(RTLD_NOW | RTLD_LOCAL), only from a path the user names (never
 * searched for), calls virPMCPluginInit(VIR_PMC_PLUGIN_ABI_VERSION, &info)
 * once, and keeps the library loaded for the life of the process.
 *
 * The plugin fills `info` and returns 0, or returns -1 when it cannot speak
 * the ABI version it was asked for. Its checks are named `<plugin>.<name>`
 * in reports, run in C on the runner's threads (give VIR_PMC_CHECK_BLOCKING
 * to a check that calls libvirt), and obey severity, skip, timeout and strict
 * like every other check.
 *
 * The plugin is loaded with RTLD_LOCAL into a process whose pmc symbols are
 * hidden: it cannot link to virPMCResultSet & co. It calls them through
 * `info->host`, which stays valid for the life of the process.
 */
#ifndef LIBVIRT_PMC_PLUGIN_H
#define LIBVIRT_PMC_PLUGIN_H

#include "pmc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any change to the structs below or to the meaning of a field. */
#define VIR_PMC_PLUGIN_ABI_VERSION 1

#define VIR_PMC_PLUGIN_INIT_SYMBOL "virPMCPluginInit"

/* What pmc offers a plugin. */
typedef struct _virPMCPluginHost virPMCPluginHost;
struct _virPMCPluginHost {
    unsigned int abiVersion; /* VIR_PMC_PLUGIN_ABI_VERSION of the host */
    /* pmc.h's virPMCResultSet and virPMCResultComplete. */
    void (*resultSet)(virPMCResultPtr result, int status, const char *message, const char *details);
    void (*resultComplete)(virPMCResultPtr result, int status, const char *message, const char *details);
    /*
     * A fact of the current run, fetched once per run and shared with every
     * other check: "domain" (migratable domain XML), "srcCaps", "dstCaps",
     * "dstDomCaps", "srcNode", "dstNode", "options" (XML text),
     * "srcHostname", "dstHostname" (text), "srcFreeMemory", "dstFreeMemory"
     * (KiB, decimal text). Only facts the plugin listed in info->facts are
     * fetched. Callable from inside run only, on the thread pmc called run
     * on; the text stays valid until run returns. NULL when the fact is not
     * available (libvirt could not give it, or it was not listed).
     */
    const char *(*fact)(const char *name);
};

typedef struct _virPMCPluginInfo virPMCPluginInfo;
struct _virPMCPluginInfo {
    /* Set by pmc before the call. */
    const virPMCPluginHost *host;

    /* Set by the plugin. */
    unsigned int abiVersion;   /* VIR_PMC_PLUGIN_ABI_VERSION as the plugin was built */
    const char *name;          /* [a-z0-9][a-z0-9_-]*: the checks' namespace, "plugin:<name>" origin */
    const char *version;       /* free text, may be NULL */
    const char *description;   /* one line, may be NULL */
    virPMCCheckListPtr checks; /* the RFC's static list; names without the namespace */
    const char *const *facts;  /* NULL-terminated names for host->fact, or NULL */
};

/*
 * Everything the plugin hands over (strings, checks, list) must live as long
 * as the process: pmc never unloads a plugin, since a check that timed out
 * may still be running. Return 0, or -1 to refuse `abiVersion`.
 */
typedef int (*virPMCPluginInitFunc)(unsigned int abiVersion, virPMCPluginInfo *info);

__attribute__((visibility("default"))) int virPMCPluginInit(unsigned int abiVersion, virPMCPluginInfo *info);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIRT_PMC_PLUGIN_H */
