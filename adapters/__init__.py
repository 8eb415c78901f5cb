"""Platform adapters: each turns one chat platform's events into calls on the core handler."""
