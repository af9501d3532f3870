/*
 * utf8.h — UTF-8 validation, decoding and counting.
 *
 * Pure functions over byte ranges; nothing here allocates.
 */
#ifndef DISPATCHER_UTF8_H
#define DISPATCHER_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns 0 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), else -1 with *bad set to the offset of the first
 * byte that is not.
 */
int	utf8_check(const char *s, size_t n, size_t *bad);

/*
 * Decodes the code point at s[0..n). Returns the number of bytes it takes
 * (1 to 4) and sets *cp; on a malformed sequence returns 1 and sets *cp to
 * U+FFFD. n must be at least 1.
 */
size_t	utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Writes cp as UTF-8 into out (at least 4 bytes); returns the byte count. */
size_t	utf8_encode(uint32_t cp, char *out);

/* Number of code points in s[0..n) (characters, not bytes). */
size_t	utf8_count(const char *s, size_t n);

/*
 * Columns s[0..n) takes in a terminal: 2 for East Asian wide and fullwidth
 * characters and emoji, 0 for combining marks and zero-width characters,
 * 1 for the rest (a malformed byte counts 1).
 */
size_t	utf8_width(const char *s, size_t n);

/* Length in bytes of the sequence that starts with lead byte c (1 if bad). */
size_t	utf8_seqlen(unsigned char c);

#endif
