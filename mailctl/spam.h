/* ISC license. */

#ifndef POSTHASTE_MAILCTL_SPAM_H
#define POSTHASTE_MAILCTL_SPAM_H

/* mailctl spam learn spam|ham USER < message: teach the Bayes
 * classifier through policyd-learn (docs/spam.md, "Learning"); USER "-"
 * teaches the shared database alone. argv starts after "spam".
 * Returns the exit code. */
extern int mc_spam (int argc, char const *const *argv) ;

#endif
