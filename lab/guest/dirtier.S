/*
 * dirtier: a freestanding multiboot kernel that dirties guest memory at a
 * chosen rate, for the convergence tests (docs/convergence.md).
 *
 * Loaded by QEMU's multiboot loader (<os><kernel>), it starts in 32-bit
 * protected mode without paging. It
 *   1. fills all RAM above itself with non-zero data (zero pages migrate
 *      almost for free, so an untouched guest would look cheap);
 *   2. then writes one word into one page after another, cycling through that
 *      RAM, paced by the PIT at TICK_HZ: after n ticks it has dirtied
 *      n * rate / TICK_HZ pages, whatever the CPU speed.
 * The rate is `rate=<KiB/s>` on the kernel command line (<cmdline>); 0 or
 * none: it fills RAM and then halts with interrupts off (no PIT ticks to wake it).
 *
 * Built by the lab (src/lab/guests.ts, buildDirtier): as --32 dirtier.S -o dirtier.o && ld -m elf_i386 -T dirtier.ld dirtier.o -o dirtier.elf
 */
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00000003           /* page-aligned modules, memory info */
        .set TICK_HZ, 100
        .set PIT_DIVISOR, 11932             /* 1193182 Hz / 100 */
        .set PAGE, 4096

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .globl _start
_start:
        cli
        mov     $stack_top, %esp
        /* eax = multiboot magic, ebx = multiboot info */
        mov     %ebx, mbi

        /* RAM to use: from the first page after the kernel to 1 MiB + mem_upper KiB. */
        mov     mbi, %ebx
        mov     8(%ebx), %eax               /* mem_upper, KiB above 1 MiB */
        shl     $10, %eax
        add     $0x100000, %eax
        and     $~(PAGE - 1), %eax
        mov     %eax, ram_end
        mov     $kernel_end, %eax
        add     $(PAGE - 1), %eax
        and     $~(PAGE - 1), %eax
        mov     %eax, ram_start
        mov     %eax, cursor

        /* rate=<KiB/s> from the command line (flags bit 2, cmdline at offset 16). */
        movl    $0, rate_kib
        testl   $4, (%ebx)
        jz      1f
        mov     16(%ebx), %esi
        call    parse_rate
1:
        /* Fill: every dword non-zero (its own address plus one). */
        mov     ram_start, %edi
        mov     ram_end, %ecx
2:      cmp     %ecx, %edi
        jae     3f
        lea     1(%edi), %eax
        mov     %eax, (%edi)
        add     $4, %edi
        jmp     2b
3:
        /* Rate 0: nothing to dirty, ever. Halt with interrupts off: the vCPU never wakes again, so an
           idle guest costs its host (one of a hundred in the lab's --idle-guests) next to nothing. */
        cmpl    $0, rate_kib
        jne     6f
        cli
7:      hlt
        jmp     7b
6:
        call    setup_interrupts
        sti

        /* Pages per tick, in 1/TICK_HZ units: pages owed after n ticks = n * rate_kib / 4 / TICK_HZ. */
main_loop:
        hlt
        mov     ticks, %eax
        mull    rate_kib                    /* edx:eax = ticks * KiB/s */
        mov     $(4 * TICK_HZ), %ecx        /* 4 KiB per page */
        divl    %ecx                        /* eax = pages owed so far */
        mov     %eax, %ebx
4:      cmp     written, %ebx
        jbe     main_loop
        /* dirty one page: bump a counter in its first word, so its content changes too */
        mov     cursor, %edi
        incl    (%edi)
        add     $PAGE, %edi
        cmp     ram_end, %edi
        jb      5f
        mov     ram_start, %edi
5:      mov     %edi, cursor
        incl    written
        jmp     4b

/* esi: NUL-terminated command line. Finds "rate=" and reads the decimal after it. */
parse_rate:
6:      movb    (%esi), %al
        test    %al, %al
        jz      9f
        cmpl    $0x65746172, (%esi)         /* "rate" little-endian */
        jne     7f
        cmpb    $'=', 4(%esi)
        jne     7f
        add     $5, %esi
        xor     %eax, %eax
8:      movzbl  (%esi), %ecx
        sub     $'0', %ecx
        cmp     $9, %ecx
        ja      10f
        imul    $10, %eax
        add     %ecx, %eax
        inc     %esi
        jmp     8b
10:     mov     %eax, rate_kib
        ret
7:      inc     %esi
        jmp     6b
9:      ret

/* IDT: every vector irets; IRQ0 (remapped to 0x20) counts ticks. PIC: only IRQ0 unmasked. */
setup_interrupts:
        mov     $idt, %edi
        xor     %ecx, %ecx
11:     mov     $ignore_int, %eax
        cmp     $0x20, %ecx
        jne     12f
        mov     $timer_int, %eax
12:     mov     %ax, (%edi)
        movw    $0x08, 2(%edi)              /* the multiboot code segment is 0x08 in QEMU's loader */
        movw    $0x8E00, 4(%edi)            /* present, ring 0, 32-bit interrupt gate */
        shr     $16, %eax
        mov     %ax, 6(%edi)
        add     $8, %edi
        inc     %ecx
        cmp     $256, %ecx
        jb      11b
        mov     %cs, %ax
        mov     $idt, %edi                  /* patch the selector with the real cs */
        xor     %ecx, %ecx
13:     mov     %ax, 2(%edi)
        add     $8, %edi
        inc     %ecx
        cmp     $256, %ecx
        jb      13b
        lidt    idt_ptr

        /* PIC: ICW1..4, master at 0x20, slave at 0x28; mask all but IRQ0. */
        mov     $0x11, %al
        out     %al, $0x20
        out     %al, $0xA0
        mov     $0x20, %al
        out     %al, $0x21
        mov     $0x28, %al
        out     %al, $0xA1
        mov     $0x04, %al
        out     %al, $0x21
        mov     $0x02, %al
        out     %al, $0xA1
        mov     $0x01, %al
        out     %al, $0x21
        out     %al, $0xA1
        mov     $0xFE, %al
        out     %al, $0x21
        mov     $0xFF, %al
        out     %al, $0xA1

        /* PIT channel 0, mode 2 (rate generator), lobyte/hibyte. */
        mov     $0x34, %al
        out     %al, $0x43
        mov     $(PIT_DIVISOR & 0xFF), %al
        out     %al, $0x40
        mov     $(PIT_DIVISOR >> 8), %al
        out     %al, $0x40
        ret

timer_int:
        incl    ticks
        push    %eax
        mov     $0x20, %al
        out     %al, $0x20                  /* EOI */
        pop     %eax
        iret

ignore_int:
        iret

        .data
        .align 4
idt_ptr:
        .word   256 * 8 - 1
        .long   idt
mbi:        .long 0
ram_start:  .long 0
ram_end:    .long 0
cursor:     .long 0
rate_kib:   .long 0
ticks:      .long 0
written:    .long 0

        .bss
        .align 16
idt:    .skip   256 * 8
        .skip   4096
stack_top:
