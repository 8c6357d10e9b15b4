/*
 * pmc-list.c: the RFC's check list. The public struct is the first member of
 * a private one that adds a name index, so that adding 10,000 checks (JS
 * checks are added one by one) stays linear rather than quadratic. A static
 * list in the RFC's style has no private part: the lists virPMCCheckListNew
 * made are kept in a set, and only those are ever cast to the private struct.
 */
#define _XOPEN_SOURCE 700 /* tsearch */
#include "pmc-internal.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    virPMCCheckList pub;
    size_t *index;                /* open addressing: slot holds list position + 1, 0 = empty */
    size_t indexSize;             /* a power of two, at least twice the indexed count */
    size_t indexedCount;          /* the index covers check[0 .. indexedCount) of ... */
    virPMCCheckPtr *indexedArray; /* ... this array; the fields are public, so
                                     a caller may have changed them: then rebuild */
} virPMCCheckListPriv;

/* The lists made by virPMCCheckListNew and not yet freed (a tsearch tree). */
static pthread_mutex_t ownedLock = PTHREAD_MUTEX_INITIALIZER;
static void *ownedLists;

static int
comparePointers(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y ? -1 : x > y;
}

/* Whether `list` has a private part (came from virPMCCheckListNew). */
static bool
isOwned(virPMCCheckListPtr list)
{
    bool owned;

    pthread_mutex_lock(&ownedLock);
    owned = tfind(list, &ownedLists, comparePointers) != NULL;
    pthread_mutex_unlock(&ownedLock);
    return owned;
}

static size_t
hashName(const char *s)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static void
indexInsert(virPMCCheckListPriv *p, size_t pos)
{
    size_t mask = p->indexSize - 1;
    size_t i = hashName(p->pub.check[pos]->name) & mask;

    while (p->index[i])
        i = (i + 1) & mask;
    p->index[i] = pos + 1;
}

static int
indexRebuild(virPMCCheckListPriv *p, size_t wanted)
{
    size_t size = 16;
    size_t *index;
    size_t i;

    while (size < wanted * 2)
        size *= 2;
    if (!(index = calloc(size, sizeof(*index))))
        return -1;
    free(p->index);
    p->index = index;
    p->indexSize = size;
    for (i = 0; i < p->pub.count; i++) {
        if (p->pub.check[i] && p->pub.check[i]->name)
            indexInsert(p, i);
    }
    p->indexedCount = p->pub.count;
    p->indexedArray = p->pub.check;
    return 0;
}

static int
indexFresh(virPMCCheckListPriv *p)
{
    if (p->index && p->indexedCount == p->pub.count && p->indexedArray == p->pub.check)
        return 0;
    return indexRebuild(p, p->pub.count + 1);
}

virPMCCheckListPtr
virPMCCheckListNew(void)
{
    virPMCCheckListPriv *p;

    virPMCResetLastError();
    if (!(p = calloc(1, sizeof(*p)))) {
        virPMCReportOOM();
        return NULL;
    }
    if (!(p->pub.check = calloc(8, sizeof(*p->pub.check)))) {
        free(p);
        virPMCReportOOM();
        return NULL;
    }
    p->pub.capacity = 8;
    pthread_mutex_lock(&ownedLock);
    if (!tsearch(&p->pub, &ownedLists, comparePointers)) {
        pthread_mutex_unlock(&ownedLock);
        free(p->pub.check);
        free(p);
        virPMCReportOOM();
        return NULL;
    }
    pthread_mutex_unlock(&ownedLock);
    return &p->pub;
}

virPMCCheckPtr
virPMCCheckListFind(virPMCCheckListPtr list, const char *name)
{
    virPMCCheckListPriv *p = (virPMCCheckListPriv *)list;
    size_t mask, i;

    if (!list || !name || !list->check)
        return NULL;
    if (!isOwned(list) || indexFresh(p) < 0) {
        for (i = 0; i < list->count; i++) {
            if (list->check[i] && list->check[i]->name && strcmp(list->check[i]->name, name) == 0)
                return list->check[i];
        }
        return NULL;
    }
    mask = p->indexSize - 1;
    for (i = hashName(name) & mask; p->index[i]; i = (i + 1) & mask) {
        virPMCCheckPtr c = list->check[p->index[i] - 1];
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

bool
virPMCCheckValid(virPMCCheckPtr check, size_t position)
{
    if (!check) {
        virPMCReportError(VIR_PMC_ERR_INVALID_CHECK, "check %zu of the list is NULL", position);
        return false;
    }
    if (!check->name || !check->name[0]) {
        if (position == SIZE_MAX)
            virPMCReportError(VIR_PMC_ERR_INVALID_CHECK, "a check needs a name");
        else
            virPMCReportError(VIR_PMC_ERR_INVALID_CHECK, "a check needs a name (check %zu of the list)", position);
        return false;
    }
    if (!check->run) {
        virPMCReportError(VIR_PMC_ERR_INVALID_CHECK, "check %s has no run function", check->name);
        return false;
    }
    if ((int)check->severity < VIR_PMC_SEVERITY_CRITICAL || (int)check->severity > VIR_PMC_SEVERITY_INFO) {
        virPMCReportError(VIR_PMC_ERR_INVALID_CHECK, "check %s has severity %d, not critical, warning or info",
                          check->name, (int)check->severity);
        return false;
    }
    if (check->flags & ~(unsigned int)VIR_PMC_CHECK_BLOCKING) {
        virPMCReportError(VIR_PMC_ERR_INVALID_CHECK, "check %s has unknown flags 0x%x", check->name,
                          check->flags & ~(unsigned int)VIR_PMC_CHECK_BLOCKING);
        return false;
    }
    return true;
}

int
virPMCCheckListValidate(virPMCCheckListPtr list)
{
    size_t *seen, size = 16, mask, i;

    if (list->count && !list->check) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "the check list counts %zu checks but has no array", list->count);
        return -1;
    }
    for (i = 0; i < list->count; i++) {
        if (!virPMCCheckValid(list->check[i], i))
            return -1;
    }
    /* Duplicate names, through a table of its own: the list's index may be
     * stale, and a static list has none. */
    while (size < list->count * 2)
        size *= 2;
    if (!(seen = calloc(size, sizeof(*seen)))) {
        virPMCReportOOM();
        return -1;
    }
    mask = size - 1;
    for (i = 0; i < list->count; i++) {
        const char *name = list->check[i]->name;
        size_t h;
        for (h = hashName(name) & mask; seen[h]; h = (h + 1) & mask) {
            if (strcmp(list->check[seen[h] - 1]->name, name) == 0) {
                free(seen);
                virPMCReportError(VIR_PMC_ERR_DUPLICATE_CHECK, "duplicate check name %s", name);
                return -1;
            }
        }
        seen[h] = i + 1;
    }
    free(seen);
    return 0;
}

int
virPMCCheckListAdd(virPMCCheckListPtr list, virPMCCheckPtr check)
{
    virPMCCheckListPriv *p = (virPMCCheckListPriv *)list;

    virPMCResetLastError();
    if (!list || !check) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "%s is NULL", !list ? "the check list" : "the check");
        return -1;
    }
    if (!isOwned(list)) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG,
                          "the check list was not made by virPMCCheckListNew: a static list cannot grow");
        return -1;
    }
    if (!virPMCCheckValid(check, SIZE_MAX))
        return -1;
    if (virPMCCheckListFind(list, check->name)) {
        virPMCReportError(VIR_PMC_ERR_DUPLICATE_CHECK, "duplicate check name %s", check->name);
        return -1;
    }
    /* Room for the check and the RFC's NULL terminator. */
    if (list->count + 2 > list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 8;
        virPMCCheckPtr *arr;
        while (cap < list->count + 2)
            cap *= 2;
        if (!(arr = realloc(list->check, cap * sizeof(*arr)))) {
            virPMCReportOOM();
            return -1;
        }
        list->check = arr;
        list->capacity = cap;
    }
    list->check[list->count++] = check;
    list->check[list->count] = NULL;
    /* Keep the index at most half full. */
    if (!p->index || p->indexedArray != list->check || p->indexedCount + 1 != list->count ||
        list->count * 2 > p->indexSize) {
        if (indexRebuild(p, list->count * 2) < 0) {
            free(p->index);
            p->index = NULL; /* Find falls back to a scan */
        }
    } else {
        indexInsert(p, list->count - 1);
        p->indexedCount = list->count;
    }
    return 0;
}

/* The lists with hooks (pmc-extend.h), kept apart from the lists
 * themselves: a static list has no private part to hold them, yet may be run. */
typedef struct _virPMCHookedList virPMCHookedList;
struct _virPMCHookedList {
    virPMCCheckListPtr list;
    virPMCCheckListHooks hooks;
    void *opaque;
    virPMCHookedList *next;
};
static pthread_mutex_t hookedLock = PTHREAD_MUTEX_INITIALIZER;
static virPMCHookedList *hooked;

static virPMCHookedList *
hookedFindLocked(virPMCCheckListPtr list)
{
    virPMCHookedList *h;

    for (h = hooked; h; h = h->next) {
        if (h->list == list)
            return h;
    }
    return NULL;
}

int
virPMCCheckListSetHooks(virPMCCheckListPtr list, const virPMCCheckListHooks *hooks, void *opaque)
{
    virPMCHookedList *h;

    if (!isOwned(list)) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "the check list was not made by virPMCCheckListNew");
        return -1;
    }
    pthread_mutex_lock(&hookedLock);
    if (hookedFindLocked(list)) {
        pthread_mutex_unlock(&hookedLock);
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "the check list has hooks already");
        return -1;
    }
    if (!(h = calloc(1, sizeof(*h)))) {
        pthread_mutex_unlock(&hookedLock);
        virPMCReportOOM();
        return -1;
    }
    h->list = list;
    h->hooks = *hooks;
    h->opaque = opaque;
    h->next = hooked;
    hooked = h;
    pthread_mutex_unlock(&hookedLock);
    return 0;
}

void *
virPMCCheckListHookData(virPMCCheckListPtr list)
{
    virPMCHookedList *h;
    void *opaque;

    pthread_mutex_lock(&hookedLock);
    h = hookedFindLocked(list);
    opaque = h ? h->opaque : NULL;
    pthread_mutex_unlock(&hookedLock);
    return opaque;
}

void *
virPMCCheckListPrepare(virPMCCheckListPtr list, virDomainPtr domain, virConnectPtr dconn,
                       void (**release)(void *runData))
{
    virPMCHookedList *h;
    virPMCCheckListHooks hooks = { 0 };
    void *opaque = NULL;

    pthread_mutex_lock(&hookedLock);
    if ((h = hookedFindLocked(list))) {
        hooks = h->hooks;
        opaque = h->opaque;
    }
    pthread_mutex_unlock(&hookedLock);
    *release = hooks.releaseRun;
    /* Outside the lock: it calls libvirt. */
    return hooks.prepare ? hooks.prepare(opaque, domain, dconn) : NULL;
}

void
virPMCCheckListFree(virPMCCheckListPtr list)
{
    virPMCCheckListPriv *p = (virPMCCheckListPriv *)list;
    virPMCHookedList **link, *h = NULL;

    if (!list)
        return;
    /* A static list is the caller's: nothing of it is ours to free. */
    pthread_mutex_lock(&ownedLock);
    if (!tdelete(list, &ownedLists, comparePointers)) {
        pthread_mutex_unlock(&ownedLock);
        return;
    }
    pthread_mutex_unlock(&ownedLock);
    pthread_mutex_lock(&hookedLock);
    for (link = &hooked; *link; link = &(*link)->next) {
        if ((*link)->list == list) {
            h = *link;
            *link = h->next;
            break;
        }
    }
    pthread_mutex_unlock(&hookedLock);
    if (h) {
        if (h->hooks.free)
            h->hooks.free(h->opaque);
        free(h);
    }
    free(p->index);
    free(list->check);
    free(p);
}
