/*
 * pmc-example.c: a checked migration from C, with libvirt-pmc alone
 * (docs/c-library.md). One check list holds a C check of our own, the checks
 * of a plugin (examples/plugins/site.c) and those of an XML check file
 * (checks.xml here); the list is run, then, unless --check-only, the guest
 * is migrated live if the verdict allows.
 *
 *   pmc-example [--check-only] [--migrate-uri URI] PLUGIN CHECK-FILE DOMAIN SRC-URI DST-URI
 *
 * Prints one line per check, then "verdict: …" and, for a migration,
 * "migration: …". Exit status: 0 allowed (and migrated, unless
 * --check-only), 2 blocked, 1 anything else (a reason on stderr).
 */
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <libvirt-pmc/pmc-external.h>

/* The C check: the guest runs (an offline guest is not migrated live). */
static int
guestRunning(virDomainPtr domain, virConnectPtr dconn, void *opaque, virPMCResultPtr result)
{
    int active = virDomainIsActive(domain);

    (void)dconn;
    (void)opaque;
    if (active < 0) {
        virErrorPtr err = virGetLastError();
        virPMCResultSet(result, VIR_PMC_STATUS_ERROR, err && err->message ? err->message : "libvirt failed", NULL);
    } else {
        virPMCResultSet(result, active ? CHECK_SUCCESS : CHECK_FAIL,
                        active ? "the guest is running" : "the guest is not running", NULL);
    }
    return VIR_PMC_RUN_DONE;
}

static virPMCCheck guestRunningCheck = {
    .name = "example.guest-running",
    .description = "The guest is running",
    .severity = VIR_PMC_SEVERITY_CRITICAL,
    .run = guestRunning,
    .flags = VIR_PMC_CHECK_BLOCKING, /* calls libvirt: on a worker thread */
};

static int
pmcFailed(const char *what)
{
    const virPMCError *err = virPMCGetLastError();

    fprintf(stderr, "pmc-example: %s: %s\n", what, err ? err->message : "no reason given");
    return 1;
}

static int
libvirtFailed(const char *what)
{
    virErrorPtr err = virGetLastError();

    fprintf(stderr, "pmc-example: %s: %s\n", what, err && err->message ? err->message : "no reason given");
    return 1;
}

static void
printReport(const virPMCReport *report)
{
    size_t i;

    for (i = 0; i < report->count; i++) {
        const virPMCOutcome *o = &report->outcomes[i];
        printf("%-7s %-8s %-28s %-12s %s\n", virPMCStatusName(o->status), virPMCSeverityName(o->severity), o->name,
               o->origin, o->message ? o->message : "");
    }
    printf("verdict: %s\n", virPMCVerdictName(report->verdict));
}

int
main(int argc, char **argv)
{
    int checkOnly = 0;
    const char *migrateUri = NULL;
    const char *plugin, *checkFile, *name, *srcUri, *dstUri;
    virConnectPtr src = NULL, dst = NULL;
    virDomainPtr dom = NULL;
    virPMCCheckListPtr list = NULL;
    virPMCReport report = { 0 };
    virPMCRunOptions opts = { 0 };
    virTypedParameterPtr params = NULL;
    int nparams = 0, maxparams = 0;
    int argi = 1, ret = 1;

    for (; argi < argc && strncmp(argv[argi], "--", 2) == 0; argi++) {
        if (strcmp(argv[argi], "--check-only") == 0) {
            checkOnly = 1;
        } else if (strcmp(argv[argi], "--migrate-uri") == 0 && argi + 1 < argc) {
            migrateUri = argv[++argi];
        } else {
            break;
        }
    }
    if (argc - argi != 5) {
        fprintf(stderr, "usage: %s [--check-only] [--migrate-uri URI] PLUGIN CHECK-FILE DOMAIN SRC-URI DST-URI\n",
                argv[0]);
        return 1;
    }
    plugin = argv[argi];
    checkFile = argv[argi + 1];
    name = argv[argi + 2];
    srcUri = argv[argi + 3];
    dstUri = argv[argi + 4];

    if (!(src = virConnectOpen(srcUri))) {
        ret = libvirtFailed(srcUri);
        goto cleanup;
    }
    if (!(dst = virConnectOpen(dstUri))) {
        ret = libvirtFailed(dstUri);
        goto cleanup;
    }
    if (!(dom = virDomainLookupByName(src, name))) {
        ret = libvirtFailed(name);
        goto cleanup;
    }

    /* The list: our C check, the plugin's checks, the check file's. */
    if (!(list = virPMCCheckListNew())) {
        ret = pmcFailed("virPMCCheckListNew");
        goto cleanup;
    }
    if (virPMCCheckListAdd(list, &guestRunningCheck) < 0) {
        ret = pmcFailed("virPMCCheckListAdd");
        goto cleanup;
    }
    if (virPMCCheckListAddPlugin(list, plugin, 0) < 0) {
        ret = pmcFailed("virPMCCheckListAddPlugin");
        goto cleanup;
    }
    if (virPMCCheckListAddCheckFile(list, checkFile, 0) < 0) {
        ret = pmcFailed("virPMCCheckListAddCheckFile");
        goto cleanup;
    }

    opts.timeoutMs = 10000;
    if (checkOnly) {
        if (virPMCRunChecks(dom, dst, list, &opts, &report) < 0) {
            ret = pmcFailed("virPMCRunChecks");
            goto cleanup;
        }
        printReport(&report);
        ret = report.verdict == VIR_PMC_VERDICT_BLOCKED ? 2 : 0;
        goto cleanup;
    }

    if (migrateUri && virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI, migrateUri) < 0) {
        ret = libvirtFailed("virTypedParamsAddString");
        goto cleanup;
    }
    if (virDomainMigratePMC(dom, dst, list, &opts, params, nparams, VIR_MIGRATE_LIVE, &report) < 0) {
        if (report.count == 0) {
            ret = pmcFailed("virDomainMigratePMC");
            goto cleanup;
        }
    }
    printReport(&report);
    if (report.stateError)
        printf("state: %s\n", report.stateError);
    if (report.migrationAttempted)
        printf("migration: %s%s%s\n", report.migrationSucceeded ? "succeeded" : "failed",
               report.migrationError ? ": " : "", report.migrationError ? report.migrationError : "");
    if (report.verdict == VIR_PMC_VERDICT_BLOCKED)
        ret = 2;
    else
        ret = report.migrationSucceeded ? 0 : 1;

cleanup:
    virPMCReportClear(&report);
    virPMCCheckListFree(list);
    virTypedParamsFree(params, nparams);
    if (dom)
        virDomainFree(dom);
    if (dst)
        virConnectClose(dst);
    if (src)
        virConnectClose(src);
    return ret;
}
