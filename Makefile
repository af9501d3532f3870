# dispatcher — an email digest dispatcher.
#
#   make                 build build/release/dispatcher
#   make test            build with ASan+UBSan and run every test
#   make check [T=PAT]   run the tests on this variant (T: only names with PAT)
#   make demo            send the sample issue to the sample list into outbox/
#   make bench           run the benchmarks under bench/
#   make fuzz            build the libFuzzer targets (clang):
#                        build/fuzzer-address-undefined/libfuzz-NAME
#   make clean
#   make SANITIZER=address,undefined   any build, under sanitizers
#
# Objects go to build/<variant>/, one directory per SANITIZER setting.

CC        ?= cc
comma     := ,
# The stack: libconfig (dispatcher.conf), md4c and md4c-html (Markdown),
# libetpan (MIME parsing, IMAP, POP3), libcurl (SMTP), lmdb (all state),
# libmicrohttpd (serve). Beside it: nettle for SHA-256, HMAC and base64url
# (tokens, content hashes; already pulled in by GnuTLS), libidn2 for
# internationalized domains in addresses (punycode).
PKGS      := libconfig md4c md4c-html nettle libetpan libcurl lmdb libidn2
PKGS      += libmicrohttpd
# the bounce mailbox's TLS (src/mailbox_tls.c)
PKGS      += gnutls
# DKIM: libopendkim signs (src/dkim_sign.c); GnuTLS (above) also makes the
# key pair for dkim-keygen (src/dkim_keygen.c): it is already here under
# libcurl's GnuTLS flavour, and it writes PEM keys itself, where nettle
# would need our own DER and PEM writer.
PKGS      += opendkim
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
WARNINGS  := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wpointer-arith \
             -Wno-unused-parameter
XCFLAGS   := -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 $(WARNINGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan.pc carries a Debian -specs= link flag that clang does not take.
LIBS      := $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS) 2>/dev/null)) -pthread

ifneq ($(SANITIZER),)
VARIANT   := $(subst $(comma),-,$(SANITIZER))
XCFLAGS   += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SANITIZER)
else
VARIANT   := release
endif


B         := build/$(VARIANT)
SRCS      := $(wildcard src/*.c)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(B)/%.o)
TEST_SRCS := $(wildcard tests/unit/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps test-deps test check demo bench fuzz fuzz-bins clean

all: deps $(B)/dispatcher

deps:
	@scripts/install-deps build

test-deps:
	@scripts/install-deps test

$(B)/%.o: src/%.c $(wildcard src/*.h) | $(B)
	$(CC) $(CFLAGS) $(XCFLAGS) -c -o $@ $<

$(B):
	@mkdir -p $@

$(B)/libdispatcher.a: $(LIB_OBJS)
	ar rcs $@ $^

$(B)/dispatcher: $(B)/main.o $(B)/libdispatcher.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/unit: $(TEST_SRCS) $(wildcard tests/unit/*.h) $(B)/libdispatcher.a
	$(CC) $(CFLAGS) $(XCFLAGS) -Isrc $(LDFLAGS) -o $@ $(TEST_SRCS) \
	    $(B)/libdispatcher.a $(LIBS)

# Fuzz targets built as plain programs that replay their corpus.
$(B)/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(B)/libdispatcher.a
	$(CC) $(CFLAGS) $(XCFLAGS) -Isrc $(LDFLAGS) -o $@ $< tests/fuzz/replay.c \
	    $(B)/libdispatcher.a $(LIBS)

FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(B)/fuzz-%)

# The test build: ASan and UBSan on everything the tests run.
test: test-deps
	@$(MAKE) --no-print-directory SANITIZER=address,undefined OPT=-O1 check

# Runs the tests against whatever variant SANITIZER selects.
check: $(B)/dispatcher $(B)/unit $(FUZZ_BINS)
	@B=$(B) tests/run $(T)

demo: all
	@scripts/demo $(B)/dispatcher

bench: all $(B)/bench-compose $(B)/bench-import
	@scripts/install-deps bench
	@B=$(B) bench/run

$(B)/bench-%: bench/%.c $(B)/libdispatcher.a
	$(CC) $(CFLAGS) $(XCFLAGS) -Isrc $(LDFLAGS) -o $@ $< \
	    $(B)/libdispatcher.a $(LIBS)

fuzz:
	@scripts/install-deps test
	$(MAKE) --no-print-directory CC=clang \
	    SANITIZER=fuzzer,address,undefined fuzz-bins

fuzz-bins: $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(B)/libfuzz-%)

$(B)/libfuzz-%: tests/fuzz/fuzz_%.c $(B)/libdispatcher.a
	$(CC) $(CFLAGS) $(XCFLAGS) -Isrc $(LDFLAGS) -o $@ $< \
	    $(B)/libdispatcher.a $(LIBS)

clean:
	rm -rf build
