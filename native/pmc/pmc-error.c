/*
 * pmc-error.c: the calling thread's last error (virPMCGetLastError). The
 * message lives in a fixed thread-local buffer: reporting "out of memory"
 * must not need memory, and a thread that exits leaves nothing to free.
 * No libvirt here: the gate's addon (native/gate) reports errors through this
 * file and loads no libvirt.
 */
#include "pmc-internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local struct {
    virPMCError pub;
    char message[512];
} lastError;

const virPMCError *
virPMCGetLastError(void)
{
    return lastError.pub.code == VIR_PMC_ERR_OK ? NULL : &lastError.pub;
}

void
virPMCResetLastError(void)
{
    lastError.pub.code = VIR_PMC_ERR_OK;
    lastError.pub.message = NULL;
    lastError.message[0] = '\0';
}

void
virPMCReportError(virPMCErrorNumber code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(lastError.message, sizeof(lastError.message), fmt, ap);
    va_end(ap);
    lastError.pub.code = code;
    lastError.pub.message = lastError.message;
}
