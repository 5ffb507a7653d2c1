/* bench_interp: a register-machine bytecode interpreter with a dense switch
 * (an indirect branch per instruction) running a nested-loop program.
 * Usage: bench_interp [ITERATIONS] */
//@ bench
//@ args: 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { LI, ADD, SUB, MUL, AND, XOR, SHR, ADDI, BLT, BNE, JMP, MOV, OUT, HALT, MOD, OR };

struct insn {
    uint8_t op, a, b, c;
    int32_t imm;
};

static uint64_t run(const struct insn *code, int64_t *r)
{
    uint64_t out = 0;
    int pc = 0;
    for (;;) {
        const struct insn *i = &code[pc++];
        switch (i->op) {
        case LI: r[i->a] = i->imm; break;
        case ADD: r[i->a] = r[i->b] + r[i->c]; break;
        case SUB: r[i->a] = r[i->b] - r[i->c]; break;
        case MUL: r[i->a] = (int64_t)((uint64_t)r[i->b] * (uint64_t)r[i->c]); break;
        case AND: r[i->a] = r[i->b] & r[i->c]; break;
        case XOR: r[i->a] = r[i->b] ^ r[i->c]; break;
        case SHR: r[i->a] = (int64_t)((uint64_t)r[i->b] >> (i->imm & 63)); break;
        case ADDI: r[i->a] = r[i->b] + i->imm; break;
        case BLT: if (r[i->a] < r[i->b]) pc = i->imm; break;
        case BNE: if (r[i->a] != r[i->b]) pc = i->imm; break;
        case JMP: pc = i->imm; break;
        case MOV: r[i->a] = r[i->b]; break;
        case OUT: out = out * 31 + (uint64_t)r[i->a]; break;
        case MOD: r[i->a] = r[i->c] ? r[i->b] % r[i->c] : 0; break;
        case OR: r[i->a] = r[i->b] | r[i->c]; break;
        case HALT: return out;
        default: abort();
        }
    }
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 20;
    /* r1 = outer counter, r2 = inner counter, r3 = hash, r4 = limit, r5 = tmp */
    const struct insn prog[] = {
        /* 0 */ {LI, 1, 0, 0, 0},
        /* 1 */ {LI, 3, 0, 0, 7},
        /* 2 */ {LI, 6, 0, 0, 1000},
        /* 3 */ {LI, 7, 0, 0, 0x5bd1e995},
        /* 4 */ {LI, 2, 0, 0, 0},            /* outer: */
        /* 5 */ {MUL, 5, 2, 7, 0},           /* inner: */
        /* 6 */ {XOR, 3, 3, 5, 0},
        /* 7 */ {SHR, 5, 3, 0, 13},
        /* 8 */ {ADD, 3, 3, 5, 0},
        /* 9 */ {AND, 5, 3, 6, 0},
        /* 10 */ {MOD, 5, 5, 6, 0},
        /* 11 */ {OR, 5, 5, 1, 0},
        /* 12 */ {SUB, 3, 3, 5, 0},
        /* 13 */ {ADDI, 2, 2, 0, 1},
        /* 14 */ {BLT, 2, 6, 0, 5},
        /* 15 */ {OUT, 3, 0, 0, 0},
        /* 16 */ {ADDI, 1, 1, 0, 1},
        /* 17 */ {BNE, 1, 4, 0, 4},
        /* 18 */ {HALT, 0, 0, 0, 0},
    };
    uint64_t acc = 0;
    for (int it = 0; it < iters; it++) {
        int64_t r[8] = {0};
        r[4] = 1000 + it;
        acc ^= run(prog, r) + (uint64_t)r[3];
    }
    printf("bench_interp: %d iterations, result %016llx\n", iters, (unsigned long long)acc);
    return 0;
}
