/*
 * The baseline of the plugin bench: dlopen the fixture plugin and call its
 * no-op check function directly, N times. Prints ns per call.
 * Built and run by bench/external-checks.bench.mjs.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pmc-plugin.h"

static void
noopSet(virPMCResultPtr r, int s, const char *m, const char *d)
{
    (void)r;
    (void)s;
    (void)m;
    (void)d;
}
static const char *
noFact(const char *name)
{
    (void)name;
    return NULL;
}

int
main(int argc, char **argv)
{
    virPMCPluginHost host = { VIR_PMC_PLUGIN_ABI_VERSION, noopSet, noopSet, noFact };
    virPMCPluginInfo info = { .host = &host };
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    long n = argc > 2 ? atol(argv[2]) : 10000000;
    struct timespec a, b;
    virPMCPluginInitFunc init;
    virPMCCheckRun fn;

    if (!lib || !(init = (virPMCPluginInitFunc)dlsym(lib, "virPMCPluginInit")) ||
        !(fn = (virPMCCheckRun)dlsym(lib, "fixtureNoop")) || init(VIR_PMC_PLUGIN_ABI_VERSION, &info) != 0) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++)
        fn(NULL, NULL, NULL, (virPMCResultPtr)&info); /* any non-NULL pointer: noopSet ignores it */
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return 0;
}
