/*
 * site.c: an example pmc plugin with two site rules, in C.
 *
 *   site.vcpus-fit     the destination host has at least as many CPUs as the
 *                      guest has vCPUs (asks libvirt: a BLOCKING check)
 *   site.maintenance   the destination is not listed in $PMC_SITE_MAINTENANCE
 *                      (comma-separated hostnames; reads the run's shared
 *                      dstHostname fact, no libvirt call of its own)
 *
 * Build: cmake -S . -B build && cmake --build build   (gives build/libsite.so)
 * Use:   pmc check --plugin ./build/libsite.so guest qemu+ssh://dst/system
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include <libvirt-pmc/pmc-plugin.h>

/* pmc's functions, handed over at init (the plugin cannot link to them). */
static const virPMCPluginHost *host;

static int
siteVcpusFit(virDomainPtr domain, virConnectPtr dconn, void *opaque, virPMCResultPtr result)
{
    virDomainInfo info;
    virNodeInfo node;
    char message[256];

    (void)opaque;
    if (virDomainGetInfo(domain, &info) < 0 || virNodeGetInfo(dconn, &node) < 0) {
        virErrorPtr err = virGetLastError();
        host->resultSet(result, VIR_PMC_STATUS_ERROR, err && err->message ? err->message : "libvirt failed", NULL);
        return VIR_PMC_RUN_DONE;
    }
    snprintf(message, sizeof(message), "the guest has %u vCPUs, the destination %u CPUs", (unsigned)info.nrVirtCpu,
             node.cpus);
    host->resultSet(result, info.nrVirtCpu <= node.cpus ? CHECK_SUCCESS : CHECK_FAIL, message, NULL);
    return VIR_PMC_RUN_DONE;
}

static int
siteMaintenance(virDomainPtr domain, virConnectPtr dconn, void *opaque, virPMCResultPtr result)
{
    const char *dst = host->fact("dstHostname");
    const char *list = getenv("PMC_SITE_MAINTENANCE");
    char message[512];
    size_t len;
    const char *p;

    (void)domain;
    (void)dconn;
    (void)opaque;
    if (!dst) {
        host->resultSet(result, VIR_PMC_STATUS_ERROR, "the destination's hostname is unknown", NULL);
        return VIR_PMC_RUN_DONE;
    }
    len = strlen(dst);
    for (p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, dst, len) == 0 && (p[len] == ',' || p[len] == '\0')) {
            snprintf(message, sizeof(message), "%s is in maintenance (PMC_SITE_MAINTENANCE)", dst);
            host->resultSet(result, CHECK_FAIL, message, NULL);
            return VIR_PMC_RUN_DONE;
        }
    }
    snprintf(message, sizeof(message), "%s is not in maintenance", dst);
    host->resultSet(result, CHECK_SUCCESS, message, NULL);
    return VIR_PMC_RUN_DONE;
}

/* The RFC's check hooks and static list. */
static virPMCCheck chk1 = {
    .name = "vcpus-fit",
    .description = "The destination host has at least as many CPUs as the guest has vCPUs",
    .severity = VIR_PMC_SEVERITY_CRITICAL,
    .run = siteVcpusFit,
    .flags = VIR_PMC_CHECK_BLOCKING, /* calls libvirt: give it a worker thread */
};
static virPMCCheck chk2 = {
    .name = "maintenance",
    .description = "The destination is not a host in maintenance ($PMC_SITE_MAINTENANCE)",
    .severity = VIR_PMC_SEVERITY_CRITICAL,
    .run = siteMaintenance,
};
static virPMCCheckPtr checks[] = { &chk1, &chk2, NULL };
static virPMCCheckList chklist = { .count = 2, .check = checks };

/* Only what this plugin reads through host->fact is fetched for a run. */
static const char *const facts[] = { "dstHostname", NULL };

int
virPMCPluginInit(unsigned int abiVersion, virPMCPluginInfo *info)
{
    if (abiVersion != VIR_PMC_PLUGIN_ABI_VERSION)
        return -1;
    host = info->host;
    info->abiVersion = VIR_PMC_PLUGIN_ABI_VERSION;
    info->name = "site";
    info->version = "1.0";
    info->description = "Example site rules";
    info->checks = &chklist;
    info->facts = facts;
    return 0;
}
