/* hello: the smallest libc program; also built dynamically (out/hello-dynamic)
 * and shipped stripped in prebuilt/hello. */
#include <stdio.h>

int main(void)
{
    printf("Hello from AArch64!\n");
    return 0;
}
