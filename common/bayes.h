/* ISC license. */

#ifndef POSTHASTE_BAYES_H
#define POSTHASTE_BAYES_H

/* A Bayesian spam classifier (docs/spam.md, "Bayes"): a tokenizer, a
 * compact on-disk token database, and Robinson's chi-square combining
 * (Gary Robinson, "A Statistical Approach to the Spam Problem", 2003;
 * the method SpamBayes and bogofilter use).
 *
 * Tokens are kept as 64-bit hashes (FNV-1a of a prefix and the word):
 * a database never holds the words of anyone's mail, and every record
 * has the same size, so the file is a sorted table searched in place.
 *
 * Everything here is bounded: the text examined (BAYES_TEXT_MAX), the
 * length of a token (BAYES_TOKEN_MAX), the distinct tokens of one
 * message (BAYES_TOKENS_MAX), the URL domains kept (BAYES_DOMAINS_MAX),
 * and the tokens of a database (PH_BAYES_MAX_TOKENS, pruned). */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#define BAYES_TOKEN_MIN 3          /* shorter words say nothing */
#define BAYES_TOKEN_MAX 40         /* longer ones become "skip:" tokens */
#define BAYES_TEXT_MAX ((size_t)512 << 10)   /* decoded text examined per message */
#define BAYES_RAW_MAX 50000        /* tokens produced before de-duplication */
#define BAYES_TOKENS_MAX 3000      /* distinct tokens kept per message */
#define BAYES_DOMAINS_MAX 32       /* distinct URL domains kept per message */
#define BAYES_CLUES_MAX 150        /* most extreme tokens combined */
#define BAYES_DB_TOKENS_DEFAULT 300000
#define BAYES_DB_TOKENS_LIMIT 5000000   /* a file claiming more is refused */
#define BAYES_SEEN_MAX 100000      /* messages remembered per database (the oldest forgotten first) */

/* ---- tokenizer ---- */

typedef struct bayes_tokens_s bayes_tokens, *bayes_tokens_ref ;
struct bayes_tokens_s
{
  genalloc hashes ;     /* uint64_t, sorted, unique after bayes_tokenize */
  stralloc domains ;    /* URL host names, lower-case, each NUL-terminated, unique */
  unsigned int ndomains ;
  stralloc scratch ;
} ;
#define BAYES_TOKENS_ZERO { .hashes = GENALLOC_ZERO, .domains = STRALLOC_ZERO, .ndomains = 0, .scratch = STRALLOC_ZERO }

/* Tokenizes a message (RFC 5322, LF or CRLF line ends): the decoded
 * Subject, From, To and Cc (tokens prefixed by the field), the decoded
 * text/plain and text/html parts (common/mime.h; HTML tags dropped),
 * and the host names of URLs (prefixed "url:", each parent domain
 * too). Returns 1, or 0 if memory ran out. */
extern int bayes_tokenize (bayes_tokens *t, char const *msg, size_t len) ;
extern void bayes_tokens_free (bayes_tokens *t) ;

/* Adds the token prefix+word (word: bytes, lower-cased by the caller)
 * to t. Exposed for the tests. */
extern int bayes_token_add (bayes_tokens *t, char const *prefix, char const *word, size_t len) ;
extern uint64_t bayes_hash (char const *prefix, char const *word, size_t len) ;

/* Sorts and de-duplicates t->hashes, keeping at most BAYES_TOKENS_MAX. */
extern void bayes_tokens_finish (bayes_tokens *t) ;

/* ---- the database (docs/spam.md, "Database format") ---- */

#define BAYES_MAGIC "PHBAYES1"
#define BAYES_HEADER_SIZE 32
#define BAYES_RECORD_SIZE 20
#define BAYES_SEEN_SIZE 12

typedef struct bayes_db_s bayes_db, *bayes_db_ref ;
struct bayes_db_s
{
  char *map ;           /* the file, mapped read-only; 0 for an empty database */
  size_t maplen ;
  uint32_t nspam, nham ;   /* messages learned */
  uint32_t ntokens ;
  uint32_t day ;        /* days since the epoch of the last write */
  uint32_t nseen ;      /* messages remembered (their fingerprints follow the records) */
} ;
#define BAYES_DB_ZERO { .map = 0, .maplen = 0, .nspam = 0, .nham = 0, .ntokens = 0, .day = 0, .nseen = 0 }

typedef struct bayes_record_s bayes_record, *bayes_record_ref ;
struct bayes_record_s
{
  uint64_t hash ;
  uint32_t spam, ham ;
  uint32_t day ;        /* last learned */
} ;

/* Maps path. A missing file is an empty database (returns 1). Returns
 * 0 with errno on a system error, EPROTO for a file that is not a well
 * formed database (bad magic, size that does not match its count). */
extern int bayes_db_open (bayes_db *db, char const *path) ;
extern void bayes_db_close (bayes_db *db) ;
/* The counts of a token (binary search); 0 if absent. */
extern int bayes_db_find (bayes_db const *db, uint64_t hash, uint32_t *spam, uint32_t *ham) ;
extern void bayes_record_unpack (char const *s, bayes_record *r) ;
extern void bayes_record_pack (char *s, bayes_record const *r) ;

/* Learns the tokens into the database at path, as spam or ham:
 * under an exclusive flock of path.lock, reads the database, merges,
 * prunes to max_tokens (the least-used, then the oldest, tokens go
 * first), writes path.tmp, fsyncs it, renames it over path and fsyncs
 * the directory. day: days since the epoch. The database remembers
 * each message it learned by a fingerprint of its tokens: the same
 * message learned again the same way changes nothing
 * (BAYES_LEARN_ALREADY, no write); learned the other way, its earlier
 * counts move over (BAYES_LEARN_RELEARNED: a user who takes a message
 * back out of Junk corrects the verdict instead of adding a second
 * one). Returns one of those, BAYES_LEARN_NEW, or 0 with errno. */
#define BAYES_LEARN_NEW 1
#define BAYES_LEARN_RELEARNED 2
#define BAYES_LEARN_ALREADY 3
extern int bayes_db_learn (char const *path, bayes_tokens const *t, int is_spam, uint32_t day, uint32_t max_tokens) ;
/* FNV-1a 64 of the sorted token hashes: the same text, the same print. */
extern uint64_t bayes_fingerprint (bayes_tokens const *t) ;
/* 1 and *is_spam if db remembers the fingerprint; 0 if not. */
extern int bayes_seen_find (bayes_db const *db, uint64_t fp, int *is_spam, size_t *index) ;

/* The file name of a user's database inside a directory: the address
 * lower-cased, every byte outside [a-z0-9@._+-] (and a leading '.')
 * written %XX. Returns the length written to out (at most max - 1,
 * NUL-terminated), or 0 if it does not fit or the user is empty. */
extern size_t bayes_user_file (char *out, size_t max, char const *user) ;

/* ---- classification ---- */

typedef struct bayes_result_s bayes_result, *bayes_result_ref ;
struct bayes_result_s
{
  double prob ;         /* 0 ham ... 1 spam; 0.5 without evidence */
  unsigned int clues ;  /* tokens that counted */
} ;

/* Robinson's f(w) for each token (strength 0.45, assumed probability 0.5),
 * the BAYES_CLUES_MAX tokens farthest from 0.5 (at least 0.1 away),
 * Fisher's chi-square combining: H = C^-1(-2 sum ln f, 2n),
 * S = C^-1(-2 sum ln (1 - f), 2n), prob = (1 + H - S) / 2. */
extern void bayes_classify (bayes_db const *db, bayes_tokens const *t, bayes_result *res) ;

/* Natural logarithm and exponential, for bayes_classify (the common
 * library is linked without libm). */
extern double bayes_ln (double x) ;
extern double bayes_exp (double x) ;
/* The chi-square survival function for an even number of degrees of
 * freedom: P(X >= x2), X ~ chi2(dof). */
extern double bayes_chi2q (double x2, unsigned int dof) ;

#endif
