#!/bin/sh
# wren layer launcher. Lambda executes /opt/bootstrap (a layer) or
# $LAMBDA_TASK_ROOT/bootstrap (a function package): this file.
#
# It runs the real worker, wren/bin/bootstrap, under the glibc loader and the
# libraries shipped beside it in wren/lib/, never the host's: the worker was linked
# on Debian 12 (glibc 2.36) and Amazon Linux 2023 has glibc 2.34, Amazon Linux 2
# glibc 2.26. The loader is named explicitly because the kernel would otherwise
# use the binary's PT_INTERP (the host's /lib64/ld-linux-x86-64.so.2), and a
# loader must match the libc it loads.
#
# Plain POSIX sh with no external command (busybox sh runs it too): it must
# need nothing from the host but /bin/sh, which every Lambda image has.
#   --library-path   searched instead of LD_LIBRARY_PATH (Lambda sets that to
#                    the host's /lib64 first): the layer's wren/lib/, then the
#                    function package's lib/ for libraries a user kernel needs;
#   --inhibit-cache  never the host's /etc/ld.so.cache (host libraries built
#                    for another glibc);
#   --argv0          the worker sees the path it was started as.
case "$0" in
*/*) wren_dir=${0%/*} ;;
*) wren_dir=. ;;
esac
wren_path=$wren_dir/wren/lib
if [ -n "${LAMBDA_TASK_ROOT:-}" ] && [ "$LAMBDA_TASK_ROOT" != "$wren_dir" ]; then
  wren_path=$wren_path:$LAMBDA_TASK_ROOT/lib
fi
exec "$wren_dir/wren/lib/@WREN_LOADER@" --inhibit-cache --library-path "$wren_path" \
  --argv0 "$0" "$wren_dir/wren/bin/bootstrap" "$@"
