# wrenMinimalCurl.cmake: WREN_MINIMAL_CURL, a project-wide switch for cold
# start (docs/runtime.md, "Cold start"). Included by the top-level
# CMakeLists.txt after the pkg_check_modules() calls.
#
# Debian's shared libcurl4 pulls ~32 shared objects (Kerberos, LDAP, SSH,
# RTMP/GnuTLS, nghttp2, psl...) whose loading costs the worker ~5 ms per
# exec. With the option ON, libcurl is built from Debian's own source package
# (the installed version, Debian's patches; scripts/fetch-curl-source.sh) as a
# static HTTP/HTTPS-only library on OpenSSL, and OpenSSL, jansson, msgpack-c
# and expat are linked from Debian's static archives: the worker then needs
# only libc and libm at run time. It is project-wide because the runtime and
# the store share one libcurl (one process cannot usefully carry two).
#
# It works by re-pointing the imported targets the modules already link
# (PkgConfig::CURL, OpenSSL::SSL/Crypto, PkgConfig::JANSSON/MSGPACK/EXPAT), so
# no module changes; the installed package config still names those targets
# and re-creates them from the system's shared libraries.
option(WREN_MINIMAL_CURL "Link a minimal static libcurl (HTTP/HTTPS, OpenSSL) built from Debian's curl source, and static OpenSSL/jansson/msgpack-c/expat" OFF)
if(NOT WREN_MINIMAL_CURL)
  return()
endif()

set(WREN_CURL_SOURCE_DIR "" CACHE PATH
  "Unpacked Debian curl source (default: what scripts/fetch-curl-source.sh prints)")
if(NOT WREN_CURL_SOURCE_DIR)
  # Idempotent and quick once the cache holds the source; fetches it otherwise.
  execute_process(COMMAND ${PROJECT_SOURCE_DIR}/scripts/fetch-curl-source.sh
    OUTPUT_VARIABLE wren__curl_src OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE wren__rc)
  if(NOT wren__rc EQUAL 0 OR NOT EXISTS "${wren__curl_src}/configure")
    message(FATAL_ERROR "WREN_MINIMAL_CURL: no curl source (run scripts/deps.sh --minimal-curl as root, "
      "or set WREN_CURL_SOURCE_DIR)")
  endif()
  set(WREN_CURL_SOURCE_DIR "${wren__curl_src}" CACHE PATH
    "Unpacked Debian curl source (default: what scripts/fetch-curl-source.sh prints)" FORCE)
endif()

set(wren__static_libdir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
foreach(lib ssl crypto jansson msgpackc expat)
  string(TOUPPER ${lib} up)
  find_file(WREN_${up}_A lib${lib}.a HINTS ${wren__static_libdir} /usr/lib NO_DEFAULT_PATH)
  if(NOT WREN_${up}_A)
    message(FATAL_ERROR "WREN_MINIMAL_CURL: lib${lib}.a not found (Debian's -dev package ships it)")
  endif()
endforeach()

include(ExternalProject)
set(wren__curl_prefix ${CMAKE_BINARY_DIR}/curl-minimal)
set(wren__curl_a ${wren__curl_prefix}/lib/libcurl.a)
# Only HTTP and HTTPS (OpenSSL, the CA bundle at Debian's path), nothing that
# would pull a library in: no HTTP/2, IDN, PSL, compression, GSSAPI.
ExternalProject_Add(wren_curl_minimal
  SOURCE_DIR ${WREN_CURL_SOURCE_DIR}
  BINARY_DIR ${wren__curl_prefix}/build
  INSTALL_DIR ${wren__curl_prefix}
  CONFIGURE_COMMAND ${CMAKE_COMMAND} -E env CC=${CMAKE_C_COMPILER} "CFLAGS=-O2 -g -fPIC"
    ${WREN_CURL_SOURCE_DIR}/configure --quiet --prefix=<INSTALL_DIR> --libdir=<INSTALL_DIR>/lib
    --disable-shared --enable-static --with-openssl
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict
    --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp
    --disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-alt-svc
    --without-libpsl --without-libidn2 --without-nghttp2 --without-nghttp3 --without-ngtcp2
    --without-brotli --without-zstd --without-librtmp --without-libssh2 --without-libssh
    --without-zlib --without-gssapi --without-libgsasl
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs
  BUILD_COMMAND $(MAKE) -C lib
  INSTALL_COMMAND $(MAKE) -C lib install
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${WREN_CURL_SOURCE_DIR}/include/curl <INSTALL_DIR>/include/curl
  BUILD_BYPRODUCTS ${wren__curl_a}
  LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON LOG_OUTPUT_ON_FAILURE ON)
# The include directory must exist when the targets below are generated.
file(MAKE_DIRECTORY ${wren__curl_prefix}/include)

set_target_properties(OpenSSL::SSL PROPERTIES IMPORTED_LOCATION ${WREN_SSL_A})
set_target_properties(OpenSSL::Crypto PROPERTIES IMPORTED_LOCATION ${WREN_CRYPTO_A}
  INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS}")
set_target_properties(PkgConfig::CURL PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${wren__curl_prefix}/include
  INTERFACE_LINK_LIBRARIES "${wren__curl_a};OpenSSL::SSL;OpenSSL::Crypto;Threads::Threads"
  INTERFACE_LINK_OPTIONS ""
  INTERFACE_COMPILE_OPTIONS "-DCURL_STATICLIB")
# Followed transitively by whatever links PkgConfig::CURL.
add_dependencies(PkgConfig::CURL wren_curl_minimal)
set_target_properties(PkgConfig::JANSSON PROPERTIES INTERFACE_LINK_LIBRARIES ${WREN_JANSSON_A} INTERFACE_LINK_OPTIONS "")
set_target_properties(PkgConfig::MSGPACK PROPERTIES INTERFACE_LINK_LIBRARIES ${WREN_MSGPACKC_A} INTERFACE_LINK_OPTIONS "")
set_target_properties(PkgConfig::EXPAT PROPERTIES INTERFACE_LINK_LIBRARIES ${WREN_EXPAT_A} INTERFACE_LINK_OPTIONS "")
message(STATUS "WREN_MINIMAL_CURL: static HTTP/HTTPS libcurl from ${WREN_CURL_SOURCE_DIR}; "
  "static OpenSSL, jansson, msgpack-c, expat")
