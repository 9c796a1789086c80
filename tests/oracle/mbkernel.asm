; mbkernel.asm: a multiboot (v1) test kernel for the GRUB legacy oracle.
;
; Built by tests/src/grub_boot.rs with `nasm -f bin`. GRUB boots it from an
; ISO; it reports on COM1 what GRUB handed over, then powers QEMU off:
;
;   MVI-MB-LOADER <boot loader name>                  (if info flag bit 9)
;   MVI-MB-CMDLINE <kernel command line>               (if info flag bit 2)
;   MVI-MB-MODULE <i> start=<hex> len=<dec> sum=<hex32> at9564=<hex32|-> cmdline=<string>
;   MVI-MB-DONE n=<module count>
;
; sum is the wrapping u32 sum of the module's bytes read as little-endian
; 32-bit words, a trailing partial word padded with zeros; at9564 is the
; little-endian u32 at byte 9564 (the UFS magic: superblock at 8192, fs_magic
; at +1372), printed only when the module is at least 9568 bytes long.
; If EAX does not hold the multiboot magic it prints MVI-MB-BAD-MAGIC instead.
;
; Exit goes through QEMU's `-device isa-debug-exit,iobase=0xf4,iosize=0x04`:
; writing v to port 0xf4 makes QEMU exit with status (v << 1) | 1, so 0x10
; (status 33) means "reported", 0x11 (status 35) "bad magic". Without that
; device the kernel halts.
;
; The file is a flat binary using the multiboot "a.out kludge" (header flag
; bit 16): GRUB 0.97 copies the file to load_addr and jumps to entry_addr,
; no ELF needed. The same file serves as 32-bit and "amd64" unix in tests.

bits 32

LOAD_ADDR   equ 0x100000            ; 1 MiB, where GRUB copies the file
MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0x00010003          ; bit 0: page-align modules
                                    ; bit 1: memory info, bit 16: a.out kludge
MB_BOOTED   equ 0x2BADB002          ; EAX on entry from a multiboot loader
COM1        equ 0x3F8
EXIT_PORT   equ 0xF4
EXIT_OK     equ 0x10
EXIT_BAD    equ 0x11
MAX_STRING  equ 4096                ; longest command line printed

org LOAD_ADDR

; --- multiboot header (must sit in the first 8 KiB, 4-byte aligned) ---------
align 4
mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd (-(MB_MAGIC + MB_FLAGS)) & 0xFFFFFFFF ; checksum: the three words sum to 0
    dd mb_header                    ; header_addr: where this header loads
    dd LOAD_ADDR                    ; load_addr: start of the file in memory
    dd file_end                     ; load_end_addr: copy the whole file
    dd bss_end                      ; bss_end_addr: GRUB zeroes up to here
    dd start                        ; entry_addr

; --- entry --------------------------------------------------------------------
start:
    cli
    mov esp, stack_top
    mov [magic], eax
    mov [mbi], ebx
    call serial_init
    cmp dword [magic], MB_BOOTED
    je .magic_ok
    mov esi, s_bad_magic
    call puts
    mov eax, [magic]
    call put_hex
    call newline
    mov al, EXIT_BAD
    jmp exit

.magic_ok:
    mov ebx, [mbi]
    ; Boot loader name (flag bit 9, field at +64).
    test dword [ebx], 1 << 9
    jz .no_loader
    mov esi, s_loader
    call puts
    mov esi, [ebx + 64]
    call put_string
    call newline
.no_loader:
    ; Kernel command line (flag bit 2, field at +16). GRUB 0.97 passes the
    ; kernel path followed by its arguments.
    test dword [ebx], 1 << 2
    jz .no_cmdline
    mov esi, s_cmdline
    call puts
    mov esi, [ebx + 16]
    call put_string
    call newline
.no_cmdline:
    ; Modules (flag bit 3: mods_count at +20, mods_addr at +24).
    xor ecx, ecx                    ; modules reported so far
    test dword [ebx], 1 << 3
    jz .done
    mov edi, [ebx + 24]             ; current module entry (16 bytes each)
.module:
    mov ebx, [mbi]
    cmp ecx, [ebx + 20]
    jae .done
    push ecx
    mov esi, s_module
    call puts
    mov eax, ecx
    call put_dec
    mov esi, s_start
    call puts
    mov eax, [edi]                  ; mod_start
    call put_hex
    mov esi, s_len
    call puts
    mov eax, [edi + 4]              ; mod_end
    sub eax, [edi]
    call put_dec
    mov esi, s_sum
    call puts
    mov esi, [edi]
    mov ecx, [edi + 4]
    sub ecx, esi
    call word_sum
    call put_hex
    mov esi, s_at9564
    call puts
    mov eax, [edi + 4]
    sub eax, [edi]
    cmp eax, 9568
    jb .short
    mov esi, [edi]
    mov eax, [esi + 9564]
    call put_hex
    jmp .after_at
.short:
    mov al, '-'
    call putc
.after_at:
    mov esi, s_mod_cmdline
    call puts
    mov esi, [edi + 8]              ; module string
    call put_string
    call newline
    pop ecx
    inc ecx
    add edi, 16
    jmp .module

.done:
    mov esi, s_done
    call puts
    mov eax, ecx
    call put_dec
    call newline
    mov al, EXIT_OK
    ; fall through

; Leave QEMU with code AL (needs isa-debug-exit), else halt for good.
exit:
    out EXIT_PORT, al
.halt:
    hlt
    jmp .halt

; --- checksum -------------------------------------------------------------------
; EAX = wrapping sum of the little-endian u32 words of ECX bytes at ESI, the
; last partial word zero-padded. Clobbers ECX, EDX, ESI.
word_sum:
    xor eax, eax
.words:
    cmp ecx, 4
    jb .tail
    add eax, [esi]
    add esi, 4
    sub ecx, 4
    jmp .words
.tail:
    test ecx, ecx
    jz .ret
    ; 1-3 bytes left: build the padded word byte by byte, high byte first.
    xor edx, edx
.tail_byte:
    shl edx, 8
    mov dl, [esi + ecx - 1]
    dec ecx
    jnz .tail_byte
    add eax, edx
.ret:
    ret

; --- serial output ----------------------------------------------------------------
; COM1 at 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on.
serial_init:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                      ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                      ; DLAB on: next two ports are the divisor
    mov dx, COM1
    mov al, 1
    out dx, al                      ; divisor 1 = 115200 baud (low byte)
    mov dx, COM1 + 1
    xor al, al
    out dx, al                      ; (high byte)
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                      ; DLAB off, 8N1
    mov dx, COM1 + 2
    mov al, 0xC7
    out dx, al                      ; enable and clear FIFOs
    mov dx, COM1 + 4
    mov al, 0x03
    out dx, al                      ; DTR, RTS
    ret

; Write AL; waits for the transmit holding register. Preserves all but flags.
putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

; Write the NUL-terminated constant string at ESI. Clobbers ESI.
puts:
    push eax
.next:
    lodsb
    test al, al
    jz .end
    call putc
    jmp .next
.end:
    pop eax
    ret

; Write a string GRUB handed over (ESI, NUL-terminated, may be a null
; pointer): at most MAX_STRING bytes, control bytes shown as '?', so one
; field stays on one line. Clobbers ESI.
put_string:
    push eax
    push ecx
    test esi, esi
    jz .end
    mov ecx, MAX_STRING
.next:
    lodsb
    test al, al
    jz .end
    cmp al, 0x20
    jae .show
    mov al, '?'
.show:
    call putc
    dec ecx
    jnz .next
.end:
    pop ecx
    pop eax
    ret

; Write EAX as 8 lowercase hex digits. Preserves EAX, ECX.
put_hex:
    push eax
    push ecx
    push edx
    mov edx, eax
    mov ecx, 8
.digit:
    rol edx, 4
    mov al, dl
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    call putc
    dec ecx
    jnz .digit
    pop edx
    pop ecx
    pop eax
    ret

; Write EAX in decimal. Preserves EAX, ECX.
put_dec:
    push eax
    push ecx
    push edx
    push ebx
    mov ebx, 10
    xor ecx, ecx                    ; digits pushed
.divide:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .divide
.emit:
    pop eax
    add al, '0'
    call putc
    dec ecx
    jnz .emit
    pop ebx
    pop edx
    pop ecx
    pop eax
    ret

; --- constants ------------------------------------------------------------------------
s_bad_magic:    db "MVI-MB-BAD-MAGIC eax=", 0
s_loader:       db "MVI-MB-LOADER ", 0
s_cmdline:      db "MVI-MB-CMDLINE ", 0
s_module:       db "MVI-MB-MODULE ", 0
s_start:        db " start=", 0
s_len:          db " len=", 0
s_sum:          db " sum=", 0
s_at9564:       db " at9564=", 0
s_mod_cmdline:  db " cmdline=", 0
s_done:         db "MVI-MB-DONE n=", 0

align 4
file_end:

; --- bss (zeroed by GRUB, not in the file) -------------------------------------------
section .bss align=4
magic:          resd 1
mbi:            resd 1
                resb 4096
stack_top:
bss_end:
