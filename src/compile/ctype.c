// SPDX-License-Identifier: BSD-2-Clause
/*
 * C's type rules, as the compiler applies them: integer promotions and
 * the usual arithmetic conversions (so that comparisons, division and
 * shifts behave as in C), constant folding with C's wrap-around, the
 * integer type names casts and signatures may use, and BTF types.
 */
#include <string.h>

#include "compile/cg.h"
#include "types/ktypes.h"
#include "util.h"

struct ty ty_int(int size, bool is_signed)
{
	return (struct ty){ .kind = TY_INT, .size = size, .is_signed = is_signed };
}

struct ty ty_promote(struct ty t)
{
	if (t.kind == TY_PTR)
		return ty_int(8, false);
	if (t.size < 4)
		return ty_int(4, true);
	return ty_int(t.size, t.is_signed);
}

struct ty ty_arith(struct ty a, struct ty b)
{
	a = ty_promote(a);
	b = ty_promote(b);
	if (a.size == b.size)
		return ty_int(a.size, a.is_signed && b.is_signed);
	return a.size > b.size ? a : b;
}

bool ty_is_integer(const struct ty *t)
{
	return t->kind == TY_INT || t->kind == TY_PTR;
}

bool ty_is_string(const struct ty *t, enum sv_where where)
{
	/*
	 * As in BCC, a 64-bit integer (argN, a cast pointer) can be printed
	 * with %s: it is taken as the address of the string.
	 */
	(void)where;
	if (t->kind == TY_PTR || (t->kind == TY_INT && t->size == 8))
		return true;
	return t->is_char && (t->kind == TY_DATA_LOC || t->kind == TY_ARRAY);
}

int64_t ty_extend_imm(int64_t v, int size, bool is_signed)
{
	switch (size) {
	case 1: return is_signed ? (int64_t)(int8_t)v : (int64_t)(uint8_t)v;
	case 2: return is_signed ? (int64_t)(int16_t)v : (int64_t)(uint16_t)v;
	case 4: return is_signed ? (int64_t)(int32_t)v : (int64_t)(uint32_t)v;
	default: return v;
	}
}

int64_t ty_fold(int op, int64_t a, int64_t b, struct ty t)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;

	switch (op) {
	case '+': return (int64_t)(ua + ub);
	case '-': return (int64_t)(ua - ub);
	case '*': return (int64_t)(ua * ub);
	case '/': return t.is_signed ? (b == -1 ? (int64_t)(0 - ua) : a / b) : (int64_t)(ua / ub);
	case '%': return t.is_signed ? (b == -1 ? 0 : a % b) : (int64_t)(ua % ub);
	case '&': return a & b;
	case '|': return a | b;
	case '^': return a ^ b;
	case OP_SHL: return (int64_t)(ua << (ub & 63));
	case OP_SHR: return t.is_signed ? a >> (ub & 63) : (int64_t)(ua >> (ub & 63));
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case '<': return t.is_signed ? a < b : ua < ub;
	case '>': return t.is_signed ? a > b : ua > ub;
	case OP_LE: return t.is_signed ? a <= b : ua <= ub;
	case OP_GE: return t.is_signed ? a >= b : ua >= ub;
	default: return 0;
	}
}

static const struct {
	const char *name;
	int size;
	bool is_signed;
} int_types[] = {
	{ "char", 1, true }, { "signed char", 1, true }, { "unsigned char", 1, false },
	{ "short", 2, true }, { "short int", 2, true }, { "signed short", 2, true },
	{ "unsigned short", 2, false }, { "unsigned short int", 2, false },
	{ "int", 4, true }, { "signed", 4, true }, { "signed int", 4, true },
	{ "unsigned", 4, false }, { "unsigned int", 4, false },
	{ "long", 8, true }, { "long int", 8, true }, { "signed long", 8, true },
	{ "unsigned long", 8, false }, { "unsigned long int", 8, false },
	{ "long long", 8, true }, { "long long int", 8, true },
	{ "unsigned long long", 8, false }, { "unsigned long long int", 8, false },
	{ "bool", 1, false }, { "_Bool", 1, false },
	{ "u8", 1, false }, { "__u8", 1, false }, { "uint8_t", 1, false },
	{ "s8", 1, true }, { "__s8", 1, true }, { "int8_t", 1, true },
	{ "u16", 2, false }, { "__u16", 2, false }, { "uint16_t", 2, false },
	{ "s16", 2, true }, { "__s16", 2, true }, { "int16_t", 2, true },
	{ "u32", 4, false }, { "__u32", 4, false }, { "uint32_t", 4, false },
	{ "s32", 4, true }, { "__s32", 4, true }, { "int32_t", 4, true },
	{ "u64", 8, false }, { "__u64", 8, false }, { "uint64_t", 8, false },
	{ "s64", 8, true }, { "__s64", 8, true }, { "int64_t", 8, true },
	{ "size_t", 8, false }, { "ssize_t", 8, true }, { "uintptr_t", 8, false },
	{ "pid_t", 4, true }, { "uid_t", 4, false }, { "gid_t", 4, false },
	{ "loff_t", 8, true }, { "off_t", 8, true }, { "umode_t", 2, false },
	{ "dev_t", 4, false }, { "gfp_t", 4, false }, { "sector_t", 8, false },
};

bool ctype_int(const char *name, struct ty *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(int_types); i++)
		if (!strcmp(name, int_types[i].name)) {
			*out = ty_int(int_types[i].size, int_types[i].is_signed);
			return true;
		}
	return false;
}

struct ty ty_btf(const struct btf *btf, __u32 id, bool user)
{
	struct ktype k;
	struct ty t;

	if (!btf || ktype_resolve(btf, id, &k))
		return ty_int(8, false);
	switch (k.kind) {
	case KT_INT:
		t = ty_int(k.size == 1 || k.size == 2 || k.size == 4 ? k.size : 8, k.is_signed);
		t.is_char = k.is_char;
		break;
	case KT_PTR:
		t = (struct ty){ .kind = TY_PTR, .size = 8, .is_char = k.is_char, .btf_id = k.id };
		break;
	case KT_STRUCT:
		t = (struct ty){ .kind = TY_STRUCT, .size = k.size, .btf_id = k.id };
		break;
	case KT_ARRAY:
		t = (struct ty){ .kind = TY_ARRAY, .size = k.size, .is_char = k.is_char,
				 .array_len = k.nelems, .btf_id = k.id,
				 .elem_size = k.nelems ? k.size / k.nelems : 0 };
		break;
	default:
		t = ty_int(8, false);
		break;
	}
	t.user = user;
	return t;
}
