/*
 * virPMCGateCheckXML (native/lib/pmc-gate.h) against a gate `pmc hook install`
 * wrote: gate_test GATE FILE [TIMEOUT_MS] asks the gate about the definition
 * in FILE and prints "allowed" or "refused" and the reasons, or "error: …";
 * its exit status is the function's return value (0, 1, or 2 for -1).
 */
#include <stdio.h>
#include <stdlib.h>

#include "pmc-gate.h"
#include "pmc.h"

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gate_test GATE FILE [TIMEOUT_MS]\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    static char xml[1 << 20];
    size_t n = fread(xml, 1, sizeof xml - 1, f);
    fclose(f);
    xml[n] = '\0';
    char *reasons = NULL;
    int rc = virPMCGateCheckXML(argv[1], xml, argc > 3 ? (unsigned int)atoi(argv[3]) : 0, &reasons, 0);
    if (rc < 0) {
        const virPMCError *err = virPMCGetLastError();
        printf("error: %s\n", err ? err->message : "?");
        return 2;
    }
    printf("%s\n%s\n", rc ? "refused" : "allowed", reasons);
    free(reasons);
    return rc;
}
