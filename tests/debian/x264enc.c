/* x264 (libx264.so.164 from the Debian sysroot, whose motion search, transforms, quantisation
 * and filters are hand-written NEON) encoding synthetic 640x360 frames with one thread; prints
 * the stream's size and an FNV-1a hash of its bytes. Built by tests/debian/runtimes.rs with the
 * host's aarch64-linux-gnu-gcc and compared with qemu-aarch64.
 *     x264enc [FRAMES [PRESET]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x264.h>

int main(int argc, char **argv) {
    int w = 640, h = 360, frames = argc > 1 ? atoi(argv[1]) : 50;
    x264_param_t p;
    if (x264_param_default_preset(&p, argc > 2 ? argv[2] : "fast", NULL) < 0) return 2;
    p.i_threads = 1;
    p.i_width = w;
    p.i_height = h;
    p.i_csp = X264_CSP_I420;
    p.i_fps_num = 25;
    p.i_fps_den = 1;
    p.i_log_level = X264_LOG_NONE;
    p.b_deterministic = 1;
    if (x264_param_apply_profile(&p, "high") < 0) return 3;
    x264_t *enc = x264_encoder_open(&p);
    if (!enc) return 4;
    x264_picture_t pic, out;
    if (x264_picture_alloc(&pic, p.i_csp, w, h) < 0) return 5;
    uint64_t sum = 1469598103934665603ull, bytes = 0;
    unsigned seed = 12345;
    int nals_total = 0;
    for (int f = 0; f <= frames; f++) {
        x264_picture_t *in = NULL;
        if (f < frames) {
            /* A moving gradient, a bouncing square and some noise: motion for the search. */
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    seed = seed * 1103515245u + 12345u;
                    int v = (x + 2 * f) ^ (y - f);
                    int sq = (x - 4 * f % w) * (x - 4 * f % w) + (y - 2 * f % h) * (y - 2 * f % h) < 2500;
                    pic.img.plane[0][y * pic.img.i_stride[0] + x] = (uint8_t)(sq ? 235 : (v & 0xbf) + (seed >> 29));
                }
            for (int c = 1; c < 3; c++)
                for (int y = 0; y < h / 2; y++)
                    for (int x = 0; x < w / 2; x++)
                        pic.img.plane[c][y * pic.img.i_stride[c] + x] = (uint8_t)(128 + c * ((x + y + f) % 32) - 32);
            pic.i_pts = f;
            in = &pic;
        } else if (!x264_encoder_delayed_frames(enc)) {
            break;
        }
        x264_nal_t *nal;
        int n;
        int size = x264_encoder_encode(enc, &nal, &n, in, &out);
        if (size < 0) return 6;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < nal[i].i_payload; j++)
                sum = (sum ^ nal[i].p_payload[j]) * 1099511628211ull;
        bytes += size;
        nals_total += n;
        if (f >= frames) f--; /* drain the delayed frames */
    }
    x264_encoder_close(enc);
    x264_picture_clean(&pic);
    printf("x264 %d frames %dx%d: %llu bytes in %d NAL units, FNV-1a %016llx\n", frames, w, h,
           (unsigned long long)bytes, nals_total, (unsigned long long)sum);
    return 0;
}
