"""Mail: subscribers coming in, signed tokens, the backends (outbox, SMTP) and the
ledger walk that sends each queued message once."""
