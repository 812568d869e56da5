"""Dashboard accounts: admins, passwords, sessions and throttled sign-in, and the audit log."""
