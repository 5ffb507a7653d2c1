/* Loops of the kinds compilers auto-vectorise (integer and float, widening, narrowing,
 * saturating, reductions, table lookups, interleaving) and calls into libm and strtod: the
 * compiled-code half of the instruction list of tests/inline.rs (see collect.sh). Only
 * compiled, never run. */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
void add8(int8_t *a, const int8_t *b, const int8_t *c, int n) { for (int i = 0; i < n; i++) a[i] = b[i] + c[i]; }
void add16(int16_t *a, const int16_t *b, const int16_t *c, int n) { for (int i = 0; i < n; i++) a[i] = b[i] * c[i] + a[i]; }
void mul32(int32_t *a, const int32_t *b, const int32_t *c, int n) { for (int i = 0; i < n; i++) a[i] = b[i] * c[i] >> 3; }
int64_t dot16(const int16_t *a, const int16_t *b, int n) { int64_t s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
int32_t sum8(const uint8_t *a, int n) { int32_t s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
uint8_t max8(const uint8_t *a, int n) { uint8_t m = 0; for (int i = 0; i < n; i++) m = a[i] > m ? a[i] : m; return m; }
int16_t min16(const int16_t *a, int n) { int16_t m = 32767; for (int i = 0; i < n; i++) m = a[i] < m ? a[i] : m; return m; }
void sat8(uint8_t *a, const uint8_t *b, int n) { for (int i = 0; i < n; i++) { int v = a[i] + b[i]; a[i] = v > 255 ? 255 : v; } }
void avg8(uint8_t *a, const uint8_t *b, int n) { for (int i = 0; i < n; i++) a[i] = (a[i] + b[i] + 1) >> 1; }
void narrow(uint8_t *a, const uint16_t *b, int n) { for (int i = 0; i < n; i++) a[i] = b[i] >> 4; }
void widen(int32_t *a, const int16_t *b, int n) { for (int i = 0; i < n; i++) a[i] = b[i] << 2; }
void widen8(uint16_t *a, const uint8_t *b, const uint8_t *c, int n) { for (int i = 0; i < n; i++) a[i] = b[i] * c[i]; }
void absd(uint8_t *a, const uint8_t *b, const uint8_t *c, int n) { for (int i = 0; i < n; i++) a[i] = b[i] > c[i] ? b[i] - c[i] : c[i] - b[i]; }
int sad(const uint8_t *b, const uint8_t *c, int n) { int s = 0; for (int i = 0; i < n; i++) s += b[i] > c[i] ? b[i] - c[i] : c[i] - b[i]; return s; }
void cmpsel(int32_t *a, const int32_t *b, const int32_t *c, int n) { for (int i = 0; i < n; i++) a[i] = b[i] > c[i] ? b[i] : -c[i]; }
void shr_acc(uint32_t *a, const uint32_t *b, int n) { for (int i = 0; i < n; i++) a[i] += b[i] >> 5; }
void rshr(uint16_t *a, const uint16_t *b, int n) { for (int i = 0; i < n; i++) a[i] = (b[i] + 8) >> 4; }
void clamp16(int16_t *a, const int32_t *b, int n) { for (int i = 0; i < n; i++) { int v = b[i]; a[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v; } }
void lut(uint8_t *a, const uint8_t *b, const uint8_t *t, int n) { for (int i = 0; i < n; i++) a[i] = t[b[i] & 15]; }
void saxpy(float *y, const float *x, float a, int n) { for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i]; }
void daxpy(double *y, const double *x, double a, int n) { for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i]; }
float fsum(const float *x, int n) { float s = 0; for (int i = 0; i < n; i++) s += x[i]; return s; }
float fmaxv(const float *x, int n) { float m = -INFINITY; for (int i = 0; i < n; i++) m = fmaxf(m, x[i]); return m; }
void fdiv(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = x[i] / (y[i] + 1.0f); }
void fsqrt(double *y, const double *x, int n) { for (int i = 0; i < n; i++) y[i] = sqrt(x[i]); }
void i2f(float *y, const int32_t *x, int n) { for (int i = 0; i < n; i++) y[i] = (float)x[i] * 0.5f; }
void f2i(int32_t *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = (int32_t)x[i]; }
void u2d(double *y, const uint64_t *x, int n) { for (int i = 0; i < n; i++) y[i] = (double)x[i]; }
void d2f(float *y, const double *x, int n) { for (int i = 0; i < n; i++) y[i] = (float)x[i]; }
void fabsv(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = fabsf(x[i]) - x[i]; }
void frnd(double *y, const double *x, int n) { for (int i = 0; i < n; i++) y[i] = floor(x[i]) + round(x[i]) + trunc(x[i]); }
void fcmp(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.1f * x[i]; }
void fmin_(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = fminf(y[i], x[i]); }
uint64_t popc(const uint64_t *x, int n) { uint64_t s = 0; for (int i = 0; i < n; i++) s += __builtin_popcountll(x[i]); return s; }
void bswap(uint32_t *x, int n) { for (int i = 0; i < n; i++) x[i] = __builtin_bswap32(x[i]); }
void mul64(uint64_t *a, const uint64_t *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i]; }
void shl64(uint64_t *a, const uint64_t *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] << (b[i] & 63); }
void neg16(int16_t *a, int n) { for (int i = 0; i < n; i++) a[i] = a[i] < 0 ? -a[i] : a[i]; }
void interleave(float *a, const float *re, const float *im, int n) { for (int i = 0; i < n; i++) { a[2*i] = re[i]; a[2*i+1] = im[i]; } }
void deint(float *re, float *im, const float *a, int n) { for (int i = 0; i < n; i++) { re[i] = a[2*i]; im[i] = a[2*i+1]; } }
void rgb(uint8_t *y, const uint8_t *p, int n) { for (int i = 0; i < n; i++) y[i] = (p[3*i] * 77 + p[3*i+1] * 150 + p[3*i+2] * 29) >> 8; }
double poly(double x) { return exp(x) + log(x) + pow(x, 1.3) + sin(x) + cos(x) + atan(x); }
float polyf(float x) { return expf(x) + logf(x) + powf(x, 1.3f) + sinf(x); }
long conv(const char *s) { return (long)(strtod(s, 0) * 3) + lrint(atof(s)); }
