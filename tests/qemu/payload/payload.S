/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bare-metal arm64 guest payloads for the real-hypervisor suite
 * (tests/qemu/gunyah-suite.sh) and gunyahd's scenario there.
 *
 * A valid arm64 Linux Image (Documentation/arch/arm64/booting.rst: 64-byte
 * header, text_offset 0, image_size, "ARM\x64"), so that gunyahd's loader
 * takes it as a kernel. At image offset 0x1000 the marker "GHCOUNT!" and a
 * little-endian u64 counter that the boot vCPU increments: forever (spin,
 * the default) or, with -DPAYLOAD_OFF, up to PAYLOAD_OFF_COUNT and then
 * PSCI SYSTEM_OFF. A host finds the counter by the marker in guest memory.
 * With -DPAYLOAD_RPC it counts forever too, but polls its RM-RPC receive
 * queue (an rm-rpc vdevice in its devicetree) every 1024 counts and powers
 * off when the RM's NOTIFY_VM_SHUTDOWN arrives: a guest that honours a
 * graceful VM_STOP, as the conformance suite expects. It does not parse its
 * devicetree for the queue's capability: it tries MSGQ_RECV on capability
 * IDs 0..63 (the QEMU build of the hypervisor hands them out in order;
 * anything that is not its receive queue answers an error). For a host
 * that wonders why it does not power off, it leaves the last error of each
 * capability ID at image offset 0x1100 (u64 each), and at 0x1010 the number
 * of polls and the last message ID received.
 * Position independent, no stack, only the boot vCPU runs (secondaries are
 * never started).
 */
#define PAYLOAD_OFF_COUNT	100000
#define PSCI_SYSTEM_OFF		0x84000008
#define GH_HYPERCALL_MSGQ_RECV	0xc600801c	/* SMCCC fast, SMC64, vendor hyp, 0x8000 | 0x1c */
#define GH_RM_NOTIF_VM_SHUTDOWN	0x56100002	/* include/gunyah/rm-wire.h */
#define RPC_CAPS		64

	.text
	.globl	_start
_start:
	/* header: code0, code1 */
	b	entry
	nop
	.quad	0			/* text_offset */
	.quad	image_end - _start	/* image_size: covers the counter */
	.quad	0xa			/* flags: LE, 4K pages, anywhere in RAM */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.word	0			/* res5: no PE header */

entry:
	adr	x1, counter
	mov	x2, #0
1:	add	x2, x2, #1
	str	x2, [x1]
#if defined(PAYLOAD_RPC)
	tst	x2, #0x3ff
	b.ne	1b
	/* hypercalls clobber x0-x17: the state lives in x19-x21 */
	mov	x20, x1
	mov	x21, x2
	mov	x19, #0			/* capability ID */
2:	ldr	w0, =GH_HYPERCALL_MSGQ_RECV
	mov	x1, x19
	adr	x2, rxbuf
	mov	x3, #256
	mov	x4, #0
	hvc	#0
	adr	x5, errors
	str	x0, [x5, x19, lsl #3]
	cbnz	x0, 3f			/* not a receive queue, or empty */
	adr	x5, rxbuf
	ldr	w6, [x5, #4]		/* RPC header: msg_id at +4 */
	adr	x5, last_msg
	str	x6, [x5]
	ldr	w7, =GH_RM_NOTIF_VM_SHUTDOWN
	cmp	w6, w7
	b.eq	off
	b	2b			/* another message: drain the queue */
3:	add	x19, x19, #1
	cmp	x19, #RPC_CAPS
	b.lo	2b
	adr	x5, polls
	ldr	x6, [x5]
	add	x6, x6, #1
	str	x6, [x5]
	mov	x1, x20
	mov	x2, x21
	b	1b
off:
	ldr	w0, =PSCI_SYSTEM_OFF
	hvc	#0
4:	wfi
	b	4b
	.ltorg
	.balign	8
rxbuf:	.skip	256
#elif defined(PAYLOAD_OFF)
	ldr	w3, =PAYLOAD_OFF_COUNT
	cmp	x2, x3
	b.lo	1b
	ldr	w0, =PSCI_SYSTEM_OFF
	hvc	#0
	/* SYSTEM_OFF does not return; should it, stay here */
2:	wfi
	b	2b
	.ltorg
#else
	b	1b
#endif

	.balign	0x1000
	.ascii	"GHCOUNT!"
counter:
	.quad	0
#ifdef PAYLOAD_RPC
polls:	.quad	0			/* 0x1010 */
last_msg:
	.quad	0			/* 0x1018 */
	.balign	0x100
errors:	.skip	8 * RPC_CAPS		/* 0x1100 */
#endif
image_end:
