/*
 * pmc-rehearse.c: the rehearsal. libvirt's own v3 migration handshake, in
 * the order and with the cookies, flags and parameters of libvirt's
 * virDomainMigrateVersion3Full (src/libvirt-domain.c), but with Perform left
 * out: Begin, Prepare, then Finish and Confirm with cancelled=1, libvirt's
 * own path after a failed step. docs/rehearsal.md is the user's view.
 */
#include "pmc-internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

/* libvirt exports these under LIBVIRT_PRIVATE_x.y.z (the version changes
 * with every release), so a link-time reference would tie the build to one
 * libvirt: they are looked up when first needed. The signatures are those
 * of libvirt's src/libvirt_internal.h, stable since 1.1.0. */
typedef char *(*beginFn)(virDomainPtr, virTypedParameterPtr, int, char **, int *, unsigned int);
typedef int (*prepareFn)(virConnectPtr, virTypedParameterPtr, int, const char *, int, char **, int *, char **,
                         unsigned int);
typedef virDomainPtr (*finishFn)(virConnectPtr, virTypedParameterPtr, int, const char *, int, char **, int *,
                                 unsigned int, int);
typedef int (*confirmFn)(virDomainPtr, virTypedParameterPtr, int, const char *, int, unsigned int, int);

static struct {
    beginFn begin;
    prepareFn prepare;
    finishFn finish;
    confirmFn confirm;
    const char *missing; /* the first symbol not found, or NULL */
} handshake;
static pthread_once_t handshakeOnce = PTHREAD_ONCE_INIT;

static void *
lookup(const char *name)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    if (!sym && !handshake.missing)
        handshake.missing = name;
    return sym;
}

static void
bindHandshake(void)
{
    /* A function pointer from dlsym's void * (POSIX allows it; ISO C does not say). */
    *(void **)&handshake.begin = lookup("virDomainMigrateBegin3Params");
    *(void **)&handshake.prepare = lookup("virDomainMigratePrepare3Params");
    *(void **)&handshake.finish = lookup("virDomainMigrateFinish3Params");
    *(void **)&handshake.confirm = lookup("virDomainMigrateConfirm3Params");
}

/* ---- libvirt's own XML of the guest, as Begin hands it to Prepare ----
 * The text is libvirt's formatter's (virDomainDefFormat): attributes in
 * single quotes, one element per tag, entities only for & < > ' ". So a
 * plain scan reads it exactly; it never reads anything else. */

/* The end of the start tag that begins at `tag` ('>'), or NULL. */
static const char *
tagEnd(const char *tag)
{
    return strchr(tag, '>');
}

/* The unescaped value of attribute `name` in the start tag [tag, end), or NULL. */
static char *
attrValue(const char *tag, const char *end, const char *name)
{
    size_t n = strlen(name);
    const char *p = tag;
    char *out, *w;

    while ((p = strstr(p, name)) && p < end) {
        if (p[-1] == ' ' && p[n] == '=' && (p[n + 1] == '\'' || p[n + 1] == '"'))
            break;
        p += n;
    }
    if (!p || p >= end)
        return NULL;
    {
        char quote = p[n + 1];
        const char *v = p + n + 2, *ve = strchr(v, quote);
        if (!ve || ve > end || !(out = malloc((size_t)(ve - v) + 1)))
            return NULL;
        for (w = out; v < ve;) {
            static const struct {
                const char *entity;
                char c;
            } entities[] = {
                { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&apos;", '\'' }, { "&quot;", '"' }
            };
            size_t i;
            bool done = false;
            for (i = 0; *v == '&' && i < sizeof(entities) / sizeof(entities[0]); i++) {
                size_t len = strlen(entities[i].entity);
                if (strncmp(v, entities[i].entity, len) == 0) {
                    *w++ = entities[i].c;
                    v += len;
                    done = true;
                    break;
                }
            }
            if (!done)
                *w++ = *v++;
        }
        *w = '\0';
    }
    return out;
}

static bool
attrIs(const char *tag, const char *end, const char *name, const char *value)
{
    char *v = attrValue(tag, end, name);
    bool is = v && strcmp(v, value) == 0;
    free(v);
    return is;
}

/* Why a rehearsal would disturb the hosts, or NULL. */
static char *
disturbance(const char *xml)
{
    const char *p, *mb, *mbEnd;

    for (p = xml; (p = strstr(p, "<hostdev ")); p++) {
        const char *e = tagEnd(p);
        if (e && attrIs(p, e, "type", "pci") && attrIs(p, e, "managed", "yes"))
            return virPMCStrdup("the guest has a managed PCI host device: Prepare would detach the destination's "
                                "device from its host driver");
    }
    for (p = xml; (p = strstr(p, "<interface ")); p++) {
        const char *e = tagEnd(p);
        if (e && attrIs(p, e, "type", "hostdev") && attrIs(p, e, "managed", "yes"))
            return virPMCStrdup("the guest has a managed hostdev interface: Prepare would detach the destination's "
                                "device from its host driver");
    }
    if ((mb = strstr(xml, "<memoryBacking>")) && (mbEnd = strstr(mb, "</memoryBacking>"))) {
        const char *what = NULL;
        if ((p = strstr(mb, "<locked/>")) && p < mbEnd)
            what = "locked (<locked/>)";
        else if ((p = strstr(mb, "<hugepages")) && p < mbEnd)
            what = "backed by huge pages";
        else if ((p = strstr(mb, "<allocation ")) && p < mbEnd && tagEnd(p) &&
                 attrIs(p, tagEnd(p), "mode", "immediate"))
            what = "preallocated (<allocation mode='immediate'/>)";
        if (what)
            return virPMCAsprintf("the guest's memory is %s: the destination QEMU would take all of it at once", what);
    }
    return NULL;
}

/* ---- volumes that Prepare creates for copy-storage ---- */

typedef struct {
    char *path; /* a file disk's source */
    char *pool; /* or a volume disk's pool and volume */
    char *volume;
    bool existed; /* before Prepare, or not knowable: then never touched */
} diskVolume;

typedef struct {
    diskVolume *v;
    size_t n;
} diskVolumes;

static void
diskVolumesFree(diskVolumes *d)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].pool);
        free(d->v[i].volume);
    }
    free(d->v);
    d->v = NULL;
    d->n = 0;
}

/* The top source of every file or volume disk (a backing store's comes after it). */
static int
diskVolumesOf(const char *xml, diskVolumes *d)
{
    const char *p;

    for (p = xml; (p = strstr(p, "<disk ")); p++) {
        const char *e = tagEnd(p), *end = strstr(p, "</disk>"), *src;
        diskVolume dv = { 0 };
        diskVolume *grown;
        if (!e || !end || !(src = strstr(e, "<source ")) || src > end)
            continue;
        if (!tagEnd(src)) {
            continue;
        } else if (attrIs(p, e, "type", "file")) {
            dv.path = attrValue(src, tagEnd(src), "file");
        } else if (attrIs(p, e, "type", "volume")) {
            dv.pool = attrValue(src, tagEnd(src), "pool");
            dv.volume = attrValue(src, tagEnd(src), "volume");
        }
        if (!dv.path && !(dv.pool && dv.volume)) {
            free(dv.pool);
            free(dv.volume);
            continue;
        }
        if (!(grown = realloc(d->v, (d->n + 1) * sizeof(*d->v)))) {
            free(dv.path);
            free(dv.pool);
            free(dv.volume);
            return -1;
        }
        d->v = grown;
        d->v[d->n++] = dv;
    }
    return 0;
}

/* The volume at `dv` on `dconn`, its pool refreshed first (a file made
 * behind libvirt's back is then seen); NULL when there is none. *known is
 * false when no pool holds the place (libvirt could not create one there). */
static virStorageVolPtr
findVolume(virConnectPtr dconn, const diskVolume *dv, bool *known)
{
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr vol = NULL;

    *known = false;
    if (dv->path) {
        char *dir = virPMCStrdup(dv->path), *slash = dir ? strrchr(dir, '/') : NULL;
        if (slash && slash != dir) {
            *slash = '\0';
            pool = virStoragePoolLookupByTargetPath(dconn, dir);
        }
        free(dir);
    } else {
        pool = virStoragePoolLookupByName(dconn, dv->pool);
    }
    if (pool) {
        *known = virStoragePoolRefresh(pool, 0) == 0;
        if (*known)
            vol = dv->path ? virStorageVolLookupByPath(dconn, dv->path) : virStorageVolLookupByName(pool, dv->volume);
        virStoragePoolFree(pool);
    }
    virResetLastError(); /* "no such pool/volume" is an answer here, not the rehearsal's error */
    return vol;
}

static void
noteVolumesBefore(virConnectPtr dconn, diskVolumes *d)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        bool known;
        virStorageVolPtr vol = findVolume(dconn, &d->v[i], &known);
        d->v[i].existed = vol || !known;
        if (vol)
            virStorageVolFree(vol);
    }
}

/* Deletes what Prepare created; appends to *note what was deleted, to *err what could not be. */
static void
deleteCreatedVolumes(virConnectPtr dconn, diskVolumes *d, char **note, char **err)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        bool known;
        virStorageVolPtr vol;
        const char *name = d->v[i].path ? d->v[i].path : d->v[i].volume;
        char **to, *joined;
        if (d->v[i].existed || !(vol = findVolume(dconn, &d->v[i], &known)))
            continue;
        if (virStorageVolDelete(vol, 0) == 0) {
            to = note;
            joined =
                virPMCAsprintf("%s%sdeleted the volume %s that Prepare created", *to ? *to : "", *to ? "; " : "", name);
        } else {
            virErrorPtr e = virGetLastError();
            to = err;
            joined = virPMCAsprintf("%s%scannot delete the volume %s that Prepare created: %s", *to ? *to : "",
                                    *to ? "; " : "", name, e && e->message ? e->message : "unknown error");
            virResetLastError();
        }
        virStorageVolFree(vol);
        if (joined) {
            free(*to);
            *to = joined;
        }
    }
}

/* ---- typed parameters: a copy with some strings replaced ---- */

static int
copyParams(virTypedParameterPtr params, int nparams, virTypedParameterPtr *out, int *nout, const char *replace1,
           const char *value1, const char *replace2, const char *value2)
{
    int max = 0, i, rc = 0;

    *out = NULL;
    *nout = 0;
    for (i = 0; i < nparams && rc == 0; i++) {
        const virTypedParameter *p = &params[i];
        if ((replace1 && strcmp(p->field, replace1) == 0) || (replace2 && strcmp(p->field, replace2) == 0))
            continue;
        switch (p->type) {
        case VIR_TYPED_PARAM_INT: rc = virTypedParamsAddInt(out, nout, &max, p->field, p->value.i); break;
        case VIR_TYPED_PARAM_UINT: rc = virTypedParamsAddUInt(out, nout, &max, p->field, p->value.ui); break;
        case VIR_TYPED_PARAM_LLONG: rc = virTypedParamsAddLLong(out, nout, &max, p->field, p->value.l); break;
        case VIR_TYPED_PARAM_ULLONG: rc = virTypedParamsAddULLong(out, nout, &max, p->field, p->value.ul); break;
        case VIR_TYPED_PARAM_DOUBLE: rc = virTypedParamsAddDouble(out, nout, &max, p->field, p->value.d); break;
        case VIR_TYPED_PARAM_BOOLEAN: rc = virTypedParamsAddBoolean(out, nout, &max, p->field, p->value.b); break;
        case VIR_TYPED_PARAM_STRING: rc = virTypedParamsAddString(out, nout, &max, p->field, p->value.s); break;
        default: rc = -1;
        }
    }
    if (rc == 0 && replace1 && value1)
        rc = virTypedParamsAddString(out, nout, &max, replace1, value1);
    if (rc == 0 && replace2 && value2)
        rc = virTypedParamsAddString(out, nout, &max, replace2, value2);
    if (rc < 0) {
        virTypedParamsFree(*out, *nout);
        *out = NULL;
        *nout = 0;
        virResetLastError();
        virPMCReportOOM();
    }
    return rc;
}

/* ---- the handshake ---- */

/* What libvirt's client library refuses before Begin (virDomainMigrate3,
 * and virDomainMigrateUnmanagedCheckCompat for virDomainMigrateToURI3), in
 * its words (VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN); NULL when it accepts. */
static const char *
clientArgumentError(unsigned int flags)
{
    const unsigned int copies = VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC;

    if ((flags & copies) == copies)
        return "Flags 'VIR_MIGRATE_NON_SHARED_DISK' and 'VIR_MIGRATE_NON_SHARED_INC' are mutually exclusive";
    if ((flags & VIR_MIGRATE_PEER2PEER) && (flags & VIR_MIGRATE_TUNNELLED) && (flags & VIR_MIGRATE_PARALLEL))
        return "Flags 'VIR_MIGRATE_TUNNELLED' and 'VIR_MIGRATE_PARALLEL' are mutually exclusive";
    if ((flags & VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES) && !(flags & copies))
        return "Flag 'VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC' is required by flag "
               "'VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES'";
    if (!(flags & VIR_MIGRATE_PEER2PEER) && (flags & VIR_MIGRATE_TUNNELLED))
        return "cannot perform tunnelled migration without using peer2peer flag";
    return NULL;
}

virPMCRehearsalPtr
virPMCRehearsalNew(void)
{
    virPMCRehearsalPtr r = calloc(1, sizeof(*r));
    if (!r)
        virPMCReportOOM();
    return r;
}

void
virPMCRehearsalFree(virPMCRehearsalPtr r)
{
    if (!r)
        return;
    free(r->message);
    free(r->note);
    free(r->cleanupError);
    free(r);
}

static double
msSince(uint64_t t0)
{
    return (double)(virPMCNowNs() - t0) / 1e6;
}

static void
failWithLibvirtError(virPMCRehearsalPtr r, virPMCRehearsalPhase phase)
{
    virErrorPtr e = virGetLastError();
    r->status = VIR_PMC_STATUS_FAIL;
    r->phase = phase;
    r->message = virPMCStrdup(e && e->message ? e->message : "libvirt refused without saying why");
    r->errorCode = e ? e->code : 0;
    r->errorDomain = e ? e->domain : 0;
    virResetLastError();
}

static void
appendCleanupError(virPMCRehearsalPtr r, const char *step)
{
    virErrorPtr e = virGetLastError();
    char *joined = virPMCAsprintf("%s%s%s: %s", r->cleanupError ? r->cleanupError : "", r->cleanupError ? "; " : "",
                                  step, e && e->message ? e->message : "unknown error");
    virResetLastError();
    if (joined) {
        free(r->cleanupError);
        r->cleanupError = joined;
    }
}

/* After Finish returned no domain: true when its error is not the cancel's
 * own answer (VIR_ERR_MIGRATE_FINISH_OK, or none from an older daemon), so
 * Finish did not run to its end: its daemon died, the connection broke. */
static bool
finishBrokeOff(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->code != VIR_ERR_OK && e->code != VIR_ERR_MIGRATE_FINISH_OK;
}

static void
appendNote(virPMCRehearsalPtr r, const char *what)
{
    char *joined = virPMCAsprintf("%s%s%s", r->note ? r->note : "", r->note ? "; " : "", what);
    if (joined) {
        free(r->note);
        r->note = joined;
    }
}

int
virPMCRehearse(virDomainPtr domain, virConnectPtr dconn, virTypedParameterPtr params, int nparams,
               unsigned int migrateFlags, unsigned int flags, virPMCRehearsalPtr r)
{
    const unsigned int protection = VIR_MIGRATE_CHANGE_PROTECTION;
    virTypedParameterPtr prep = NULL, fin = NULL;
    int nprep = 0, nfin = 0, state, reason, rc;
    char *xml = NULL, *cookieBegin = NULL, *cookiePrepare = NULL, *cookieFinish = NULL, *uriOut = NULL, *why;
    const char *argError;
    int lenBegin = 0, lenPrepare = 0, lenFinish = 0;
    unsigned int destFlags;
    diskVolumes volumes = { 0 };
    virDomainPtr ddom;
    uint64_t t0;

    virPMCResetLastError();
    if (!domain || !dconn || !r) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "%s is NULL",
                          !domain  ? "the domain"
                          : !dconn ? "the destination connection"
                                   : "the rehearsal");
        return -1;
    }
    if (virPMCCheckParams(params, nparams) < 0)
        return -1;
    free(r->message);
    free(r->note);
    free(r->cleanupError);
    memset(r, 0, sizeof(*r));

    pthread_once(&handshakeOnce, bindHandshake);
    if (handshake.missing) {
        r->status = VIR_PMC_STATUS_SKIPPED;
        r->message = virPMCAsprintf("this libvirt does not export %s (a private entry point), so the handshake "
                                    "cannot be rehearsed",
                                    handshake.missing);
        return r->message ? 0 : (virPMCReportOOM(), -1);
    }

    if ((argError = clientArgumentError(migrateFlags))) {
        r->status = VIR_PMC_STATUS_FAIL;
        r->phase = VIR_PMC_REHEARSAL_PHASE_NONE;
        r->message = virPMCStrdup(argError);
        r->errorCode = VIR_ERR_INVALID_ARG;
        r->errorDomain = VIR_FROM_DOMAIN;
        return r->message ? 0 : (virPMCReportOOM(), -1);
    }

    /* Peer-to-peer: the source daemon would run this handshake itself, over
     * its own connection; tunnelled: its Prepare would take a stream. From
     * the client, the same steps run as a client-driven migration. */
    if (migrateFlags & VIR_MIGRATE_TUNNELLED)
        appendNote(r, "tunnelled: rehearsed as a direct migration (the destination QEMU listened on a port of its "
                      "own, not on libvirt's tunnel)");
    if (migrateFlags & VIR_MIGRATE_PEER2PEER)
        appendNote(r, "peer-to-peer: rehearsed from this client; the source daemon's own connection to the "
                      "destination (its URI, credentials, TLS) was not");
    migrateFlags &= ~(unsigned int)(VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED);

    t0 = virPMCNowNs();
    xml = handshake.begin(domain, params, nparams, &cookieBegin, &lenBegin, migrateFlags | protection);
    r->phaseMs[VIR_PMC_REHEARSAL_PHASE_BEGIN] = msSince(t0);
    if (!xml) {
        failWithLibvirtError(r, VIR_PMC_REHEARSAL_PHASE_BEGIN);
        goto done; /* Begin failed: it started no job */
    }
    if (!(flags & VIR_PMC_REHEARSE_FORCE) && (why = disturbance(xml))) {
        r->status = VIR_PMC_STATUS_SKIPPED;
        r->message = virPMCAsprintf("not rehearsed: %s (rehearse anyway with the force option)", why);
        free(why);
        goto confirm;
    }

    /* An offline Prepare defines the guest on the destination, and the lab's
     * libvirt 9.0 left that definition after a cancelled Finish
     * (test/e2e/rehearsal.test.ts): Begin's refusals only. */
    if (migrateFlags & VIR_MIGRATE_OFFLINE) {
        r->status = VIR_PMC_STATUS_SKIPPED;
        r->message = virPMCStrdup("Begin accepted the offline migration; its Prepare is not rehearsed (a cancelled "
                                  "offline Prepare leaves the guest's definition on the destination)");
        goto confirm;
    }

    /* As virDomainMigrateVersion3Full: a paused guest arrives paused, and
     * the destination does not take the source-only flags. */
    if (virDomainGetState(domain, &state, &reason, 0) == 0 && state == VIR_DOMAIN_PAUSED)
        migrateFlags |= VIR_MIGRATE_PAUSED;
    virResetLastError();
    destFlags = migrateFlags & ~(unsigned int)(VIR_MIGRATE_ABORT_ON_ERROR | VIR_MIGRATE_AUTO_CONVERGE);

    if ((migrateFlags & (VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC)) &&
        diskVolumesOf(xml, &volumes) == 0)
        noteVolumesBefore(dconn, &volumes);

    if (copyParams(params, nparams, &prep, &nprep, VIR_MIGRATE_PARAM_DEST_XML, xml, NULL, NULL) < 0)
        goto oom;
    t0 = virPMCNowNs();
    rc = handshake.prepare(dconn, prep, nprep, cookieBegin, lenBegin, &cookiePrepare, &lenPrepare, &uriOut, destFlags);
    r->phaseMs[VIR_PMC_REHEARSAL_PHASE_PREPARE] = msSince(t0);
    if (rc < 0) {
        failWithLibvirtError(r, VIR_PMC_REHEARSAL_PHASE_PREPARE);
        goto confirm; /* Begin's job ends with Confirm, as libvirt's own error path */
    }

    {
        const char *name = NULL;
        bool named = virTypedParamsGetString(prep, nprep, VIR_MIGRATE_PARAM_DEST_NAME, &name) == 1;
        virResetLastError();
        if (copyParams(prep, nprep, &fin, &nfin, uriOut ? VIR_MIGRATE_PARAM_URI : NULL, uriOut,
                       named ? NULL : VIR_MIGRATE_PARAM_DEST_NAME, named ? NULL : virDomainGetName(domain)) < 0)
            goto oom;
    }
    t0 = virPMCNowNs();
    /* Prepare's cookie would go to Perform; Finish gets Perform's, and a failed
     * Perform hands over none (qemuMigrationSrcRun formats it on success only).
     * Given Prepare's own cookie, Finish would refuse it ("Attempt to migrate
     * guest to the same host") before cancelling. */
    ddom = handshake.finish(dconn, fin, nfin, NULL, 0, &cookieFinish, &lenFinish, destFlags, 1);
    r->phaseMs[VIR_PMC_REHEARSAL_PHASE_FINISH] = msSince(t0);
    if (ddom) {
        /* libvirt logs "finish step ignored that migration was cancelled"; this
         * domain never received the guest's state: it must not run. */
        if (virDomainDestroy(ddom) < 0)
            appendCleanupError(r, "Finish ignored the cancel and the domain it started cannot be destroyed");
        else
            appendNote(r, "Finish ignored the cancel; the domain it started was destroyed");
        virDomainFree(ddom);
    } else if (finishBrokeOff()) {
        appendCleanupError(r, "Finish (the destination's daemon removes the incoming domain when it notices, at the "
                              "latest when it restarts)");
    }
    virResetLastError(); /* a cancelled Finish reports that it cancelled */

confirm:
    t0 = virPMCNowNs();
    /* Finish's cookie (NULL after a failed Prepare), as libvirt passes it. */
    if (handshake.confirm(domain,
                          fin    ? fin
                          : prep ? prep
                                 : params,
                          fin    ? nfin
                          : prep ? nprep
                                 : nparams,
                          cookieFinish, lenFinish, migrateFlags | protection, 1) < 0)
        appendCleanupError(r, "Confirm (the source's daemon ends the job when this connection closes, or when it "
                              "restarts)");
    r->phaseMs[VIR_PMC_REHEARSAL_PHASE_CONFIRM] = msSince(t0);
    if (volumes.n)
        deleteCreatedVolumes(dconn, &volumes, &r->note, &r->cleanupError);

done:
    if (r->status == VIR_PMC_STATUS_PASS && !r->message)
        r->message =
            virPMCAsprintf("libvirt's Begin and Prepare accepted the migration, then it was cancelled "
                           "(Begin %.0f ms, Prepare %.0f ms, Finish %.0f ms, Confirm %.0f ms)%s%s",
                           r->phaseMs[1], r->phaseMs[2], r->phaseMs[3], r->phaseMs[4],
                           r->cleanupError ? "; a cleanup step failed: " : "", r->cleanupError ? r->cleanupError : "");
    diskVolumesFree(&volumes);
    virTypedParamsFree(prep, nprep);
    virTypedParamsFree(fin, nfin);
    free(xml);
    free(cookieBegin);
    free(cookiePrepare);
    free(cookieFinish);
    free(uriOut);
    if (!r->message) {
        virPMCReportOOM();
        return -1;
    }
    return 0;

oom:
    /* Still end Begin's job: nothing may be left behind. */
    handshake.confirm(domain, params, nparams, NULL, 0, migrateFlags | protection, 1);
    virResetLastError();
    free(r->message);
    r->message = NULL;
    goto done;
}

/* ---- the rehearsal as the check "migration.rehearsal" of a run ---- */

#define NOT_VERIFIABLE "not verifiable:"

/* A failing warning that says it could not see something on the
 * destination: what Prepare opens there, a passing rehearsal has seen. */
static bool
settleable(const virPMCOutcome *o)
{
    return o->severity == VIR_PMC_SEVERITY_WARNING && o->status == VIR_PMC_STATUS_FAIL && o->message &&
           strncmp(o->message, NOT_VERIFIABLE, strlen(NOT_VERIFIABLE)) == 0;
}

static const virPMCOutcome *
blockingOutcome(const virPMCReport *report, unsigned int runFlags)
{
    size_t i;
    for (i = 0; i < report->count; i++) {
        const virPMCOutcome *o = &report->outcomes[i];
        if ((o->status == VIR_PMC_STATUS_FAIL || o->status == VIR_PMC_STATUS_ERROR) && !settleable(o) &&
            (o->severity == VIR_PMC_SEVERITY_CRITICAL ||
             (o->severity == VIR_PMC_SEVERITY_WARNING && (runFlags & VIR_PMC_RUN_STRICT))))
            return o;
    }
    return NULL;
}

/* s as a JSON string's content (without the quotes). */
static char *
jsonEscape(const char *s)
{
    size_t n = 0;
    const unsigned char *p;
    char *out, *w;

    for (p = (const unsigned char *)s; *p; p++)
        n += (*p == '"' || *p == '\\') ? 2 : *p < 0x20 ? 6 : 1;
    if (!(out = malloc(n + 1)))
        return NULL;
    for (w = out, p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *w++ = '\\';
            *w++ = (char)*p;
        } else if (*p < 0x20) {
            snprintf(w, 7, "\\u%04x", *p);
            w += 6;
        } else {
            *w++ = (char)*p;
        }
    }
    *w = '\0';
    return out;
}

static const char *const phaseNames[] = { "arguments", "begin", "prepare", "finish", "confirm" };

/* The outcome's details: the phases' times, where it failed, what differs. */
static char *
rehearsalDetails(const virPMCRehearsal *r, const char *settled)
{
    char *note = r->note ? jsonEscape(r->note) : NULL, *cleanup = r->cleanupError ? jsonEscape(r->cleanupError) : NULL;
    char *out = virPMCAsprintf(
        "{\"phasesMs\":{\"begin\":%.3f,\"prepare\":%.3f,\"finish\":%.3f,\"confirm\":%.3f}"
        "%s%s%s%s%s%s%s%s%s%s%s}",
        r->phaseMs[1], r->phaseMs[2], r->phaseMs[3], r->phaseMs[4],
        r->status == VIR_PMC_STATUS_FAIL ? ",\"phase\":\"" : "",
        r->status == VIR_PMC_STATUS_FAIL ? phaseNames[r->phase] : "", r->status == VIR_PMC_STATUS_FAIL ? "\"" : "",
        note ? ",\"note\":\"" : "", note ? note : "", note ? "\"" : "", cleanup ? ",\"cleanupError\":\"" : "",
        cleanup ? cleanup : "", cleanup ? "\"" : "", settled ? ",\"settled\":" : "", settled ? settled : "");
    free(note);
    free(cleanup);
    return out;
}

static int
appendOutcome(virPMCReportPtr report, virPMCStatus status, const char *message, const char *details, double ms)
{
    virPMCOutcome *grown = realloc(report->outcomes, (report->count + 1) * sizeof(*report->outcomes));
    virPMCOutcome *o;

    if (!grown)
        return -1;
    report->outcomes = grown;
    o = &report->outcomes[report->count];
    memset(o, 0, sizeof(*o));
    o->name = virPMCStrdup("migration.rehearsal");
    o->description = virPMCStrdup("libvirt's own handshake (Begin, Prepare on the destination), then cancelled");
    o->origin = virPMCStrdup("builtin");
    o->severity = VIR_PMC_SEVERITY_CRITICAL;
    o->status = status;
    o->message = virPMCStrdup(message);
    o->details = details ? virPMCStrdup(details) : NULL;
    o->durationMs = ms;
    report->count++;
    return o->name && o->description && o->origin && o->message ? 0 : -1;
}

/* Turns every settleable warning into a pass; returns their names as a JSON array, or NULL for none. */
static char *
settle(virPMCReportPtr report)
{
    char *names = NULL;
    size_t i;

    for (i = 0; i < report->count; i++) {
        virPMCOutcome *o = &report->outcomes[i];
        char *msg, *joined, *name;
        if (!settleable(o))
            continue;
        msg = virPMCAsprintf("settled by migration.rehearsal (libvirt's Prepare on the destination accepted it); "
                             "the check alone said: %s",
                             o->message);
        if (msg) {
            free(o->message);
            o->message = msg;
            o->status = VIR_PMC_STATUS_PASS;
        }
        name = jsonEscape(o->name);
        joined = virPMCAsprintf("%s%s\"%s\"", names ? names : "[", names ? "," : "", name ? name : "");
        free(name);
        free(names);
        names = joined;
    }
    if (names) {
        char *closed = virPMCAsprintf("%s]", names);
        free(names);
        names = closed;
    }
    return names;
}

int
virPMCReportRehearse(virPMCReportPtr report, virDomainPtr domain, virConnectPtr dconn, virTypedParameterPtr params,
                     int nparams, unsigned int flags, const virPMCRunOptions *opts)
{
    const virPMCOutcome *blocker = blockingOutcome(report, opts->flags);
    virPMCRehearsalPtr r;
    char *message = NULL, *details = NULL, *settled = NULL;
    uint64_t t0 = virPMCNowNs();
    int rc;

    if (report->cancelled || virPMCCancelIsTriggered(opts->cancel)) {
        rc = appendOutcome(report, VIR_PMC_STATUS_SKIPPED, "not rehearsed: the run was cancelled", NULL, 0);
    } else if (blocker) {
        message = virPMCAsprintf("not rehearsed: %s blocks the migration already", blocker->name);
        rc = message ? appendOutcome(report, VIR_PMC_STATUS_SKIPPED, message, NULL, 0) : -1;
    } else if (!dconn) {
        rc = appendOutcome(report, VIR_PMC_STATUS_SKIPPED,
                           "not rehearsed: a rehearsal needs a connection to the destination", NULL, 0);
    } else if (!(r = virPMCRehearsalNew())) {
        rc = -1;
    } else {
        rc = virPMCRehearse(domain, dconn, params, nparams, flags,
                            (opts->flags & VIR_PMC_RUN_REHEARSE_FORCE) ? VIR_PMC_REHEARSE_FORCE : 0, r);
        if (rc == 0 && r->status == VIR_PMC_STATUS_PASS)
            settled = settle(report);
        if (rc == 0 && !(details = rehearsalDetails(r, settled)))
            rc = -1;
        if (rc == 0)
            rc = appendOutcome(report, r->status, r->message, details, msSince(t0));
        virPMCRehearsalFree(r);
    }
    free(message);
    free(details);
    free(settled);
    /* A cancel during the rehearsal waited for its Finish and Confirm; the run is cancelled all the same. */
    if (virPMCCancelIsTriggered(opts->cancel))
        report->cancelled = 1;
    report->verdict = virPMCVerdictOf(report, opts->flags);
    if (rc < 0)
        virPMCReportOOM();
    return rc;
}

int
virDomainCheckPMC(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, const virPMCRunOptions *opts,
                  virTypedParameterPtr params, int nparams, unsigned int flags, virPMCReportPtr report)
{
    static const virPMCRunOptions defaults;

    virPMCResetLastError();
    if (virPMCCheckParams(params, nparams) < 0)
        return -1;
    if (!opts)
        opts = &defaults;
    if (virPMCRunChecks(domain, dconn, list, opts, report) < 0)
        return -1;
    if ((opts->flags & VIR_PMC_RUN_REHEARSE) &&
        virPMCReportRehearse(report, domain, dconn, params, nparams, flags, opts) < 0)
        return -1;
    return 0;
}
