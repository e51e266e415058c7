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
 * With -DPAYLOAD_CONSOLE (and -DPAYLOAD_RPC) it first writes a line to its
 * RM console, then behaves as PAYLOAD_RPC: it sends VM_CONSOLE_OPEN for
 * itself (target 0) to the RM, waits for the reply, sends VM_CONSOLE_WRITE
 * with CONSOLE_LINE and waits for that reply. The RM forwards the text to
 * the VM's owner as NOTIFY_VM_CONSOLE_CHARS once both sides opened the
 * console (the owner opens it before VM_START). The send queue is the first
 * capability ID 0..63 that takes the OPEN request (MSGQ_SEND answers an
 * error for anything else: not a queue, or the receive end); replies are
 * polled on every capability as PAYLOAD_RPC does, and the RM keeps one
 * request per guest in flight, so each waits for its reply. What happened
 * is left at image offset 0x1020 (u64 each, -1 = not reached): 0x1020 the
 * stage (1 finding the send queue, 2 awaiting the OPEN reply, 3 awaiting
 * the WRITE reply, 4 done), 0x1028 the send capability, 0x1030 the
 * capability the last reply came on, 0x1038 the RM's error code for OPEN,
 * 0x1040 for WRITE, 0x1048 MSGQ_SEND's error for WRITE, 0x1050 the polling
 * rounds spent waiting, and at 0x1300 MSGQ_SEND's error per capability ID
 * while looking for the send queue.
 * Position independent, no stack, only the boot vCPU runs (secondaries are
 * never started).
 */
#define PAYLOAD_OFF_COUNT	100000
#define PSCI_SYSTEM_OFF		0x84000008
#define GH_HYPERCALL_MSGQ_SEND	0xc600801b	/* SMCCC fast, SMC64, vendor hyp, 0x8000 | 0x1b */
#define GH_HYPERCALL_MSGQ_RECV	0xc600801c	/* SMCCC fast, SMC64, vendor hyp, 0x8000 | 0x1c */
#define GH_RM_NOTIF_VM_SHUTDOWN	0x56100002	/* include/gunyah/rm-wire.h */
#define GH_RM_VM_CONSOLE_OPEN	0x56000081
#define GH_RM_VM_CONSOLE_WRITE	0x56000083
#define RPC_CAPS		64
#define RPC_API			0x21		/* RPC header: version 1, 2 header words */
#define RPC_TYPE_REQUEST	1
#define RPC_TYPE_REPLY		2
#define MSGQ_SEND_PUSH		1
/* the console block at image offset 0x1020, from con_stage */
#define CON_STAGE		0
#define CON_TX_CAP		8
#define CON_RX_CAP		16
#define CON_OPEN_ERR		24
#define CON_WRITE_ERR		32
#define CON_SEND_ERR		40
#define CON_ROUNDS		48

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
#if defined(PAYLOAD_CONSOLE)
	b	console
count:
#endif
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
#if defined(PAYLOAD_CONSOLE)
/* hypercalls clobber x0-x17: the state lives in x19-x26 */
console:
	adr	x22, con_stage
	mov	x5, #1
	str	x5, [x22, #CON_STAGE]
	/* the send queue: the first capability that takes the OPEN request */
	mov	x19, #0
1:	ldr	w0, =GH_HYPERCALL_MSGQ_SEND
	mov	x1, x19
	mov	x2, #open_req_end - open_req
	adr	x3, open_req
	mov	x4, #MSGQ_SEND_PUSH
	mov	x5, #0
	hvc	#0
	adr	x5, send_errors
	str	x0, [x5, x19, lsl #3]
	cbz	x0, 2f
	add	x19, x19, #1
	cmp	x19, #RPC_CAPS
	b.lo	1b
	b	con_done		/* no send queue: CON_TX_CAP stays -1 */
2:	str	x19, [x22, #CON_TX_CAP]
	mov	x23, x19
	mov	x5, #2
	str	x5, [x22, #CON_STAGE]
	ldr	w24, =GH_RM_VM_CONSOLE_OPEN
	bl	await_reply
	str	x0, [x22, #CON_OPEN_ERR]
	/* written even when OPEN was refused: the RM's answer is the news */
	mov	x5, #3
	str	x5, [x22, #CON_STAGE]
	ldr	w0, =GH_HYPERCALL_MSGQ_SEND
	mov	x1, x23
	mov	x2, #write_req_end - write_req
	adr	x3, write_req
	mov	x4, #MSGQ_SEND_PUSH
	mov	x5, #0
	hvc	#0
	str	x0, [x22, #CON_SEND_ERR]
	cbnz	x0, con_done
	ldr	w24, =GH_RM_VM_CONSOLE_WRITE
	bl	await_reply
	str	x0, [x22, #CON_WRITE_ERR]
con_done:
	mov	x5, #4
	str	x5, [x22, #CON_STAGE]
	b	count

/*
 * Polls every capability until the RM's reply to message w24 arrives;
 * returns its error code in x0. Other messages are dropped. Uses x0-x7,
 * x25, x26.
 */
await_reply:
	mov	x25, #0
3:	ldr	w0, =GH_HYPERCALL_MSGQ_RECV
	mov	x1, x25
	adr	x2, rxbuf
	mov	x3, #256
	mov	x4, #0
	hvc	#0
	cbnz	x0, 4f			/* not a receive queue, or empty */
	str	x25, [x22, #CON_RX_CAP]
	adr	x5, rxbuf
	ldrb	w6, [x5, #1]		/* type in bits 1:0 */
	and	w6, w6, #3
	cmp	w6, #RPC_TYPE_REPLY
	b.ne	3b
	ldr	w6, [x5, #4]		/* msg_id */
	cmp	w6, w24
	b.ne	3b
	ldr	w0, [x5, #8]		/* the reply's err_code */
	ret
4:	add	x25, x25, #1
	cmp	x25, #RPC_CAPS
	b.lo	3b
	mov	x25, #0
	ldr	x26, [x22, #CON_ROUNDS]
	add	x26, x26, #1
	str	x26, [x22, #CON_ROUNDS]
	b	3b
	.ltorg

#define CONSOLE_LINE "gunyah payload: hello from the guest console\r\n"
	.balign	8
open_req:			/* RPC header, then {u16 target = 0 (self), u16 res0} */
	.byte	RPC_API, RPC_TYPE_REQUEST
	.hword	1
	.word	GH_RM_VM_CONSOLE_OPEN
	.hword	0, 0
open_req_end:
	.balign	8
write_req:			/* RPC header, then {u16 target = 0, u16 num_bytes, bytes} */
	.byte	RPC_API, RPC_TYPE_REQUEST
	.hword	2
	.word	GH_RM_VM_CONSOLE_WRITE
	.hword	0
	.hword	line_end - line
line:	.ascii	CONSOLE_LINE
line_end:
write_req_end:
#endif
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
#ifdef PAYLOAD_CONSOLE
con_stage:
	.quad	0			/* 0x1020 */
	.quad	-1, -1, -1, -1, -1	/* tx cap, rx cap, OPEN err, WRITE err, send err */
	.quad	0			/* 0x1050: rounds */
#endif
	.balign	0x100
errors:	.skip	8 * RPC_CAPS		/* 0x1100 */
#ifdef PAYLOAD_CONSOLE
send_errors:
	.skip	8 * RPC_CAPS		/* 0x1300 */
#endif
#endif
image_end:
