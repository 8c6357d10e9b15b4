/*
 * check_list_threads.c: one check list of libvirt-pmc (an XML check file,
 * facts fetched by the library) run by two threads at once, each against
 * its own guest of libvirt's test driver. The check passes for one guest and
 * fails for the other, so a run that read the other run's facts gives the
 * wrong verdict (issue 19 item 9). Prints "wrong: N of M"; exit 0 when N is 0.
 *   check_list_threads [ROUNDS]   (default 300 per thread)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "pmc-external.h"
#include "pmc.h"

static const char checkFile[] =
    "<checks>\n"
    "  <check name='guest.is-test' severity='critical'>\n"
    "    <assert test=\"$domain/domain/name = 'test'\">the guest is {$domain/domain/name}</assert>\n"
    "  </check>\n"
    "</checks>\n";

static const char otherXML[] = "<domain type='test'><name>pmc-threads-other</name><memory>8192</memory>"
                               "<os><type>hvm</type></os></domain>";

typedef struct {
    virPMCCheckListPtr list;
    virDomainPtr dom;
    virConnectPtr dconn;
    virPMCVerdict want;
    int rounds;
} runner;

static atomic_int wrong, total, failedCalls;

static void *
runMany(void *opaque)
{
    runner *r = opaque;
    int i;

    for (i = 0; i < r->rounds; i++) {
        virPMCReport report;
        virPMCRunOptions opts = { .timeoutMs = 10000 };

        if (virPMCRunChecks(r->dom, r->dconn, r->list, &opts, &report) < 0) {
            const virPMCError *e = virPMCGetLastError();
            if (atomic_fetch_add(&failedCalls, 1) == 0)
                printf("virPMCRunChecks: %s\n", e && e->message ? e->message : "(no reason)");
            continue;
        }
        atomic_fetch_add(&total, 1);
        if (report.verdict != r->want)
            atomic_fetch_add(&wrong, 1);
        virPMCReportClear(&report);
    }
    return NULL;
}

static void
quietErrors(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

int
main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    char path[] = "/tmp/pmc-check-list-threads.XXXXXX";
    virConnectPtr conn, dconn;
    virDomainPtr test, other;
    virPMCCheckListPtr list;
    runner runners[2];
    pthread_t threads[2];
    int fd, i;

    virSetErrorFunc(NULL, quietErrors);
    conn = virConnectOpen("test:///default");
    dconn = virConnectOpen("test:///default");
    test = conn ? virDomainLookupByName(conn, "test") : NULL;
    other = conn ? virDomainDefineXML(conn, otherXML) : NULL;
    if (!test || !other) {
        printf("cannot set up test:///default\n");
        return 1;
    }
    if ((fd = mkstemp(path)) < 0 || write(fd, checkFile, sizeof(checkFile) - 1) != (ssize_t)(sizeof(checkFile) - 1)) {
        printf("cannot write the check file\n");
        return 1;
    }
    close(fd);
    list = virPMCCheckListNew();
    if (!list || virPMCCheckListAddCheckFile(list, path, 0) != 1) {
        const virPMCError *e = virPMCGetLastError();
        printf("cannot load the check file: %s\n", e && e->message ? e->message : "(no reason)");
        unlink(path);
        return 1;
    }
    unlink(path);

    runners[0] = (runner){ list, test, dconn, VIR_PMC_VERDICT_ALLOWED, rounds };
    runners[1] = (runner){ list, other, dconn, VIR_PMC_VERDICT_BLOCKED, rounds };
    for (i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, runMany, &runners[i]);
    for (i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);

    printf("wrong: %d of %d\n", atomic_load(&wrong), atomic_load(&total));
    virPMCCheckListFree(list);
    virDomainUndefine(other);
    virDomainFree(other);
    virDomainFree(test);
    virConnectClose(dconn);
    virConnectClose(conn);
    return atomic_load(&wrong) == 0 && atomic_load(&failedCalls) == 0 && atomic_load(&total) == 2 * rounds ? 0 : 1;
}
