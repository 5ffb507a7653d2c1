/* vm: a small stack-machine bytecode interpreter with a dense switch (the
 * compiler turns it into a jump table: an indirect branch per opcode). */
#include <stdint.h>
#include <stdio.h>

enum op {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_NEG,
    OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_EQ, OP_LT, OP_GT, OP_JMP, OP_JZ, OP_JNZ, OP_LOAD, OP_STORE,
    OP_PRINT, OP_INC, OP_DEC, OP_CALL, OP_RET, OP_NOP, OP_ROT,
};

static const char *const names[] = {"halt", "push", "pop",  "dup",  "swap", "over", "add",   "sub",
                                    "mul",  "div",  "mod",  "neg",  "and",  "or",   "xor",   "shl",
                                    "shr",  "eq",   "lt",   "gt",   "jmp",  "jz",   "jnz",   "load",
                                    "store", "print", "inc", "dec", "call", "ret",  "nop",   "rot"};

static unsigned long op_count[32];

static int64_t run(const int32_t *code, int trace)
{
    int64_t stack[256], vars[16] = {0};
    int rstack[64];
    int sp = 0, rsp = 0, pc = 0;
    for (;;) {
        int32_t op = code[pc++];
        op_count[op & 31]++;
        if (trace)
            printf("  pc=%d %s sp=%d\n", pc - 1, names[op & 31], sp);
        switch (op) {
        case OP_HALT: return sp ? stack[sp - 1] : 0;
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_POP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } break;
        case OP_OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_DIV: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
        case OP_MOD: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
        case OP_NEG: stack[sp - 1] = -stack[sp - 1]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_OR: sp--; stack[sp - 1] |= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] << (stack[sp] & 63)); break;
        case OP_SHR: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_GT: sp--; stack[sp - 1] = stack[sp - 1] > stack[sp]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case OP_LOAD: stack[sp++] = vars[code[pc++] & 15]; break;
        case OP_STORE: vars[code[pc++] & 15] = stack[--sp]; break;
        case OP_PRINT: printf("  print %lld\n", (long long)stack[--sp]); break;
        case OP_INC: stack[sp - 1]++; break;
        case OP_DEC: stack[sp - 1]--; break;
        case OP_CALL: rstack[rsp++] = pc + 1; pc = code[pc]; break;
        case OP_RET: pc = rstack[--rsp]; break;
        case OP_NOP: break;
        case OP_ROT: { int64_t t = stack[sp - 3]; stack[sp - 3] = stack[sp - 2]; stack[sp - 2] = stack[sp - 1]; stack[sp - 1] = t; } break;
        default: printf("bad opcode %d at %d\n", op, pc - 1); return -1;
        }
    }
}

/* A tiny assembler with forward labels, so the programs below stay readable. */
static int32_t code_buf[512];
static int code_len;
static int label_pos[32];
static int fixups[64][2];
static int nfixups;

static void e(int32_t x) { code_buf[code_len++] = x; }
static void e2(int32_t op, int32_t arg) { e(op); e(arg); }
static void here(int label) { label_pos[label] = code_len; }
static void jump(int32_t op, int label)
{
    e(op);
    fixups[nfixups][0] = code_len;
    fixups[nfixups][1] = label;
    nfixups++;
    e(-1);
}
static const int32_t *assemble(void)
{
    for (int i = 0; i < nfixups; i++)
        code_buf[fixups[i][0]] = label_pos[fixups[i][1]];
    nfixups = 0;
    code_len = 0;
    return code_buf;
}

int main(void)
{
    enum { TOP, DONE, SKIP, GCD, ODD, NEXT };

    /* sum of i*i for i in 1..=30, printing each partial sum divisible by 5 */
    e2(OP_PUSH, 0); e2(OP_STORE, 0);
    e2(OP_PUSH, 1); e2(OP_STORE, 1);
    here(TOP);
    e2(OP_LOAD, 1); e2(OP_PUSH, 30); e(OP_GT); jump(OP_JNZ, DONE);
    e2(OP_LOAD, 1); e(OP_DUP); e(OP_MUL);
    e2(OP_LOAD, 0); e(OP_ADD); e(OP_DUP); e2(OP_STORE, 0);
    e2(OP_PUSH, 5); e(OP_MOD); jump(OP_JNZ, SKIP);
    e2(OP_LOAD, 0); e(OP_PRINT);
    here(SKIP);
    e2(OP_LOAD, 1); e(OP_INC); e2(OP_STORE, 1);
    jump(OP_JMP, TOP);
    here(DONE);
    e2(OP_LOAD, 0); e(OP_HALT);
    printf("sumsq:\n");
    printf("result %lld\n", (long long)run(assemble(), 0));

    /* gcd(a, b) by repeated modulo, as a subroutine called for several pairs */
    static const int32_t pairs[][2] = {{1071, 462}, {1000000, 65536}, {832040, 514229}, {-48, 18}, {17, 0}};
    for (unsigned i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        e2(OP_PUSH, pairs[i][0]); e2(OP_PUSH, pairs[i][1]); jump(OP_CALL, GCD); e(OP_PRINT);
    }
    e2(OP_PUSH, 0); e(OP_HALT);
    here(GCD); /* ( a b -- g ) */
    e(OP_DUP); jump(OP_JZ, DONE);
    e(OP_SWAP); e(OP_OVER); e(OP_MOD);
    jump(OP_JMP, GCD);
    here(DONE);
    e(OP_POP); e(OP_RET);
    printf("gcd:\n");
    printf("result %lld\n", (long long)run(assemble(), 0));

    /* collatz steps for 27 */
    e2(OP_PUSH, 27); e2(OP_STORE, 0); e2(OP_PUSH, 0); e2(OP_STORE, 1);
    here(TOP);
    e2(OP_LOAD, 0); e2(OP_PUSH, 1); e(OP_EQ); jump(OP_JNZ, DONE);
    e2(OP_LOAD, 0); e2(OP_PUSH, 1); e(OP_AND); jump(OP_JNZ, ODD);
    e2(OP_LOAD, 0); e2(OP_PUSH, 1); e(OP_SHR); jump(OP_JMP, NEXT);
    here(ODD);
    e2(OP_LOAD, 0); e2(OP_PUSH, 3); e(OP_MUL); e(OP_INC);
    here(NEXT);
    e2(OP_STORE, 0); e2(OP_LOAD, 1); e(OP_INC); e2(OP_STORE, 1);
    jump(OP_JMP, TOP);
    here(DONE);
    e2(OP_LOAD, 1); e(OP_HALT);
    printf("collatz(27):\n");
    printf("result %lld\n", (long long)run(assemble(), 0));

    /* straight-line code, traced */
    e2(OP_PUSH, 6); e2(OP_PUSH, 7); e(OP_MUL); e2(OP_PUSH, 2); e2(OP_PUSH, 3); e(OP_ROT); e(OP_SUB);
    e(OP_XOR); e(OP_NEG); e2(OP_PUSH, 100); e(OP_DIV); e2(OP_PUSH, 3); e(OP_SHL); e(OP_DEC);
    e2(OP_PUSH, -7); e(OP_LT); e(OP_NOP); e2(OP_PUSH, 0x55); e(OP_OR); e(OP_HALT);
    printf("tiny (traced):\n");
    printf("result %lld\n", (long long)run(assemble(), 1));

    printf("opcode counts:\n");
    for (int i = 0; i < 32; i++)
        if (op_count[i])
            printf("  %-6s %lu\n", names[i], op_count[i]);
    return 0;
}
