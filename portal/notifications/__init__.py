"""Notifications (DESIGN §6): channels, subscriptions and the delivery outbox."""
