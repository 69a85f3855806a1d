/* ISC license. */

#ifndef POSTHASTE_PWHASH_H
#define POSTHASTE_PWHASH_H

/* Password hashes in Dovecot's "{SCHEME}hash" notation, as
 * docker-mailserver keeps them in postfix-accounts.cf
 * (user@domain|{SHA512-CRYPT}$6$...).
 *
 * Verified schemes (scheme names are case-insensitive, as in Dovecot):
 *   {SHA512-CRYPT}  a crypt(3) "$6$" hash
 *   {SHA256-CRYPT}  a crypt(3) "$5$" hash
 *   {BLF-CRYPT}     a bcrypt hash: "$2y$", "$2b$" or "$2a$"
 *   {CRYPT}         any hash libxcrypt knows (yescrypt "$y$", "$1$", ...)
 *   no prefix       the same as {CRYPT} (docker-mailserver's Dovecot
 *                   default scheme is SHA512-CRYPT, which CRYPT covers)
 *   {PLAIN}         the password itself; also {CLEAR} and {CLEARTEXT},
 *                   Dovecot's aliases. Accepted, but callers log a warning.
 * Anything else is refused (EINVAL), never guessed at.
 *
 * New hashes are {SHA512-CRYPT} with libxcrypt's default 5000 rounds and
 * a 16-character random salt: the form docker-mailserver writes
 * (doveadm pw -s SHA512-CRYPT), which Dovecot 2.3 on Debian 12 and every
 * crypt(3) verify. (Dovecot would also verify BLF-CRYPT, but a
 * SHA512-CRYPT file stays readable by docker-mailserver's own tools.) */

#include <stddef.h>

#define PWHASH_SCHEME_CRYPT 0
#define PWHASH_SCHEME_SHA512_CRYPT 1
#define PWHASH_SCHEME_SHA256_CRYPT 2
#define PWHASH_SCHEME_BLF_CRYPT 3
#define PWHASH_SCHEME_PLAIN 4

/* libxcrypt refuses longer passphrases (CRYPT_MAX_PASSPHRASE_SIZE - 1). */
#define PWHASH_PASSWORD_MAX 511
/* Room for any hash pwhash_make() writes, with its NUL. */
#define PWHASH_OUTPUT_MAX 256

/* Reads the scheme of stored[0..len). Returns a PWHASH_SCHEME_* value and
 * sets *hashpos to the offset of the hash after the "{SCHEME}" prefix;
 * -1 with errno EINVAL for an unknown or unterminated scheme. */
extern int pwhash_scheme (char const *stored, size_t len, size_t *hashpos) ;

/* The scheme's name as it appears between the braces. */
extern char const *pwhash_scheme_name (int scheme) ;

/* Does password[0..pwlen) match stored[0..len)? Returns 1 match,
 * 0 mismatch (including a password with a NUL byte or longer than
 * PWHASH_PASSWORD_MAX for a crypt scheme: such a password can never
 * have produced the hash), -1 error with errno: EINVAL unknown scheme,
 * a hash that does not fit its scheme or that libxcrypt cannot compute.
 * The whole crypt output is compared in constant time. If scheme is not
 * null, *scheme is set whenever the scheme was recognised. */
extern int pwhash_verify (char const *stored, size_t len, char const *password, size_t pwlen, int *scheme) ;

/* Writes a new "{SHA512-CRYPT}$6$salt$hash" for password[0..pwlen) into
 * out (at least PWHASH_OUTPUT_MAX bytes), NUL-terminated. Returns its
 * length, or 0 with errno: EINVAL for a password that is empty, has a NUL
 * byte or is longer than PWHASH_PASSWORD_MAX; other errno from libxcrypt. */
extern size_t pwhash_make (char *out, char const *password, size_t pwlen) ;

/* Constant-time equality of a[0..n) and b[0..n): the time depends on n
 * only. Returns 1 if equal. */
extern int pwhash_equal (char const *a, char const *b, size_t n) ;

#endif
