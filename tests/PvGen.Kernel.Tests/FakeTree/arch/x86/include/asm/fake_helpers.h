/* What the miniature kernel's PVOP machinery uses from other headers (asm.h, nospec-branch.h, alternative.h, build_bug.h in Linux). */
#ifndef _FAKE_HELPERS_H
#define _FAKE_HELPERS_H

#define _ASM_ALIGN " .balign 8 "
#define _ASM_PTR " .quad "
#define ANNOTATE_RETPOLINE_SAFE ""
register unsigned long current_stack_pointer __asm__("rsp");
#define ASM_CALL_CONSTRAINT "+r" (current_stack_pointer)
#define BUILD_BUG_ON(condition) ((void)sizeof(char[1 - 2 * !!(condition)]))
#define BUG_ON(condition) do { if (condition) __builtin_trap(); } while (0)
#define NULL ((void *)0)
#define __fake_str(x) #x
#define __fake_stringify(x) __fake_str(x)
#define FEATURE_HYPERVISOR 4
#define ALT_NOT(feature) ((feature) | (1 << 15))
#define ALTERNATIVE(oldinstr, newinstr, flags) \
	"661:\n\t" oldinstr "\n662:\n" \
	".pushsection .altinstructions,\"a\"\n .long 661b - .\n .long 663f - .\n .short " __fake_stringify(flags) "\n .byte 662b-661b\n .byte 664f-663f\n.popsection\n" \
	".pushsection .altinstr_replacement,\"ax\"\n663:\n\t" newinstr "\n664:\n.popsection\n"

#endif
