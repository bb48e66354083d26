/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architectural rules event injection must follow, as pure functions
 * (host-side unit test: tests/unit/event_test.c).
 */
#ifndef HVX_EVENT_H
#define HVX_EVENT_H

/* Contributory exceptions: #DE, #TS, #NP, #SS, #GP (SDM "Interrupt 8"). */
#define HVX_EXC_CONTRIBUTORY	(BIT(0) | BIT(10) | BIT(11) | BIT(12) | \
				 BIT(13))
/*
 * Exceptions that push an error code in protected mode: #DF, #TS, #NP,
 * #SS, #GP, #PF, #AC.  VM entry wants the deliver-error-code bit for
 * exactly these (IA32_VMX_BASIC[56] clear) and only with CR0.PE set.
 */
#define HVX_EXC_ERROR_CODE	(BIT(8) | BIT(10) | BIT(11) | BIT(12) | \
				 BIT(13) | BIT(14) | BIT(17))

/*
 * Fault-class exceptions: all but #DB (a trap here: hvx raises it only
 * for traps), NMI, #BP, #OF, #DF and #MC (SDM "Exception and Interrupt
 * Reference").  Their RFLAGS image carries RF.
 */
#define HVX_EXC_FAULT		(0xffffffffUL & ~(BIT(1) | BIT(2) | BIT(3) | \
						  BIT(4) | BIT(8) | BIT(18)))

#define HVX_VEC_DF	8
#define HVX_VEC_PF	14

static inline bool hvx_exc_in(u32 set, u8 vector)
{
	return vector < 32 && (set & BIT(vector));
}

/**
 * hvx_combine_exceptions() - the double-fault rules
 * @first: a hardware exception waiting to be delivered
 * @second: a hardware exception raised before @first was delivered
 *
 * Return: the vector to deliver: #DF for a contributory exception after a
 * contributory one, or a #PF or contributory one after a #PF; -1 (triple
 * fault, shutdown) for such an exception after #DF; else @second (benign
 * pairs are delivered one after the other, and @first, a fault, comes
 * again when its instruction runs again).
 */
static inline int hvx_combine_exceptions(u8 first, u8 second)
{
	bool bad = hvx_exc_in(HVX_EXC_CONTRIBUTORY, second) ||
		   second == HVX_VEC_PF;

	if (first == HVX_VEC_DF)
		return bad ? -1 : second;
	if ((hvx_exc_in(HVX_EXC_CONTRIBUTORY, first) &&
	     hvx_exc_in(HVX_EXC_CONTRIBUTORY, second)) ||
	    (first == HVX_VEC_PF && bad))
		return HVX_VEC_DF;
	return second;
}

#endif /* HVX_EVENT_H */
