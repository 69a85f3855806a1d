/* ISC license. */

#ifndef POSTHASTE_BAYES_INTERNAL_H
#define POSTHASTE_BAYES_INTERNAL_H

#include <stddef.h>

#include "common/bayes.h"

/* Words of UTF-8 text, each as prefix+word (bayes_words.c). */
extern int bayes_words (bayes_tokens *t, char const *prefix, char const *s, size_t len) ;
/* Host names of http(s) URLs and www. names in text (bayes_urls.c). */
extern int bayes_urls (bayes_tokens *t, char const *s, size_t len) ;
/* HTML without its tags (and comments), appended to sa (bayes_html.c). */
extern int bayes_html_text (stralloc *sa, char const *s, size_t len) ;

#endif
