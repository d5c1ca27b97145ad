/*
 * bench_map_one: one trivial task as its own process, for bench_map's
 * process-per-task comparison (`xargs -P`): decode the argument as msgpack,
 * add one, encode the result, print it. Links libmsgpack and libc only, so
 * the comparison measures process start-up, not a heavy binary's linking.
 */
#include <stdio.h>
#include <stdlib.h>

#include <msgpack.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    msgpack_sbuffer in, out;
    msgpack_sbuffer_init(&in);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &in, msgpack_sbuffer_write);
    msgpack_pack_int64(&pk, atoll(argv[1]));
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = 1;
    if (msgpack_unpack_next(&u, in.data, in.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
        msgpack_packer po;
        msgpack_packer_init(&po, &out, msgpack_sbuffer_write);
        msgpack_pack_int64(&po, u.data.via.i64 + 1);
        printf("%lld\n", (long long)u.data.via.i64 + 1);
        rc = 0;
    }
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&in);
    msgpack_sbuffer_destroy(&out);
    return rc;
}
