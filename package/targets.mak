# Which programs exist. Each entry is DIR/NAME: the program NAME is linked
# from the objects and libraries listed one per line in DIR/deps-exe/NAME
# (objects are named relative to DIR; -l flags are passed to the linker),
# plus the shared library built from common/*.c.
BIN_TARGETS := \
  tcpd/tcpd \
  authd/authd \
  mailctl/mailctl \
  mailctl/mailq \
  smtpd/smtpd \
  queued/queued \
  queued/queued-inject \
  deliverd/deliverd \
  tlsd/tlsd \
  sendmail/sendmail \
  deliverd/deliverd-remote

# Unit tests: tests/unit/NAME.c, each linked with the common library.
UNIT_TESTS := $(basename $(notdir $(wildcard tests/unit/*.c)))

# Fuzz harnesses: tests/fuzz/NAME.c, libFuzzer entry point, linked with the
# common library and, where a harness needs a program's private objects,
# the objects listed in tests/fuzz/deps/NAME.
FUZZ_TARGETS := $(basename $(notdir $(wildcard tests/fuzz/*.c)))

# The client side of TLS (tlsd/README.md, "tlsc"), run by deliverd-remote.
BIN_TARGETS += tlsd/tlsc

# tlsd's TLS engine (tlsd/README.md): the only server-side program that
# links OpenSSL, exec'd by tlsd's child when a client asks for TLS.
BIN_TARGETS += tlsd/tlsd-io

# The LMTP server (deliverd/README-lmtp.md): an MTA in front delivers into our Maildirs.
BIN_TARGETS += deliverd/lmtpd

# Submission (RFC 6409) on smtpd's engine, whose objects it links
# (submitd/README.md).
BIN_TARGETS += submitd/submitd

# IMAP before login (uid phimap) and the mailbox session it hands the
# client to (uid vmail, on imap-session.sock): imapd/README.md.
BIN_TARGETS += imapd/imapd
BIN_TARGETS += imapd/imap-session

# DKIM signer and verifier (dkimsign/README.md): the outbound filter chain
# entry, its signing service, and dkimsign -v.
BIN_TARGETS += dkimsign/dkimsign

# POP3 before login (uid phpop3) and the mailbox session it hands the
# client to (uid vmail, on pop3-session.sock): pop3d/README.md.
BIN_TARGETS += pop3d/pop3d
BIN_TARGETS += pop3d/pop3-session

# The SMTP access policy server: SPF at RCPT for smtpd and for any
# Postfix (policyd/README.md).
BIN_TARGETS += policyd/policyd

# Failure counting and bans (banwatch/README.md): fail2ban inside the suite.
BIN_TARGETS += banwatch/banwatch

# The inbound content check of queued's chain (policyd/README.md,
# "policyd-filter"): SPF, DKIM, ARC, DMARC, Authentication-Results.
BIN_TARGETS += policyd/policyd-filter

# The inbound chain's spam scorer and the Bayes learner it reads from
# (docs/spam.md): policyd-spam as phqueue, policyd-learn on learn.sock
# as phbayes.
BIN_TARGETS += policyd/policyd-spam
BIN_TARGETS += policyd/policyd-learn

# Live reload of the config folder (confwatch/README.md): inotify, then
# mailctl update.
BIN_TARGETS += confwatch/confwatch

# The web face (webd/README.md): MTA-STS policy, autoconfig and
# autodiscover behind tcpd + tlsd, and Prometheus metrics (webd -m).
BIN_TARGETS += webd/webd

# Runs one filter program for queued, as phfilter, one per connection on
# filter.sock (docs/filters.md, "How a program is run").
BIN_TARGETS += queued/filterrun
